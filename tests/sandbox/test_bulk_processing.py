"""Per-contact processing of bulk/id: creates, updates, item failures, and GET by id."""

from __future__ import annotations

import time

import pytest

from propel_admin.sandbox.server import SandboxServer
from tests.sandbox.conftest import Api, Servers, contact


def test_a_new_id_is_created_then_updated_with_the_same_propeller_id(api: Api) -> None:
    first = api.bulk([contact(25492, firstName="Ann")]).json()
    second = api.bulk([contact(25492, firstName="Anne")]).json()

    created, updated = first["data"][0], second["data"][0]
    assert first["messages"] == ["Completed"]
    assert first["total"] == 1
    assert created == {
        "action": "create",
        "id": 100001,
        "key": 25492,
        "lookupKey": "id",
        "success": True,
    }
    assert updated == {
        "action": "update",
        "id": 100001,
        "key": 25492,
        "lookupKey": "id",
        "success": True,
    }


def test_new_contacts_get_propeller_ids_counting_up(api: Api) -> None:
    data = api.bulk([contact(7), contact(3), contact(9)]).json()["data"]

    assert [item["id"] for item in data] == [100001, 100002, 100003]
    assert [item["key"] for item in data] == [7, 3, 9]


def test_an_update_merges_the_given_fields(api: Api, sandbox: SandboxServer) -> None:
    api.bulk([contact(1, email="ann@example.com", phone="0101")])
    before = sandbox.get_contact(1)
    assert before is not None
    time.sleep(0.01)

    api.bulk([{"id": 1, "phone": "0202", "lastName": "Jones"}])

    stored = sandbox.get_contact(1)
    assert stored is not None
    assert stored["email"] == "ann@example.com"
    assert stored["phone"] == "0202"
    assert stored["lastName"] == "Jones"
    assert stored["firstName"] == "Ann"
    assert stored["id"] == 100001
    assert stored["key"] == 1
    assert stored["updateCount"] == 1
    assert stored["createdAt"] == before["createdAt"]
    assert stored["updatedAt"] > before["updatedAt"]


def test_the_same_id_twice_in_one_batch_is_create_then_update(
    api: Api, sandbox: SandboxServer
) -> None:
    data = api.bulk([contact(1, firstName="A"), {"id": 1, "firstName": "B"}]).json()["data"]

    assert [item["action"] for item in data] == ["create", "update"]
    assert data[0]["id"] == data[1]["id"]
    stored = sandbox.get_contact(1)
    assert stored is not None
    assert stored["firstName"] == "B"
    assert stored["updateCount"] == 1


def test_a_whole_number_float_id_counts_as_that_integer(api: Api) -> None:
    item = api.bulk([contact(1.0)]).json()["data"][0]  # type: ignore[arg-type]

    assert item["key"] == 1
    assert api.bulk([contact(1)]).json()["data"][0]["action"] == "update"


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"parent": {"id": 999999}}, "Parent resource [Company] with id [999999] not found"),
        ({"email": "ann.example.com"}, "Field [email] is not a valid email address"),
        ({"email": "ann@"}, "Field [email] is not a valid email address"),
        (
            {"dateOfBirth": "1993-08-28"},
            "Field [dateOfBirth] is not a valid date (expected DD/MM/YYYY)",
        ),
        (
            {"dateOfBirth": "31/02/1993"},
            "Field [dateOfBirth] is not a valid date (expected DD/MM/YYYY)",
        ),
        ({"gender": "x"}, "Field [gender] must be one of [m, f, u]"),
        (
            {"primaryLanguage": "english"},
            "Field [primaryLanguage] is not a valid ISO 639-1 language code",
        ),
        ({"language": "XX"}, "Field [language] is not a valid ISO 639-1 language code"),
    ],
)
def test_a_bad_field_fails_only_its_item(
    api: Api, sandbox: SandboxServer, fields: dict[str, object], error: str
) -> None:
    response = api.bulk([contact(1), contact(2, **fields), contact(3)])

    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 3
    assert body["messages"] == ["Completed"]
    assert body["data"][1] == {"error": error, "key": 2, "lookupKey": "id", "success": False}
    assert [body["data"][i]["action"] for i in (0, 2)] == ["create", "create"]
    assert sandbox.get_contact(2) is None
    assert sandbox.get_contact(3) is not None


def test_failure_texts_do_not_echo_the_value(api: Api) -> None:
    item = api.bulk([contact(1, email="secret-person@@example")]).json()["data"][0]

    assert item["success"] is False
    assert "secret-person" not in item["error"]


def test_several_problems_of_one_item_are_joined(api: Api) -> None:
    item = api.bulk([contact(1, gender="q", parent={"id": 999999})]).json()["data"][0]

    assert item["error"] == (
        "Field [gender] must be one of [m, f, u]; "
        "Parent resource [Company] with id [999999] not found"
    )


def test_valid_formats_in_either_case_are_accepted(api: Api) -> None:
    items = [
        contact(1, gender="M", primaryLanguage="EN", language="nl", dateOfBirth="29/02/2000"),
        contact(2, gender="f", primaryLanguage="de", email="a.b+c@sub.example.co.uk"),
    ]

    data = api.bulk(items).json()["data"]

    assert [item["success"] for item in data] == [True, True]


def test_a_create_without_parent_fails_but_an_update_without_parent_succeeds(api: Api) -> None:
    missing = api.bulk([{"id": 1, "firstName": "Orphan"}]).json()["data"][0]
    assert missing["success"] is False
    assert missing["error"] == "Field [parent] is required to create a contact"

    api.bulk([contact(2)])
    update = api.bulk([{"id": 2, "firstName": "No parent needed"}]).json()["data"][0]
    assert update["action"] == "update"


def test_parent_can_be_optional_on_create(servers: Servers) -> None:
    _server, api = servers.start(require_parent_on_create=False)

    item = api.bulk([{"id": 1, "firstName": "Orphan"}]).json()["data"][0]

    assert item["action"] == "create"


def test_parent_by_source_id_needs_that_company(api: Api, sandbox: SandboxServer) -> None:
    parent = {"sourceId": "C-1", "source": "ERP"}
    before = api.bulk([contact(1, parent=parent)]).json()["data"][0]
    assert before["error"] == "Parent resource [Company] with sourceId [C-1] not found"

    sandbox.add_companies(sources=[("ERP", "C-1")], ids=[500000])

    data = api.bulk([contact(1, parent=parent), contact(2, parent={"id": 500000})]).json()["data"]
    assert [item["action"] for item in data] == ["create", "create"]


def test_stats_count_contacts_by_outcome(api: Api, sandbox: SandboxServer) -> None:
    api.bulk([contact(1), contact(2), contact(3, email="bad")])
    api.bulk([contact(1)])

    stats = sandbox.stats()
    assert stats["contacts_created"] == 2
    assert stats["contacts_updated"] == 1
    assert stats["contacts_failed"] == 1
    assert stats["requests"]["/v2/contacts/bulk/id"] == {"200": 2}
    assert stats["tokens_issued"] == 1


def test_get_by_id_renders_the_contact(api: Api) -> None:
    api.bulk([contact(42, dateOfBirth="28/08/1993", gender="M", email="ann@example.com")])

    by_key, by_propeller_id = api.get_contact(42), api.get_contact(100001)

    assert by_key.status_code == 200
    assert by_key.json() == by_propeller_id.json()
    data = by_key.json()["data"]
    assert data["id"] == 100001
    assert data["dateOfBirth"] == "August, 28 1993 00:00:00 +0000"
    assert data["firstName"] == "Ann"
    assert data["parent"] == {"id": 5}
    assert data["dateCreated"].endswith(" +0000")
    assert by_key.headers["return-format"] == "json"


def test_get_of_an_unknown_contact_is_50006(api: Api) -> None:
    response = api.get_contact(123)

    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == 50006
    assert error["type"] == "ContactNotFound"
    assert error["messages"] == ["Contact with id [123] not found"]
    assert api.get_contact("abc").status_code == 404


def test_get_with_an_unsupported_lookup_key_is_10006(api: Api) -> None:
    url = f"{api.server.api_url}/contacts/email/a@example.com"
    response = api.session.get(url, headers=api.auth(), timeout=5)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 10006


def test_get_by_source_id_finds_the_contact(api: Api) -> None:
    api.bulk([contact(1, sourceId="ERP-77", source="ERP")])

    url = f"{api.server.api_url}/contacts/sourceId/ERP-77"
    found = api.session.get(url, headers=api.auth(), timeout=5)
    missing = api.session.get(url + "8", headers=api.auth(), timeout=5)

    assert found.json()["data"]["id"] == 100001
    assert missing.json()["error"]["messages"] == ["Contact with sourceId [ERP-778] not found"]

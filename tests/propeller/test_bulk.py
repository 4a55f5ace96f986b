"""Bulk upserts and lookups against the sandbox: results by key, whole-request errors."""

from __future__ import annotations

import json

import pytest

from propel_admin.propeller import (
    LookupKeyMissingError,
    NotFoundError,
    PayloadValidationError,
    PropellerClient,
    SchemaValidationError,
    UnexpectedResponseError,
)

from .conftest import (
    TOKEN_REPLY,
    Reply,
    StubRequest,
    bulk_requests,
    contact,
    json_reply,
    stub_config,
)


def test_it_creates_then_updates_contacts_and_reports_each(sandbox, make_client) -> None:
    client = make_client()
    first = client.bulk_upsert_contacts([contact(1), contact(2)])
    assert [r.key for r in first.results] == [1, 2]
    assert all(r.success and r.action == "create" for r in first.results)
    assert all(isinstance(r.propeller_id, int) for r in first.results)
    assert first.status_code == 200
    assert first.attempts == 1
    assert first.request_id
    assert first.duration_seconds > 0
    second = client.bulk_upsert_contacts([contact(2, firstName="Grace"), contact(1)])
    assert [r.key for r in second.results] == [2, 1]
    assert second.get("2").action == "update"
    assert second.get(2).propeller_id == first.get(2).propeller_id
    stored = client.get_contact(second.get(2).propeller_id)
    assert stored is not None
    assert stored["firstName"] == "Grace"


def test_it_matches_results_by_key_not_position(stub_server) -> None:
    def handler(request: StubRequest) -> Reply:
        if request.path == "/oauth2/token":
            return TOKEN_REPLY
        ids = [c["id"] for c in request.json()["contacts"]]
        data = [
            {
                "success": True,
                "action": "update",
                "id": int(i) + 1000,
                "key": str(i),
                "lookupKey": "id",
            }
            for i in reversed(ids)
        ]
        return json_reply(200, {"data": data, "messages": ["Completed"], "total": len(data)})

    server = stub_server(handler)
    with PropellerClient(stub_config(server)) as client:
        result = client.bulk_upsert_contacts([contact(5), contact("6"), contact(7)])
    assert [r.key for r in result.results] == [5, "6", 7]
    assert [r.propeller_id for r in result.results] == [1005, 1006, 1007]
    assert result.get("5") is result.results[0]
    assert result.messages == ("Completed",)
    assert result.total == 3


def test_per_contact_failures_leave_the_rest_successful(sandbox, make_client) -> None:
    client = make_client()
    result = client.bulk_upsert_contacts(
        [contact(1), contact(2, parent={"id": 999999}), contact(3)]
    )
    assert [r.success for r in result.results] == [True, False, True]
    failed = result.get(2)
    assert failed.error
    assert "999999" in failed.error
    assert failed.propeller_id is None
    assert failed.action is None
    assert result.failed == [failed]
    assert len(result.succeeded) == 2


def test_duplicate_ids_are_refused_before_sending(sandbox, make_client) -> None:
    client = make_client()
    with pytest.raises(ValueError, match="same id"):
        client.bulk_upsert_contacts([contact(5), contact("5")])
    assert bulk_requests(sandbox) == 0


def test_a_schema_error_names_the_contact(sandbox, make_client, recording_sleep) -> None:
    client = make_client()
    contacts = [contact(1), contact(2, company="Acme"), contact(3)]
    with pytest.raises(SchemaValidationError) as caught:
        client.bulk_upsert_contacts(contacts)
    error = caught.value
    assert error.code == 10007
    assert error.status_code == 400
    assert error.permanent
    assert error.attempts == 1
    assert error.contact_indexes == {1: ["extraneous key [company] is not permitted"]}
    assert error.unattributed == []
    assert error.request_id
    assert recording_sleep.delays == []


def test_a_missing_id_is_a_lookup_key_error(sandbox, make_client) -> None:
    client = make_client()
    without_id = {"firstName": "Ada", "parent": {"id": 1}}
    with pytest.raises(LookupKeyMissingError) as caught:
        client.bulk_upsert_contacts([contact(1), without_id])
    assert caught.value.code == 10016
    assert list(caught.value.contact_indexes) == [1]


def test_source_id_without_source_is_a_payload_error(sandbox, make_client) -> None:
    client = make_client()
    with pytest.raises(PayloadValidationError) as caught:
        client.bulk_upsert_contacts([contact(1), contact(2), contact(3, sourceId="X-3")])
    assert caught.value.code == 10017
    assert list(caught.value.contact_indexes) == [2]
    assert caught.value.permanent


def test_get_contact_answers_none_when_absent(sandbox, make_client) -> None:
    assert make_client().get_contact(987654321) is None


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ([{"key": 1, "success": True}], "1 missing"),
        (
            [{"key": 1, "success": True}, {"key": 2, "success": True}, {"key": 3, "success": True}],
            "1 unexpected",
        ),
        ([{"key": 1, "success": True}, {"key": 1, "success": True}], "duplicated"),
        ([{"key": 1, "success": True}, {"key": 9, "success": True}], "1 missing, 1 unexpected"),
        ("not a list", "without a `data` list"),
        ([{"success": False}, {"success": False}], "2 without a `key`, 2 missing"),
        ([{"success": False}], "1 without a `key`, 2 missing"),
        (
            [{"key": 1, "success": True}, {"key": 2}, {"success": False, "error": "x"}],
            "1 without a `key`",
        ),
        (
            [{"key": 1, "success": True}, {"key": 1, "success": True}, {"success": False}],
            "1 without a `key`, 1 missing, 0 unexpected, 1 duplicated",
        ),
        ([{"key": 1, "success": True}, "not an item"], "not an object"),
    ],
)
def test_results_that_do_not_match_what_was_sent_are_unexpected(
    stub_server, data: object, problem: str
) -> None:
    def handler(request: StubRequest) -> Reply:
        if request.path == "/oauth2/token":
            return TOKEN_REPLY
        return json_reply(
            200, {"data": data, "messages": ["Completed"]}, **{"x-request-id": "rid-9"}
        )

    server = stub_server(handler)
    with (
        PropellerClient(stub_config(server)) as client,
        pytest.raises(UnexpectedResponseError) as caught,
    ):
        client.bulk_upsert_contacts([contact(1), contact(2)])
    error = caught.value
    assert problem in str(error)
    assert error.request_id == "rid-9"
    assert error.status_code == 200
    assert error.permanent
    assert error.attempts == 1
    assert json.loads(error.body_excerpt)["messages"] == ["Completed"]
    assert len([r for r in server.requests if r.path.endswith("/bulk/id")]) == 1


def test_the_body_excerpt_is_capped(stub_server) -> None:
    def handler(request: StubRequest) -> Reply:
        if request.path == "/oauth2/token":
            return TOKEN_REPLY
        return 200, {"Content-Type": "text/html"}, b"<html>" + b"x" * 50_000 + b"</html>"

    server = stub_server(handler)
    with (
        PropellerClient(stub_config(server)) as client,
        pytest.raises(UnexpectedResponseError) as caught,
    ):
        client.bulk_upsert_contacts([contact(1)])
    assert "HTML" in str(caught.value)
    assert caught.value.body_excerpt.startswith("<html>")
    assert len(caught.value.body_excerpt) <= 2048


def test_an_oversized_body_is_refused(stub_server) -> None:
    def handler(request: StubRequest) -> Reply:
        if request.path == "/oauth2/token":
            return TOKEN_REPLY
        return json_reply(200, {"data": [], "padding": "x" * 20_000})

    server = stub_server(handler)
    config = stub_config(server, max_response_bytes=10_000)
    with PropellerClient(config) as client, pytest.raises(UnexpectedResponseError, match="larger"):
        client.bulk_upsert_contacts([contact(1)])


BULK_LINKS_FAILURE = {
    "error": "Customer with id [19815] not found",
    "from": {"id": 19815},
    "lookupKey": "id",
    "success": False,
    "to": {"id": 1},
}


def test_a_failed_item_without_key_goes_to_the_one_unmatched_contact(stub_server) -> None:
    def handler(request: StubRequest) -> Reply:
        if request.path == "/oauth2/token":
            return TOKEN_REPLY
        data = [
            {"success": True, "action": "update", "id": 3, "key": 3, "lookupKey": "id"},
            BULK_LINKS_FAILURE,
            {"success": True, "action": "create", "id": 901, "key": 1, "lookupKey": "id"},
        ]
        return json_reply(200, {"data": data, "messages": ["Completed"], "total": 3})

    server = stub_server(handler)
    with PropellerClient(stub_config(server)) as client:
        result = client.bulk_upsert_contacts([contact(1), contact(2), contact(3)])
    assert [r.success for r in result.results] == [True, False, True]
    failed = result.get(2)
    assert failed.key == 2
    assert failed.error == "Customer with id [19815] not found"
    assert failed.propeller_id is None
    assert result.get(1).propeller_id == 901


def _contact_404(body: object) -> Reply:
    return json_reply(404, body)


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"code": 10008, "type": "NotFound", "messages": ["Resource [/x] not found"]}},
        {"message": "Not Found"},
    ],
)
def test_get_contact_raises_for_a_404_that_is_not_contact_not_found(
    stub_server, body: object
) -> None:
    def handler(request: StubRequest) -> Reply:
        return TOKEN_REPLY if request.path == "/oauth2/token" else _contact_404(body)

    server = stub_server(handler)
    with PropellerClient(stub_config(server)) as client, pytest.raises(NotFoundError) as caught:
        client.get_contact(7)
    assert "not Propeller's contact-not-found answer" in str(caught.value)
    assert "is the API URL right? It normally ends in /v2" in str(caught.value)
    assert caught.value.permanent
    assert caught.value.status_code == 404


@pytest.mark.parametrize("path", ["", "/v3"])
def test_get_contact_on_a_wrong_api_path_raises_not_found(sandbox, make_client, path: str) -> None:
    client = make_client(api_url=sandbox.url + path)
    with pytest.raises(NotFoundError, match="It normally ends in /v2"):
        client.get_contact(1)

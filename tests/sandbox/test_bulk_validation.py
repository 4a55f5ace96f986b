"""Whole-request 400s of POST /v2/contacts/bulk/id: codes, types and exact messages."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from tests.sandbox.conftest import Api, Servers, contact

SEED_400 = (
    b'{"error":{"code":10007,"messages":["#/contacts/0: extraneous key [company] is not '
    b'permitted"],"moreInfo":"https://www.propel.us/docs/errors/10007","status":400,'
    b'"type":"SchemaValidationException"}}'
)


def _error(response: requests.Response, code: int) -> list[str]:
    """Assert the envelope's code, type and status; return its messages."""
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    types = {
        10005: "InvalidJSONPayload",
        10007: "SchemaValidationException",
        10016: "LookupKeyNotFound",
        10017: "PayloadValidationError",
    }
    assert error["code"] == code
    assert error["type"] == types[code]
    assert error["status"] == 400
    assert error["moreInfo"] == f"https://www.propel.us/docs/errors/{code}"
    return list(error["messages"])


def test_the_seed_example_is_answered_byte_for_byte(api: Api) -> None:
    response = api.bulk([{"id": 1, "company": "Propel"}])

    assert response.status_code == 400
    assert response.content == SEED_400
    assert response.headers["Content-Length"] == str(len(SEED_400))
    assert api.server.get_contact(1) is None


def test_every_answer_carries_the_documented_headers(api: Api) -> None:
    ok = api.bulk([contact(1)])
    bad = api.bulk([{"id": 1, "company": "x"}])

    for response in (ok, bad):
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["return-format"] == "json"
        assert uuid.UUID(response.headers["x-request-id"]).version == 4
        assert response.headers["Content-Length"] == str(len(response.content))
    assert ok.headers["x-request-id"] != bad.headers["x-request-id"]


@pytest.mark.parametrize(
    "raw", [b'{"contacts": [}', b"", b"\xff\xfe", b'{"contacts": [{"id": NaN}]}', b"[" * 100000]
)
def test_a_body_that_is_not_json_is_10005(api: Api, raw: bytes) -> None:
    messages = _error(api.bulk(raw=raw), 10005)

    assert messages == ["Request body is not valid JSON"]


@pytest.mark.parametrize(
    ("body", "messages"),
    [
        ({}, ["#: required key [contacts] not found"]),
        ({"contacts": {"id": 1}}, ["#/contacts: expected type: JSONArray, found: JSONObject"]),
        ({"contacts": "x"}, ["#/contacts: expected type: JSONArray, found: String"]),
        ([{"id": 1}], ["#: expected type: JSONObject, found: JSONArray"]),
        (
            {"contacts": [], "page": 1},
            ["#: extraneous key [page] is not permitted"],
        ),
    ],
)
def test_a_malformed_envelope_is_10007(api: Api, body: Any, messages: list[str]) -> None:
    assert _error(api.bulk(body=body), 10007) == messages


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("x", "#/contacts/0: expected type: JSONObject, found: String"),
        ([1], "#/contacts/0: expected type: JSONObject, found: JSONArray"),
        ({"id": "12"}, "#/contacts/0/id: expected type: Number, found: String"),
        ({"id": True}, "#/contacts/0/id: expected type: Number, found: Boolean"),
        ({"id": None}, "#/contacts/0/id: expected type: Number, found: Null"),
        ({"id": 1.5}, "#/contacts/0/id: expected type: Integer, found: BigDecimal"),
        ({"id": 0}, "#/contacts/0/id: 0 is not greater or equal to 1"),
        (
            {"id": 1, "firstName": 7},
            "#/contacts/0/firstName: expected type: String, found: Integer",
        ),
        ({"id": 1, "phone": 32445}, "#/contacts/0/phone: expected type: String, found: Integer"),
        ({"id": 1, "email": None}, "#/contacts/0/email: expected type: String, found: Null"),
        (
            {"id": 1, "debtorId": False},
            "#/contacts/0/debtorId: expected type: one of [Number, String], found: Boolean",
        ),
        ({"id": 1, "parent": 5}, "#/contacts/0/parent: expected type: JSONObject, found: Integer"),
        (
            {"id": 1, "parent": {"id": "5"}},
            "#/contacts/0/parent/id: expected type: Number, found: String",
        ),
        ({"id": 1, "parent": {}}, "#/contacts/0/parent: required key [id] not found"),
        (
            {"id": 1, "parent": {"sourceId": "C1"}},
            "#/contacts/0/parent: required key [source] not found",
        ),
        (
            {"id": 1, "parent": {"id": 5, "name": "x"}},
            "#/contacts/0/parent: extraneous key [name] is not permitted",
        ),
        (
            {"id": 1, "mobile": "0612", "fullName": "A"},
            "#/contacts/0: extraneous key [fullName] is not permitted",
        ),
    ],
)
def test_a_contact_of_the_wrong_shape_is_10007(api: Api, item: Any, message: str) -> None:
    assert _error(api.bulk([item]), 10007) == [message]


def test_all_schema_violations_are_listed_with_their_row(api: Api) -> None:
    items = [
        contact(1),
        {"id": "2", "company": "x"},
        contact(3),
        {"id": 4, "company": "y", "firstName": 1},
    ]

    messages = _error(api.bulk(items), 10007)

    assert messages == [
        "#/contacts/1/id: expected type: Number, found: String",
        "#/contacts/1: extraneous key [company] is not permitted",
        "#/contacts/3: extraneous key [company] is not permitted",
        "#/contacts/3/firstName: expected type: String, found: Integer",
    ]
    assert api.server.get_contact(1) is None


def test_the_allowed_keys_are_the_fields_table_plus_language_and_mobile(api: Api) -> None:
    item = contact(
        1,
        debtorId="D-1",
        middleName="van",
        abbreviation="AS",
        title="Dr",
        dateOfBirth="28/08/1993",
        gender="F",
        ssn="123",
        phone="0032445888",
        email="ann@example.com",
        primaryLanguage="EN",
        sourceId="S1",
        source="ERP",
        language="NL",
        mobile="0612345678",
    )

    response = api.bulk([item])

    assert response.status_code == 200, response.text
    assert response.json()["data"][0]["success"] is True


def test_contacts_without_an_id_are_10016_per_row(api: Api) -> None:
    items = [contact(1), {"firstName": "No id"}, contact(3), {"email": "x@example.com"}]

    messages = _error(api.bulk(items), 10016)

    assert messages == [
        "#/contacts/1: lookup key [id] not found",
        "#/contacts/3: lookup key [id] not found",
    ]
    assert api.server.get_contact(1) is None


def test_schema_errors_win_over_missing_ids(api: Api) -> None:
    messages = _error(api.bulk([{"firstName": "No id"}, {"id": 2, "company": "x"}]), 10007)

    assert messages == ["#/contacts/1: extraneous key [company] is not permitted"]


def test_a_source_id_without_source_is_10017_per_row(api: Api) -> None:
    items = [contact(1, sourceId="S1", source="ERP"), contact(2, sourceId="S2")]

    messages = _error(api.bulk(items), 10017)

    assert messages == ["#/contacts/1: [source] is required when [sourceId] is provided"]
    assert api.server.get_contact(1) is None


def test_more_contacts_than_max_bulk_is_10017(servers: Servers) -> None:
    _server, api = servers.start(max_bulk=3)

    messages = _error(api.bulk([contact(i) for i in range(1, 5)]), 10017)

    assert messages == ["#/contacts: at most 3 contacts are allowed per request, found 4"]
    assert api.bulk([contact(i) for i in range(1, 4)]).status_code == 200


def test_the_default_max_bulk_is_2000(api: Api) -> None:
    assert api.bulk([contact(i) for i in range(1, 2002)]).status_code == 400
    response = api.bulk([contact(i) for i in range(1, 2001)])
    assert response.status_code == 200
    assert response.json()["total"] == 2000

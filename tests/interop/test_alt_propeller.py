"""The alternative server itself answers as the reference documents (no database)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.interop.alt_propeller import AltPropeller

TIMEOUT = 5.0


@pytest.fixture
def alt() -> Iterator[AltPropeller]:
    server = AltPropeller(company_ids=[9482], token_ttl=1800)
    server.start()
    yield server
    server.stop()


def _token(alt: AltPropeller, **kwargs: Any) -> requests.Response:
    return requests.post(alt.token_url, timeout=TIMEOUT, **kwargs)


def _bulk(alt: AltPropeller, token: str, body: Any) -> requests.Response:
    return requests.post(
        f"{alt.api_url}/contacts/bulk/id",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )


def _form(alt: AltPropeller) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": alt.client_id,
        "client_secret": alt.client_secret,
    }


def test_a_token_comes_for_form_fields_or_basic_auth(alt: AltPropeller) -> None:
    by_form = _token(alt, data=_form(alt))
    by_basic = _token(
        alt, data={"grant_type": "client_credentials"}, auth=(alt.client_id, alt.client_secret)
    )
    for response in (by_form, by_basic):
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "BearerToken"
        assert body["expires_in"] == "1799"
        assert body["status"] == "approved"
        assert "refresh_token" not in body
    assert _token(alt, data={**_form(alt), "client_secret": "wrong"}).status_code == 401
    assert _token(alt, data={**_form(alt), "grant_type": "password"}).status_code == 400


def test_bulk_upserts_by_id_and_answers_per_contact(alt: AltPropeller) -> None:
    token = _token(alt, data=_form(alt)).json()["access_token"]
    contacts = [
        {"id": 25492, "firstName": "Ann", "parent": {"id": 9482}, "gender": "M"},
        {"id": 25493, "parent": {"id": 19815}},
        {"id": 25494, "firstName": "No parent"},
    ]
    first = _bulk(alt, token, {"contacts": contacts})
    assert first.status_code == 200
    assert first.headers["return-format"] == "json"
    assert first.headers["x-request-id"]
    assert first.json() == {
        "data": [
            {"action": "create", "id": 25492, "key": 25492, "lookupKey": "id", "success": True},
            {
                "success": False,
                "lookupKey": "id",
                "key": 25493,
                "error": "Parent resource [Company] with id [19815] not found",
            },
            {
                "success": False,
                "lookupKey": "id",
                "key": 25494,
                "error": "Parent resource [Company] is required to create a contact",
            },
        ],
        "messages": ["Completed"],
        "total": 3,
    }
    again = _bulk(alt, token, {"contacts": [{"id": 25492, "lastName": "Smith"}]})
    assert again.json()["data"][0]["action"] == "update"
    assert alt.get_contact(25492) == {
        "id": 25492,
        "firstName": "Ann",
        "lastName": "Smith",
        "parent": {"id": 9482},
        "gender": "M",
    }


def test_the_seeds_400_example_and_other_whole_request_errors(alt: AltPropeller) -> None:
    token = _token(alt, data=_form(alt)).json()["access_token"]
    refused = _bulk(alt, token, {"contacts": [{"id": 1, "company": "x"}]})
    assert refused.status_code == 400
    assert refused.json() == {
        "error": {
            "code": 10007,
            "messages": ["#/contacts/0: extraneous key [company] is not permitted"],
            "moreInfo": "https://www.propel.us/docs/errors/10007",
            "status": 400,
            "type": "SchemaValidationException",
        }
    }
    wrong_type = _bulk(alt, token, {"contacts": [{"id": "2"}, {"id": 3, "firstName": 4}]})
    assert wrong_type.json()["error"]["messages"] == [
        "#/contacts/0/id: expected type: Number, found: String",
        "#/contacts/1/firstName: expected type: String, found: Integer",
    ]
    no_id = _bulk(alt, token, {"contacts": [{"firstName": "x"}]})
    assert (no_id.status_code, no_id.json()["error"]["code"]) == (400, 10016)
    broken = requests.post(
        f"{alt.api_url}/contacts/bulk/id",
        data=b"{not json",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=TIMEOUT,
    )
    assert (broken.status_code, broken.json()["error"]["code"]) == (400, 10005)
    assert alt.get_contact(1) is None
    assert alt.get_contact(3) is None


def test_a_missing_wrong_or_expired_token_is_refused(alt: AltPropeller) -> None:
    token = _token(alt, data=_form(alt)).json()["access_token"]
    body = {"contacts": [{"id": 1, "parent": {"id": 9482}}]}
    assert _bulk(alt, "not-a-token", body).status_code == 401
    assert requests.post(f"{alt.api_url}/contacts/bulk/id", json=body, timeout=5).status_code == 401
    alt.expire_tokens()
    expired = _bulk(alt, token, body)
    assert expired.status_code == 401
    assert expired.json()["error"]["type"] == "Unauthorized"

"""The token endpoint and Bearer checks on /v2."""

from __future__ import annotations

import base64
import time

import requests

from propel_admin.sandbox.faults import FaultConfig
from propel_admin.sandbox.server import SandboxServer
from tests.sandbox.conftest import TIMEOUT, Api, Servers, contact

TOKEN_FIELDS = {
    "access_token",
    "token_type",
    "expires_in",
    "issued_at",
    "client_id",
    "application_name",
    "api_product_list",
    "api_product_list_json",
    "organization_name",
    "developer.email",
    "refresh_count",
    "refresh_token_expires_in",
    "scope",
    "status",
}


def _error(response: requests.Response) -> dict[str, object]:
    error = response.json()["error"]
    assert isinstance(error, dict)
    return error


def test_it_issues_an_apigee_style_token_from_form_credentials(api: Api) -> None:
    before_ms = int(time.time() * 1000)
    response = api.token_response(
        client_id=api.server.client_id, client_secret=api.server.client_secret
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == TOKEN_FIELDS
    assert body["token_type"] == "BearerToken"
    assert body["expires_in"] == "1800"
    assert body["client_id"] == "sandbox-client"
    assert body["refresh_count"] == "0"
    assert body["refresh_token_expires_in"] == "0"
    assert body["scope"] == ""
    assert body["status"] == "approved"
    assert isinstance(body["api_product_list_json"], list)
    strings = {k: v for k, v in body.items() if k != "api_product_list_json"}
    assert all(isinstance(value, str) for value in strings.values())
    assert before_ms <= int(body["issued_at"]) <= int(time.time() * 1000)
    assert len(body["access_token"]) >= 32


def test_it_issues_a_token_for_basic_credentials(api: Api) -> None:
    pair = f"{api.server.client_id}:{api.server.client_secret}".encode()
    headers = {"Authorization": "Basic " + base64.b64encode(pair).decode()}
    response = api.session.post(
        api.server.token_url,
        data={"grant_type": "client_credentials"},
        headers=headers,
        timeout=TIMEOUT,
    )

    assert response.status_code == 200
    token = response.json()["access_token"]
    assert api.bulk([contact(1)], token=token).status_code == 200


def test_tokens_differ_per_request(api: Api) -> None:
    assert api.token() != api.token()


def test_it_rejects_a_wrong_secret_with_401(api: Api) -> None:
    response = api.token_response(client_id=api.server.client_id, client_secret="nope")

    assert response.status_code == 401
    error = _error(response)
    assert error["type"] == "Unauthorized"
    assert error["status"] == 401
    assert error["messages"] == ["Client credentials are invalid"]


def test_it_rejects_an_unknown_client_and_missing_credentials_with_401(api: Api) -> None:
    unknown = api.token_response(client_id="someone", client_secret="sandbox-secret")
    missing = api.token_response()

    assert unknown.status_code == 401
    assert missing.status_code == 401
    assert _error(missing)["messages"] == ["Client credentials are missing"]


def test_it_rejects_a_bad_grant_type_with_400(api: Api) -> None:
    response = api.token_response(
        grant_type="password",
        client_id=api.server.client_id,
        client_secret=api.server.client_secret,
    )

    assert response.status_code == 400
    assert _error(response)["code"] == 400
    assert "grant type" in str(_error(response)["messages"])


def test_v2_without_a_token_is_401(api: Api) -> None:
    url = api.server.api_url + "/contacts/bulk/id"
    response = api.session.post(url, json={"contacts": [contact(1)]}, timeout=TIMEOUT)

    assert response.status_code == 401
    assert _error(response)["type"] == "Unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.server.get_contact(1) is None


def test_v2_with_an_unknown_token_is_401(api: Api) -> None:
    assert api.bulk([contact(1)], token="made-up").status_code == 401
    assert api.get_contact(1, token="made-up").status_code == 401


def test_a_token_stops_working_after_its_ttl(servers: Servers) -> None:
    _, api = servers.start(token_ttl=0.3)
    token_body = api.token_response(
        client_id=api.server.client_id, client_secret=api.server.client_secret
    ).json()
    assert token_body["expires_in"] == "0.3"
    token = token_body["access_token"]
    assert api.bulk([contact(1)], token=token).status_code == 200

    time.sleep(0.4)

    response = api.bulk([contact(2)], token=token)
    assert response.status_code == 401
    assert _error(response)["messages"] == ["OAuth2 access token is invalid or expired"]


def test_expire_tokens_invalidates_every_issued_token(api: Api, sandbox: SandboxServer) -> None:
    first, second = api.token(), api.token()
    assert api.bulk([contact(1)], token=first).status_code == 200

    assert sandbox.expire_tokens() == 2

    assert api.bulk([contact(2)], token=first).status_code == 401
    assert api.bulk([contact(2)], token=second).status_code == 401
    assert api.bulk([contact(2)], token=api.token()).status_code == 200


def test_the_readonly_client_gets_403_naming_the_missing_scopes(api: Api) -> None:
    token = api.token(api.server.readonly_client_id, api.server.readonly_client_secret)

    response = api.bulk([contact(1)], token=token)

    assert response.status_code == 403
    error = _error(response)
    assert error["type"] == "Forbidden"
    assert "contacts:write" in str(error["messages"])
    assert "bulk:write" in str(error["messages"])
    assert api.server.get_contact(1) is None


def test_the_readonly_client_may_read_contacts(api: Api) -> None:
    api.bulk([contact(1)])
    token = api.token(api.server.readonly_client_id, api.server.readonly_client_secret)

    assert api.get_contact(1, token=token).status_code == 200


def test_a_token_ttl_fault_overrides_the_lifetime(api: Api, sandbox: SandboxServer) -> None:
    sandbox.set_faults(FaultConfig(token_ttl=2.5))

    body = api.token_response(
        client_id=api.server.client_id, client_secret=api.server.client_secret
    ).json()

    assert body["expires_in"] == "2.5"

"""The /__sandbox/ control endpoints, routing errors, and the server's lifecycle."""

from __future__ import annotations

import pytest
import requests

from propel_admin.sandbox.server import SandboxServer
from tests.sandbox.conftest import TIMEOUT, Api, Servers, contact, sandbox_threads

CONTROLS = [
    ("GET", "faults"),
    ("POST", "faults"),
    ("POST", "reset"),
    ("POST", "expire-tokens"),
    ("GET", "stats"),
    ("POST", "companies"),
]


@pytest.mark.parametrize(("method", "name"), CONTROLS)
@pytest.mark.parametrize("key", [None, "wrong-key"])
def test_control_endpoints_need_the_admin_key(
    api: Api, method: str, name: str, key: str | None
) -> None:
    response = api.control(method, name, json={}, key=key)

    assert response.status_code == 403
    assert response.json()["error"]["type"] == "Forbidden"


def test_faults_can_be_set_and_read_over_http(api: Api, sandbox: SandboxServer) -> None:
    response = api.control("POST", "faults", json={"rate_429": 1, "retry_after": 3})

    assert response.status_code == 200
    assert sandbox.faults.rate_429 == 1
    assert api.control("GET", "faults").json()["retry_after"] == 3
    assert api.bulk([contact(1)]).status_code == 429
    assert api.control("POST", "faults", json={}).status_code == 200
    assert api.bulk([contact(1)]).status_code == 200


def test_bad_fault_settings_are_400(api: Api) -> None:
    response = api.control("POST", "faults", json={"rate_429": 2})

    assert response.status_code == 400
    assert "between 0 and 1" in response.json()["error"]["messages"][0]
    assert api.control("POST", "faults", json={"nope": 1}).status_code == 400


def test_reset_empties_the_store_and_forgets_tokens(api: Api, sandbox: SandboxServer) -> None:
    token = api.token()
    api.bulk([contact(1)], token=token)

    assert api.control("POST", "reset").status_code == 200

    assert sandbox.get_contact(1) is None
    assert api.bulk([contact(1)], token=token).status_code == 401
    new = api.bulk([contact(1)], token=api.token()).json()["data"][0]
    assert (new["action"], new["id"]) == ("create", 100001)


def test_expire_tokens_over_http(api: Api) -> None:
    token = api.token()

    assert api.control("POST", "expire-tokens").json() == {"expired": 1}
    assert api.bulk([contact(1)], token=token).status_code == 401


def test_stats_over_http(api: Api) -> None:
    api.bulk([contact(1)])

    stats = api.control("GET", "stats").json()

    assert stats["contacts_created"] == 1
    assert stats["requests"]["/oauth2/token"] == {"200": 1}


def test_companies_can_be_added(api: Api) -> None:
    assert api.bulk([contact(1, parent={"id": 777777})]).json()["data"][0]["success"] is False

    response = api.control("POST", "companies", json={"ids": [777777]})

    assert response.json() == {"added": 1}
    assert api.bulk([contact(1, parent={"id": 777777})]).json()["data"][0]["success"] is True
    assert api.control("POST", "companies", json={"ids": ["x"]}).status_code == 400


def test_an_unknown_path_is_10008(api: Api) -> None:
    response = api.session.get(api.server.url + "/v2/products", timeout=TIMEOUT)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == 10008
    assert response.json()["error"]["type"] == "NotFound"


def test_a_wrong_method_is_405(api: Api) -> None:
    response = api.session.get(api.server.api_url + "/contacts/bulk/id", timeout=TIMEOUT)

    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert api.session.delete(api.server.token_url, timeout=TIMEOUT).status_code == 405


def test_keep_alive_reuses_one_connection(api: Api, sandbox: SandboxServer) -> None:
    token = api.token()
    for number in range(1, 4):
        assert api.bulk([contact(number)], token=token).status_code == 200

    assert sandbox.stats()["connections_opened"] == 1


def test_stop_leaves_no_threads_and_refuses_connections(servers: Servers) -> None:
    server, api = servers.start()
    api.bulk([contact(1)])  # leaves a keep-alive connection open
    assert sandbox_threads(server.port)

    server.stop()

    assert sandbox_threads(server.port) == []
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + "/__sandbox/stats", timeout=1)


def test_a_context_manager_starts_and_stops() -> None:
    with SandboxServer(port=0) as server:
        assert requests.get(server.url + "/nowhere", timeout=TIMEOUT).status_code == 404
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + "/nowhere", timeout=1)

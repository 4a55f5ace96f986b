"""Tokens: form then Basic credentials, caching, sharing through Redis, expiry, 401s."""

from __future__ import annotations

import base64
import socket
import threading
import time
from typing import Any

import pytest
import redis
from cryptography.fernet import Fernet
from redis.backoff import NoBackoff
from redis.retry import Retry

from propel_admin.propeller import (
    AuthenticationError,
    ForbiddenError,
    MemoryTokenStore,
    PropellerClient,
    RedisTokenStore,
    token_namespace,
)
from propel_admin.propeller.oauth import Token

from .conftest import (
    TOKEN_REPLY,
    Reply,
    StubRequest,
    bulk_requests,
    contact,
    json_reply,
    stub_config,
)

FERNET_KEY = Fernet.generate_key()


def tokens_issued(sandbox: Any) -> int:
    return int(sandbox.stats()["tokens_issued"])


def redis_store(connection: redis.Redis, config: Any) -> RedisTokenStore:
    return RedisTokenStore(
        connection, token_namespace(config.token_url, config.client_id), FERNET_KEY
    )


def test_it_gets_a_token_with_form_credentials_and_reuses_it(sandbox, make_client) -> None:
    client = make_client()
    assert client.get_contact(424242) is None
    assert client.get_contact(424243) is None
    assert tokens_issued(sandbox) == 1
    assert client.token_store.get() is not None


def test_it_falls_back_to_basic_credentials_when_the_form_is_refused(stub_server) -> None:
    def handler(request: StubRequest) -> Reply:
        if request.path == "/oauth2/token":
            expected = base64.b64encode(b"stub-client:stub-secret-value").decode()
            if request.headers.get("Authorization") != f"Basic {expected}":
                return json_reply(401, {"error": "invalid_client"})
            if (
                b"client_secret" in request.body
                or b"grant_type=client_credentials" not in request.body
            ):
                return json_reply(400, {"error": "invalid_request"})
            return json_reply(200, {"access_token": "basic-token", "expires_in": 1800})
        assert request.headers["Authorization"] == "Bearer basic-token"
        return json_reply(404, {"error": {"code": 50006, "status": 404}})

    server = stub_server(handler)
    with PropellerClient(stub_config(server)) as client:
        assert client.get_contact(7) is None
    token_calls = [r for r in server.requests if r.path == "/oauth2/token"]
    assert len(token_calls) == 2
    assert b"client_secret=stub-secret-value" in token_calls[0].body
    assert "Authorization" not in token_calls[0].headers


def basic_only_token_endpoint(request: StubRequest) -> Reply:
    """A token endpoint that accepts only HTTP Basic credentials."""
    if request.path == "/oauth2/token":
        if not request.headers.get("Authorization", "").startswith("Basic "):
            return json_reply(401, {"error": "invalid_client"})
        return json_reply(200, {"access_token": "basic-token", "expires_in": 1800})
    return json_reply(404, {"error": {"code": 50006, "status": 404}})


def token_methods(server: Any) -> list[str]:
    return [
        "basic" if "Authorization" in r.headers else "form"
        for r in server.requests
        if r.path == "/oauth2/token"
    ]


def test_it_remembers_that_basic_credentials_worked(stub_server) -> None:
    server = stub_server(basic_only_token_endpoint)
    config = stub_config(server)
    with PropellerClient(config) as client:
        client.get_contact(7)
        client.token_store.invalidate("basic-token")
        client.get_contact(7)
    with PropellerClient(config) as again:
        again.get_contact(7)
    assert token_methods(server) == ["form", "basic", "basic", "basic"]


def test_it_switches_back_when_the_remembered_method_stops_working(stub_server) -> None:
    basic_works = [True]

    def handler(request: StubRequest) -> Reply:
        if request.path == "/oauth2/token" and not basic_works[0]:
            if "Authorization" in request.headers:
                return json_reply(400, {"error": "invalid_request"})
            return json_reply(200, {"access_token": "form-token", "expires_in": 1800})
        return basic_only_token_endpoint(request)

    server = stub_server(handler)
    with PropellerClient(stub_config(server)) as client:
        client.get_contact(7)
        basic_works[0] = False
        client.token_store.invalidate("basic-token")
        client.get_contact(7)
        client.token_store.invalidate("form-token")
        client.get_contact(7)
    assert token_methods(server) == ["form", "basic", "basic", "form", "form"]


def test_a_wrong_secret_raises_authentication_error_at_once(make_client, recording_sleep) -> None:
    client = make_client(client_secret="not-the-secret")
    with pytest.raises(AuthenticationError) as caught:
        client.bulk_upsert_contacts([contact(1)])
    assert caught.value.permanent
    assert caught.value.attempts == 1
    assert "not-the-secret" not in str(caught.value)
    assert recording_sleep.delays == []


def test_a_read_only_key_gets_forbidden_without_retries(
    sandbox, make_client, recording_sleep
) -> None:
    client = make_client(
        client_id=sandbox.readonly_client_id, client_secret=sandbox.readonly_client_secret
    )
    with pytest.raises(ForbiddenError) as caught:
        client.bulk_upsert_contacts([contact(1)])
    assert caught.value.status_code == 403
    assert caught.value.attempts == 1
    assert caught.value.permanent
    assert recording_sleep.delays == []
    assert bulk_requests(sandbox) == 1
    assert "contacts:write and bulk:write" in str(caught.value)
    assert caught.value.scopes == ("contacts:write", "bulk:write")


def test_a_403_on_get_contact_names_contacts_read(stub_server, recording_sleep) -> None:
    def handler(request: StubRequest) -> Reply:
        if request.path == "/oauth2/token":
            return TOKEN_REPLY
        return json_reply(403, {"error": {"code": 403, "type": "Forbidden"}})

    server = stub_server(handler)
    with (
        PropellerClient(stub_config(server), sleep=recording_sleep) as client,
        pytest.raises(ForbiddenError) as caught,
    ):
        client.get_contact(7)
    assert "contacts:read" in str(caught.value)
    assert "bulk:write" not in str(caught.value)
    assert recording_sleep.delays == []


def test_two_clients_share_one_token_through_redis(
    sandbox, make_client, make_config, redis_conn
) -> None:
    config = make_config()
    first = make_client(token_store=redis_store(redis_conn, config))
    second = make_client(token_store=redis_store(redis_conn, config))
    first.bulk_upsert_contacts([contact(1)])
    second.bulk_upsert_contacts([contact(2)])
    assert second.get_contact(1) is not None
    assert tokens_issued(sandbox) == 1


def test_the_token_in_redis_is_encrypted(sandbox, make_client, make_config, redis_conn) -> None:
    config = make_config()
    store = redis_store(redis_conn, config)
    make_client(token_store=store).bulk_upsert_contacts([contact(1)])
    token = store.get()
    assert token is not None
    assert len(token.access_token) > 10
    keys = list(redis_conn.scan_iter("*"))
    assert (
        f"propel:propeller-token:{token_namespace(config.token_url, config.client_id)}".encode()
        in keys
    )
    for key in keys:
        if redis_conn.type(key) == b"string":
            value = redis_conn.get(key) or b""
            assert token.access_token.encode() not in value
            assert config.client_secret.encode() not in value
    ttl = redis_conn.pttl(store.key)
    assert 0 < ttl <= 1800 * 1000


def test_only_one_process_fetches_while_the_others_wait(redis_conn) -> None:
    fetches: list[int] = []

    def slow_fetch() -> Token:
        fetches.append(1)
        time.sleep(0.3)
        return Token("shared-token", expires_at=time.time() + 1800, lifetime=1800)

    stores = [RedisTokenStore(redis_conn, "ns-test", FERNET_KEY) for _ in range(4)]
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda s=s: results.append(s.get_or_fetch(slow_fetch).access_token))
        for s in stores
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["shared-token"] * 4
    assert len(fetches) == 1


def test_a_token_cached_under_another_key_is_ignored(redis_conn) -> None:
    writer = RedisTokenStore(redis_conn, "ns-rotate", Fernet.generate_key())
    writer.get_or_fetch(lambda: Token("old", expires_at=time.time() + 1800, lifetime=1800))
    reader = RedisTokenStore(redis_conn, "ns-rotate", FERNET_KEY)
    assert reader.get() is None
    assert reader.get_or_fetch(lambda: Token("new", time.time() + 1800, 1800)).access_token == "new"


def test_invalidate_keeps_a_token_someone_else_already_replaced(redis_conn) -> None:
    store = RedisTokenStore(redis_conn, "ns-invalidate", FERNET_KEY)
    store.get_or_fetch(lambda: Token("newer", expires_at=time.time() + 1800, lifetime=1800))
    store.invalidate("older")
    token = store.get()
    assert token is not None
    assert token.access_token == "newer"
    store.invalidate("newer")
    assert store.get() is None


@pytest.mark.parametrize("store_kind", ["memory", "redis"])
def test_an_expired_token_is_fetched_again_once(
    sandbox, make_client, make_config, redis_conn, store_kind: str
) -> None:
    store = MemoryTokenStore() if store_kind == "memory" else redis_store(redis_conn, make_config())
    client = make_client(token_store=store)
    client.bulk_upsert_contacts([contact(1)])
    sandbox.expire_tokens()
    result = client.bulk_upsert_contacts([contact(1, firstName="Grace")])
    assert result.get(1).success
    assert result.get(1).action == "update"
    assert result.attempts == 1
    assert tokens_issued(sandbox) == 2
    assert client.get_contact(1) is not None
    assert tokens_issued(sandbox) == 2


def test_a_short_lived_token_is_renewed_before_it_expires(sandbox, make_client) -> None:
    from propel_admin.sandbox.faults import FaultConfig

    sandbox.set_faults(FaultConfig(token_ttl=1.0))
    client = make_client()
    client.get_contact(5)
    time.sleep(0.85)  # past the early margin (1/5 of the lifetime), not yet expired
    client.get_contact(5)
    assert tokens_issued(sandbox) == 2
    assert "401" not in str(sandbox.stats()["requests"])


def test_a_second_401_is_an_authentication_error(stub_server, recording_sleep) -> None:
    def handler(request: StubRequest) -> Reply:
        if request.path == "/oauth2/token":
            return TOKEN_REPLY
        return json_reply(401, {"error": {"code": 401, "messages": ["invalid token"]}})

    server = stub_server(handler)
    client = PropellerClient(stub_config(server), sleep=recording_sleep)
    with pytest.raises(AuthenticationError) as caught:
        client.bulk_upsert_contacts([contact(1)])
    assert caught.value.permanent
    assert caught.value.status_code == 401
    paths = [r.path for r in server.requests]
    assert paths == [
        "/oauth2/token",
        "/v2/contacts/bulk/id",
        "/oauth2/token",
        "/v2/contacts/bulk/id",
    ]
    assert recording_sleep.delays == []
    client.close()


def test_without_redis_the_token_is_kept_in_the_process(caplog) -> None:
    dead = redis.Redis(
        host="127.0.0.1", port=_free_port(), socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)
    )
    store = RedisTokenStore(dead, "ns-down", FERNET_KEY)
    fetches: list[int] = []

    def fetch() -> Token:
        fetches.append(1)
        return Token("local-token", expires_at=time.time() + 1800, lifetime=1800)

    assert store.get_or_fetch(fetch).access_token == "local-token"
    assert store.get_or_fetch(fetch).access_token == "local-token"
    assert len(fetches) == 1
    assert "token cache unavailable (ConnectionError)" in caplog.text
    store.invalidate("local-token")
    assert store.get() is None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])

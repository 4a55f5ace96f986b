"""Faults over real HTTP: 429s, 5xx, timeouts, drops, HTML, truncation, trickling."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from email.utils import formatdate
from typing import Any

import pytest

from propel_admin.propeller import (
    PropellerClient,
    PropellerConnectionError,
    PropellerTimeout,
    RateLimitedError,
    ServerError,
    UnexpectedResponseError,
)
from propel_admin.sandbox.faults import FaultConfig

from .conftest import (
    HANG,
    TOKEN_REPLY,
    RecordingSleep,
    Reply,
    StubRequest,
    bulk_requests,
    contact,
    json_reply,
    stub_config,
)


def healing_sleep(
    sandbox: Any, recorder: RecordingSleep, *, real: bool = False
) -> Callable[[float], None]:
    """A sleep that records the delay and then turns the sandbox's faults off."""

    def sleep(seconds: float) -> None:
        recorder(seconds)
        sandbox.set_faults(FaultConfig())
        if real:
            time.sleep(seconds)

    return sleep


def test_a_429_waits_retry_after_seconds_then_succeeds(
    sandbox, make_client, recording_sleep
) -> None:
    sandbox.set_faults(FaultConfig(rate_429=1.0, retry_after=1, retry_after_format="seconds"))
    client = make_client(sleep=healing_sleep(sandbox, recording_sleep, real=True))
    started = time.monotonic()
    result = client.bulk_upsert_contacts([contact(1)])
    assert result.get(1).success
    assert result.attempts == 2
    assert recording_sleep.delays == [1.0]
    assert time.monotonic() - started >= 1.0
    assert bulk_requests(sandbox, "429") == 1
    assert bulk_requests(sandbox, "200") == 1


def test_a_429_with_an_http_date_is_honoured(sandbox, make_client, recording_sleep) -> None:
    sandbox.set_faults(FaultConfig(rate_429=1.0, retry_after=2, retry_after_format="http-date"))
    client = make_client(sleep=healing_sleep(sandbox, recording_sleep))
    result = client.bulk_upsert_contacts([contact(1)])
    assert result.attempts == 2
    assert result.get(1).success
    [delay] = recording_sleep.delays
    assert 0.5 <= delay <= 2.0  # HTTP dates have whole-second resolution


def test_a_retry_after_above_the_cap_is_raised_at_once(
    sandbox, make_client, recording_sleep
) -> None:
    sandbox.set_faults(FaultConfig(rate_429=1.0, retry_after=120))
    client = make_client(retry_after_cap=60)
    started = time.monotonic()
    with pytest.raises(RateLimitedError) as caught:
        client.bulk_upsert_contacts([contact(1)])
    assert caught.value.retry_after == 120.0
    assert caught.value.retryable
    assert caught.value.attempts == 1
    assert recording_sleep.delays == []
    assert bulk_requests(sandbox) == 1
    assert time.monotonic() - started < 1.0


def test_persistent_429s_end_in_rate_limited_error(sandbox, make_client, recording_sleep) -> None:
    sandbox.set_faults(FaultConfig(rate_429=1.0, retry_after=1))
    with pytest.raises(RateLimitedError) as caught:
        make_client(max_attempts=3).bulk_upsert_contacts([contact(1)])
    assert caught.value.attempts == 3
    assert caught.value.retryable
    assert recording_sleep.delays == [1.0, 1.0]
    assert bulk_requests(sandbox, "429") == 3


def test_a_500_is_retried_then_succeeds(sandbox, make_client, recording_sleep) -> None:
    sandbox.set_faults(FaultConfig(rate_500=1.0))
    client = make_client(sleep=healing_sleep(sandbox, recording_sleep))
    result = client.bulk_upsert_contacts([contact(1), contact(2)])
    assert result.attempts == 2
    assert [r.action for r in result.results] == ["create", "create"]
    assert bulk_requests(sandbox, "500") == 1


def test_persistent_500s_raise_server_error_after_jittered_backoff(
    sandbox, make_client, make_config, recording_sleep
) -> None:
    from propel_admin.propeller import PropellerClient

    sandbox.set_faults(FaultConfig(rate_500=1.0))
    config = make_config(max_attempts=4, backoff_base=0.5, backoff_cap=1.5)
    client = PropellerClient(config, sleep=recording_sleep, rng=random.Random(7))
    with pytest.raises(ServerError) as caught:
        client.bulk_upsert_contacts([contact(1)])
    client.close()
    assert caught.value.status_code == 500
    assert caught.value.attempts == 4
    assert caught.value.retryable
    assert caught.value.request_id
    expected_rng = random.Random(7)
    assert recording_sleep.delays == [expected_rng.uniform(0, c) for c in (0.5, 1.0, 1.5)]
    assert bulk_requests(sandbox, "500") == 4


def test_a_read_timeout_may_have_been_sent_and_a_resend_stores_once(
    sandbox, make_client, recording_sleep
) -> None:
    sandbox.set_faults(FaultConfig(rate_timeout=1.0, stall_seconds=3))
    client = make_client(read_timeout=0.3, max_attempts=1)
    started = time.monotonic()
    with pytest.raises(PropellerTimeout) as caught:
        client.bulk_upsert_contacts([contact(1, email="ada@example.org")])
    assert time.monotonic() - started < 2.0
    assert caught.value.maybe_sent
    assert caught.value.retryable
    assert "the request was sent, so its outcome is unknown" in str(caught.value)
    sandbox.set_faults(FaultConfig())
    result = client.bulk_upsert_contacts([contact(1, email="ada@example.org")])
    assert result.get(1).action == "update"
    stats = sandbox.stats()
    assert stats["contacts_created"] == 1
    assert stats["contacts_updated"] == 1
    stored = sandbox.get_contact(1)
    assert stored is not None
    assert stored["email"] == "ada@example.org"


def test_a_timeout_is_retried_by_the_client(sandbox, make_client, recording_sleep) -> None:
    sandbox.set_faults(FaultConfig(rate_timeout=1.0, stall_seconds=3))
    client = make_client(read_timeout=0.3, sleep=healing_sleep(sandbox, recording_sleep))
    result = client.bulk_upsert_contacts([contact(1)])
    assert result.attempts == 2
    assert result.get(1).success
    assert len(recording_sleep.delays) == 1


def test_a_dropped_connection_is_retried_then_raised(sandbox, make_client, recording_sleep) -> None:
    sandbox.set_faults(FaultConfig(rate_drop=1.0))
    with pytest.raises(PropellerConnectionError) as caught:
        make_client().bulk_upsert_contacts([contact(1)])
    assert caught.value.reason == "dropped"
    assert caught.value.maybe_sent
    assert caught.value.retryable
    assert caught.value.attempts == 3
    assert len(recording_sleep.delays) == 2
    assert sandbox.stats()["faults"]["drop"] == 3


def test_a_dropped_connection_then_success(sandbox, make_client, recording_sleep) -> None:
    sandbox.set_faults(FaultConfig(rate_drop=1.0))
    client = make_client(sleep=healing_sleep(sandbox, recording_sleep))
    assert client.bulk_upsert_contacts([contact(1)]).attempts == 2


def test_an_html_proxy_page_is_a_retryable_server_error(
    sandbox, make_client, recording_sleep
) -> None:
    sandbox.set_faults(FaultConfig(rate_html=1.0))
    with pytest.raises(ServerError) as caught:
        make_client().bulk_upsert_contacts([contact(1)])
    assert caught.value.status_code == 502
    assert "HTML" in str(caught.value)
    assert caught.value.attempts == 3


def test_truncated_json_is_unexpected_and_retried(sandbox, make_client, recording_sleep) -> None:
    sandbox.set_faults(FaultConfig(rate_truncated=1.0))
    with pytest.raises(UnexpectedResponseError) as caught:
        make_client().bulk_upsert_contacts([contact(1), contact(2)])
    error = caught.value
    assert "truncated" in str(error)
    assert error.retryable
    assert error.attempts == 3
    assert error.status_code == 200
    assert error.body_excerpt.startswith('{"data"')


def test_truncated_json_then_a_full_answer(sandbox, make_client, recording_sleep) -> None:
    sandbox.set_faults(FaultConfig(rate_truncated=1.0))
    client = make_client(sleep=healing_sleep(sandbox, recording_sleep))
    result = client.bulk_upsert_contacts([contact(1), contact(2)])
    assert result.attempts == 2
    assert [r.action for r in result.results] == ["update", "update"]


def test_a_trickling_server_cannot_outlast_the_deadline(
    sandbox, make_client, recording_sleep
) -> None:
    client = make_client()
    client.get_contact(1)  # token first: the deadline is about the bulk exchange
    sandbox.set_faults(FaultConfig(trickle_bytes_per_second=400))
    contacts = [contact(i) for i in range(1, 21)]  # an answer of about 1.5 KB: ~4 s
    client_fast_deadline = make_client(read_timeout=1.0, deadline=0.8, max_attempts=1)
    started = time.monotonic()
    with pytest.raises(PropellerTimeout) as caught:
        client_fast_deadline.bulk_upsert_contacts(contacts)
    elapsed = time.monotonic() - started
    assert 0.7 < elapsed < 1.6
    assert caught.value.maybe_sent
    assert caught.value.status_code == 200


def test_a_slow_trickle_within_the_deadline_succeeds(sandbox, make_client) -> None:
    sandbox.set_faults(FaultConfig(trickle_bytes_per_second=20_000))
    result = make_client(read_timeout=1.0, deadline=3.0).bulk_upsert_contacts(
        [contact(i) for i in range(1, 21)]
    )
    assert len(result.succeeded) == 20


def bulk_ok(request: StubRequest) -> Reply:
    ids = [c["id"] for c in request.json()["contacts"]]
    data = [{"success": True, "action": "update", "id": i, "key": i} for i in ids]
    return json_reply(200, {"data": data, "messages": ["Completed"], "total": len(data)})


def first_bulk_then_ok(first: Callable[[], Reply]) -> Callable[[StubRequest], Reply]:
    """A handler: tokens, then `first()` for the first bulk request and success after."""
    seen: list[int] = []

    def handler(request: StubRequest) -> Reply:
        if request.path == "/oauth2/token":
            return TOKEN_REPLY
        seen.append(1)
        return first() if len(seen) == 1 else bulk_ok(request)

    return handler


def skewed_429(skew: float, retry_in: float) -> Reply:
    """A 429 from a server whose clock is `skew` seconds off ours."""
    server_now = time.time() + skew
    return json_reply(
        429,
        {"error": {"code": 429}},
        Date=formatdate(server_now, usegmt=True),
        **{"Retry-After": formatdate(server_now + retry_in, usegmt=True)},
    )


@pytest.mark.parametrize("skew", [-3600.0, 3600.0])
def test_an_http_date_retry_after_is_measured_against_the_servers_date(
    stub_server, recording_sleep, skew: float
) -> None:
    server = stub_server(first_bulk_then_ok(lambda: skewed_429(skew, 3)))
    config = stub_config(server, retry_after_cap=60.0)
    with PropellerClient(config, sleep=recording_sleep) as client:
        result = client.bulk_upsert_contacts([contact(1)])
    assert result.attempts == 2
    assert recording_sleep.delays == [pytest.approx(3.0, abs=1.0)]


def test_a_retry_after_date_in_the_past_falls_back_to_backoff(stub_server, recording_sleep) -> None:
    server = stub_server(first_bulk_then_ok(lambda: skewed_429(0, -5)))
    config = stub_config(server, backoff_base=0.5, backoff_cap=0.5)
    client = PropellerClient(config, sleep=recording_sleep, rng=random.Random(3))
    with client:
        assert client.bulk_upsert_contacts([contact(1)]).attempts == 2
    assert recording_sleep.delays == [random.Random(3).uniform(0, 0.5)]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_5xx_with_retry_after_waits_that_long(stub_server, recording_sleep, status: int) -> None:
    unavailable = json_reply(status, {"error": {"code": status}}, **{"Retry-After": "2"})
    server = stub_server(first_bulk_then_ok(lambda: unavailable))
    with PropellerClient(stub_config(server), sleep=recording_sleep) as client:
        result = client.bulk_upsert_contacts([contact(1)])
    assert result.attempts == 2
    assert recording_sleep.delays == [2.0]


def test_a_503_retry_after_above_the_cap_is_raised_at_once(stub_server, recording_sleep) -> None:
    unavailable = json_reply(503, {"error": {"code": 503}}, **{"Retry-After": "600"})
    server = stub_server(first_bulk_then_ok(lambda: unavailable))
    config = stub_config(server, retry_after_cap=60.0)
    with (
        PropellerClient(config, sleep=recording_sleep) as client,
        pytest.raises(ServerError) as caught,
    ):
        client.bulk_upsert_contacts([contact(1)])
    assert caught.value.retry_after == 600.0
    assert caught.value.retryable
    assert caught.value.attempts == 1
    assert recording_sleep.delays == []


def test_a_silent_token_endpoint_says_it_did_not_answer(stub_server, recording_sleep) -> None:
    server = stub_server(lambda request: HANG)
    config = stub_config(server, read_timeout=0.3, max_attempts=1)
    with PropellerClient(config, sleep=recording_sleep) as client:
        with pytest.raises(PropellerTimeout) as caught:
            client.bulk_upsert_contacts([contact(1)])
        check = client.check()
    message = str(caught.value)
    assert "The token endpoint" in message
    assert "did not answer within 0.3 s" in message
    assert "outcome is unknown" not in message
    assert "outcome is unknown" not in check.message
    assert "did not answer within 0.3 s" in check.message

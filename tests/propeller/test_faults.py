"""Faults over real HTTP: 429s, 5xx, timeouts, drops, HTML, truncation, trickling."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import pytest

from propel_admin.propeller import (
    PropellerConnectionError,
    PropellerTimeout,
    RateLimitedError,
    ServerError,
    UnexpectedResponseError,
)
from propel_admin.sandbox.faults import FaultConfig

from .conftest import RecordingSleep, bulk_requests, contact


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

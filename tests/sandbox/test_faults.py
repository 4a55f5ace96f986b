"""Injected faults: each kind over real HTTP, and the config's parsing and reproducibility."""

from __future__ import annotations

import email.utils
import time

import pytest
import requests

from propel_admin.sandbox.faults import Fault, FaultConfig, FaultInjector
from propel_admin.sandbox.server import SandboxServer
from tests.sandbox.conftest import Api, Servers, contact


def test_from_string_reads_numbers_and_formats() -> None:
    config = FaultConfig.from_string(
        "rate_429=0.1, retry_after=2,rate_500=0.05,retry_after_format=http-date,token_ttl=2.5"
    )

    assert config.rate_429 == 0.1
    assert config.retry_after == 2.0
    assert config.rate_500 == 0.05
    assert config.retry_after_format == "http-date"
    assert config.token_ttl == 2.5
    assert config.rate_drop == 0.0
    assert FaultConfig.from_string("") == FaultConfig()


def test_to_dict_and_from_dict_round_trip() -> None:
    config = FaultConfig(latency_ms=5, rate_timeout=0.2, stall_seconds=1)

    assert FaultConfig.from_dict(config.to_dict()) == config
    assert FaultConfig.from_string(config.to_string()) == config
    assert FaultConfig().to_dict()["stall_seconds"] == 30


@pytest.mark.parametrize(
    "spec",
    [
        "rate_429",
        "rate_999=1",
        "rate_429=lots",
        "rate_429=1.5",
        "rate_500=0.6,rate_429=0.6",
        "retry_after_format=minutes",
        "latency_ms=-1",
        "token_ttl=0",
    ],
)
def test_from_string_rejects_bad_settings(spec: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each spec fails for its own reason
        FaultConfig.from_string(spec)


def test_the_same_seed_gives_the_same_faults() -> None:
    config = FaultConfig(rate_500=0.3, rate_429=0.3, latency_ms=10, latency_jitter_ms=5)
    runs = [FaultInjector(config, seed=7) for _ in range(2)]
    other = FaultInjector(config, seed=8)

    plans = [[injector.plan() for _ in range(50)] for injector in runs]

    assert plans[0] == plans[1]
    assert {plan.fault for plan in plans[0]} == {Fault.NONE, Fault.ERROR_500, Fault.RATE_429}
    assert [other.plan() for _ in range(50)] != plans[0]


def test_a_seeded_server_replays_its_faults_after_reset(servers: Servers) -> None:
    server, api = servers.start(seed=99)
    config = FaultConfig(rate_500=0.5)

    runs = []
    for _ in range(2):
        server.reset()
        server.set_faults(config)
        token = api.token()
        runs.append([api.bulk([contact(1)], token=token).status_code for _ in range(20)])

    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 500}


def test_429_carries_retry_after_in_seconds(api: Api, sandbox: SandboxServer) -> None:
    sandbox.set_faults(FaultConfig(rate_429=1, retry_after=2))

    response = api.bulk([contact(1)])

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"
    assert response.json()["error"]["type"] == "TooManyRequests"
    assert sandbox.get_contact(1) is None
    assert sandbox.stats()["faults"] == {"429": 1}


def test_429_carries_retry_after_as_an_http_date(api: Api, sandbox: SandboxServer) -> None:
    sandbox.set_faults(FaultConfig(rate_429=1, retry_after=30, retry_after_format="http-date"))

    response = api.bulk([contact(1)])

    assert response.status_code == 429
    when = email.utils.parsedate_to_datetime(response.headers["Retry-After"])
    assert 28 <= when.timestamp() - time.time() <= 31


def test_500_is_an_envelope_and_nothing_is_stored(api: Api, sandbox: SandboxServer) -> None:
    sandbox.set_faults(FaultConfig(rate_500=1))

    response = api.bulk([contact(1)])

    assert response.status_code == 500
    assert response.json()["error"]["type"] == "InternalServerError"
    assert sandbox.get_contact(1) is None


def test_a_drop_closes_the_connection_without_an_answer(api: Api, sandbox: SandboxServer) -> None:
    sandbox.set_faults(FaultConfig(rate_drop=1))

    with pytest.raises(requests.ConnectionError):
        api.bulk([contact(1)])

    sandbox.set_faults(FaultConfig())
    assert api.bulk([contact(2)]).status_code == 200  # the session recovers on a new socket
    assert sandbox.get_contact(1) is None


def test_html_is_a_proxy_502_page(api: Api, sandbox: SandboxServer) -> None:
    sandbox.set_faults(FaultConfig(rate_html=1))

    response = api.bulk([contact(1)])

    assert response.status_code == 502
    assert response.headers["Content-Type"] == "text/html"
    assert response.text.startswith("<html>")
    assert "502 Bad Gateway" in response.text
    assert sandbox.get_contact(1) is None


def test_truncated_is_200_with_half_the_json_after_storing(
    api: Api, sandbox: SandboxServer
) -> None:
    sandbox.set_faults(FaultConfig(rate_truncated=1))

    response = api.bulk([contact(1), contact(2)])

    assert response.status_code == 200
    assert response.content.startswith(b'{"data":[{"action":"create"')
    with pytest.raises(requests.JSONDecodeError):
        response.json()
    assert sandbox.get_contact(2) is not None


def test_timeout_stores_then_stalls_without_blocking_others(servers: Servers) -> None:
    server, api = servers.start()
    token = api.token()
    server.set_faults(FaultConfig(rate_timeout=1, stall_seconds=20))

    with pytest.raises(requests.ReadTimeout):
        api.bulk([contact(1)], token=token, timeout=0.5)

    assert server.get_contact(1) is not None  # processed before the stall
    server.set_faults(FaultConfig())
    assert api.bulk([contact(2)], token=token).status_code == 200  # others are served
    started = time.monotonic()
    api.close()
    server.stop()  # must end the 20 s stall
    assert time.monotonic() - started < 3


def test_trickle_sends_the_body_slowly_but_whole(api: Api, sandbox: SandboxServer) -> None:
    token = api.token()
    sandbox.set_faults(FaultConfig(trickle_bytes_per_second=2000))

    started = time.monotonic()
    # Each read waits well under 0.25 s, so only an overall deadline could catch this.
    response = api.bulk([contact(i) for i in range(1, 11)], token=token, timeout=(2, 0.25))
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert response.json()["total"] == 10
    assert elapsed >= 0.8 * len(response.content) / 2000


def test_latency_delays_each_answer(api: Api, sandbox: SandboxServer) -> None:
    token = api.token()
    sandbox.set_faults(FaultConfig(latency_ms=200))

    started = time.monotonic()
    response = api.bulk([contact(1)], token=token)

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.2


def test_faults_spare_the_token_and_control_endpoints(api: Api, sandbox: SandboxServer) -> None:
    sandbox.set_faults(FaultConfig(rate_500=1))

    assert api.token()
    assert api.control("GET", "stats").status_code == 200
    assert api.bulk([contact(1)]).status_code == 500

"""Pure parsing: error messages, Retry-After, keys, token answers, status mapping."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from propel_admin.propeller import (
    ClientConfig,
    ForbiddenError,
    LookupKeyMissingError,
    PayloadValidationError,
    PropellerTimeout,
    RateLimitedError,
    SchemaValidationError,
    ServerError,
    UnexpectedResponseError,
    normalize_key,
)
from propel_admin.propeller.errors import parse_contact_messages
from propel_admin.propeller.oauth import Token, parse_token
from propel_admin.propeller.responses import error_for, parse_retry_after
from propel_admin.propeller.transport import RawResponse


def raw(status: int, body: object, **headers: str) -> RawResponse:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RawResponse(status, {"content-type": "application/json", **headers}, data, 0.01)


def envelope(code: int, *messages: str) -> dict[str, object]:
    return {"error": {"code": code, "status": 400, "type": "X", "messages": list(messages)}}


def test_it_attributes_messages_to_contact_indexes() -> None:
    by_index, rest = parse_contact_messages(
        [
            "#/contacts/3: extraneous key [company] is not permitted",
            "#/contacts/3/id: expected type: Number, found: String",
            "#/contacts/12/parent/id: expected type: Number, found: String",
            "#: required key [contacts] not found",
            "something else",
        ]
    )
    assert by_index == {
        3: [
            "extraneous key [company] is not permitted",
            "id: expected type: Number, found: String",
        ],
        12: ["parent/id: expected type: Number, found: String"],
    }
    assert rest == ["#: required key [contacts] not found", "something else"]


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (10007, SchemaValidationError),
        (10016, LookupKeyMissingError),
        (10017, PayloadValidationError),
        (10005, PayloadValidationError),
    ],
)
def test_it_maps_400_codes_to_typed_errors(code: int, kind: type) -> None:
    error = error_for(raw(400, envelope(code, "#/contacts/1: boom"), **{"x-request-id": "r1"}))
    assert type(error) is kind
    assert error.code == code
    assert error.contact_indexes == {1: ["boom"]}
    assert error.permanent
    assert not error.retryable
    assert error.request_id == "r1"


def test_a_400_without_an_envelope_is_still_a_payload_error() -> None:
    error = error_for(raw(400, b"<html>bad</html>", **{"content-type": "text/html"}))
    assert isinstance(error, PayloadValidationError)
    assert error.messages == []
    assert error.code is None


@pytest.mark.parametrize(
    ("status", "kind", "retryable"),
    [
        (403, ForbiddenError, False),
        (429, RateLimitedError, True),
        (500, ServerError, True),
        (503, ServerError, True),
        (408, PropellerTimeout, True),
        (302, UnexpectedResponseError, False),
    ],
)
def test_statuses_say_whether_a_retry_can_help(status: int, kind: type, retryable: bool) -> None:
    error = error_for(raw(status, {}))
    assert isinstance(error, kind)
    assert error.retryable is retryable
    assert error.permanent is not retryable
    assert error.status_code == status


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after(later, now=now.timestamp()) == pytest.approx(90.0)
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None


def test_retry_after_dates_are_measured_against_the_servers_date() -> None:
    server_now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    date = format_datetime(server_now, usegmt=True)
    later = format_datetime(server_now + timedelta(seconds=30), usegmt=True)
    our_clock = server_now.timestamp() + 3600  # we are an hour ahead of the server
    assert parse_retry_after(later, date=date, now=our_clock) == pytest.approx(30.0)
    assert parse_retry_after(later, date="garbage", now=server_now.timestamp()) == 30.0


@pytest.mark.parametrize("value", ["0", "-3", "nan", "inf", "Wed, 01 Jan 2025 11:59:00 GMT"])
def test_a_retry_after_that_is_not_in_the_future_means_backoff(value: str) -> None:
    date = "Wed, 01 Jan 2025 12:00:00 GMT"
    assert parse_retry_after(value, date=date) is None


def test_a_503_carries_its_retry_after() -> None:
    error = error_for(raw(503, {}, **{"retry-after": "4"}))
    assert isinstance(error, ServerError)
    assert error.retry_after == 4.0


def test_429_carries_the_parsed_retry_after() -> None:
    error = error_for(raw(429, {}, **{"retry-after": "3"}))
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 3.0


def test_keys_compare_as_normalised_text() -> None:
    assert normalize_key(25492) == normalize_key("25492") == normalize_key(25492.0) == "25492"
    assert normalize_key(" 007 ") == "7"
    assert normalize_key("abc") == "abc"
    assert normalize_key(1) != normalize_key(True)


@pytest.mark.parametrize(
    ("expires_in", "lifetime"), [("1899", 1899.0), (1899, 1899.0), (10.0, 10.0), (None, 1800.0)]
)
def test_it_reads_token_lifetimes_as_strings_or_numbers(
    expires_in: object, lifetime: float
) -> None:
    body: dict[str, object] = {"access_token": "tok", "token_type": "BearerToken"}
    if expires_in is not None:
        body["expires_in"] = expires_in
    token = parse_token(raw(200, body), now=1000.0)
    assert token.lifetime == lifetime
    assert token.expires_at == 1000.0 + lifetime


@pytest.mark.parametrize(
    "body", [{"expires_in": "1800"}, {"access_token": "tok", "expires_in": "soon"}, b"{trunc"]
)
def test_bad_token_answers_are_unexpected_and_keep_no_body(body: object) -> None:
    with pytest.raises(UnexpectedResponseError) as caught:
        parse_token(raw(200, body))
    assert caught.value.body_excerpt == ""


def test_tokens_are_renewed_early_even_when_short_lived() -> None:
    long = Token("a", expires_at=1800.0, lifetime=1800.0)
    assert long.early_margin == 60.0
    assert long.is_fresh(1739.0)
    assert not long.is_fresh(1740.0)
    short = Token("b", expires_at=10.0, lifetime=10.0)
    assert short.early_margin == 2.0
    assert short.is_fresh(7.9)
    assert not short.is_fresh(8.0)
    assert "b" not in repr(short)


def test_config_hides_the_secret_and_checks_values() -> None:
    config = ClientConfig(
        api_url="https://api.example/v2/",
        token_url="https://api.example/oauth2/token",
        client_id="id",
        client_secret="very-secret",
    )
    assert "very-secret" not in repr(config)
    assert config.api_url == "https://api.example/v2"
    assert config.request_deadline == config.connect_timeout + config.read_timeout
    with pytest.raises(ValueError, match="max_attempts"):
        ClientConfig(
            api_url="https://a/v2",
            token_url="https://a/t",
            client_id="i",
            client_secret="s",
            max_attempts=0,
        )

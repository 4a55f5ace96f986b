"""Lockout after failed logins, password rules, session expiry, log out everywhere."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from propel_admin.core.security import client_ip, lockout_minutes_left

pytestmark = pytest.mark.django_db

RIGHT = "operator-pass-123"


def _try(client: Client, password: str, username: str = "olivia"):  # type: ignore[no-untyped-def]
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.fixture
def limits(settings):  # type: ignore[no-untyped-def]
    settings.AXES_FAILURE_LIMIT = 3
    settings.LOGIN_COOLOFF_MINUTES = 15
    return settings


def test_it_locks_the_login_after_the_failure_limit_even_with_the_right_password(
    client: Client, operator, limits
) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        assert _try(client, "wrong").status_code == 200
    locked = _try(client, "wrong")
    assert locked.status_code == 429
    body = locked.content.decode()
    assert "Too many failed attempts; try again in 15 minutes or ask an administrator" in body
    assert locked["Retry-After"] == str(15 * 60)
    # The right password does not get in while the lockout lasts, and says why.
    again = _try(client, RIGHT)
    assert again.status_code == 429
    assert "Too many failed attempts" in again.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_a_lockout_is_per_username_and_address(client: Client, operator, limits) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        _try(client, "wrong")
    elsewhere = Client(REMOTE_ADDR="10.1.2.3")
    response = elsewhere.post(reverse("login"), {"username": "olivia", "password": RIGHT})
    assert response.status_code == 302  # the real person at another desk still gets in


def test_fewer_failures_than_the_limit_do_not_lock_and_success_resets_them(
    client: Client, operator, limits
) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        _try(client, "wrong")
    assert _try(client, RIGHT).status_code == 302
    client.post(reverse("logout"))
    for _ in range(2):
        _try(client, "wrong")
    assert _try(client, RIGHT).status_code == 302


def test_an_administrator_can_unlock_a_username(client: Client, operator, limits) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        _try(client, "wrong")
    assert _try(client, RIGHT).status_code == 429
    call_command("axes_reset_username", "olivia")
    assert not AccessAttempt.objects.filter(username="olivia").exists()
    assert _try(client, RIGHT).status_code == 302


def test_the_wait_counts_from_the_last_attempt(client: Client, operator, limits) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        _try(client, "wrong")
    AccessAttempt.objects.filter(username="olivia").update(
        attempt_time=timezone.now() - timedelta(minutes=14, seconds=30)
    )
    assert lockout_minutes_left(username="olivia", ip_address="127.0.0.1") == 1
    # Trying again while locked out starts the wait again.
    assert "try again in 15 minutes" in _try(client, RIGHT).content.decode()
    AccessAttempt.objects.filter(username="olivia").update(
        attempt_time=timezone.now() - timedelta(minutes=16)
    )
    assert _try(client, RIGHT).status_code == 302  # the cool-off is over


def test_the_lockout_page_escapes_the_username(client: Client, limits) -> None:
    for _ in range(3):
        response = _try(client, "x", username="<b>mallory</b>")
    assert response.status_code == 429
    assert "<b>mallory</b>" not in response.content.decode()


def test_the_client_address_comes_from_the_proxy_only_when_trusted(rf, settings) -> None:  # type: ignore[no-untyped-def]
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    settings.TRUST_PROXY_HEADERS = False
    assert client_ip(request) == "10.0.0.1"
    settings.TRUST_PROXY_HEADERS = True
    assert client_ip(request) == "203.0.113.9"


@pytest.mark.parametrize("password", ["short1", "password123", "1234567890123", "olivia-pass"])
def test_weak_passwords_are_refused(password: str, operator) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        validate_password(password, user=operator)


def test_changing_the_password_applies_the_rules(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    url = reverse("password_change")
    weak = {"old_password": RIGHT, "new_password1": "password1", "new_password2": "password1"}
    response = client.post(url, weak)
    assert response.status_code == 200
    assert "This password is too common" in response.content.decode()
    strong = "Violet-Harbour-Lantern-42"
    good = {"old_password": RIGHT, "new_password1": strong, "new_password2": strong}
    assert client.post(url, good).status_code == 302
    operator.refresh_from_db()
    assert operator.check_password(strong)


def test_sessions_expire_after_inactivity_and_each_request_renews_them(
    client: Client, operator, settings
) -> None:  # type: ignore[no-untyped-def]
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    client.force_login(operator)
    response = client.get(reverse("home"))
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == settings.SESSION_COOKIE_AGE
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_an_expired_session_needs_a_new_login(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.sessions.models import Session

    client.force_login(operator)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get(reverse("home")).status_code == 302


def test_log_out_everywhere_ends_the_users_other_sessions_only(operator, superuser) -> None:  # type: ignore[no-untyped-def]
    laptop, phone, someone_else = Client(), Client(), Client()
    laptop.force_login(operator)
    phone.force_login(operator)
    someone_else.force_login(superuser)
    page = laptop.get(reverse("account"))
    assert "You have 2 active sessions" in page.content.decode()

    response = laptop.post(reverse("logout-everywhere"), follow=True)
    assert "You were logged out everywhere (2 sessions ended)." in response.content.decode()
    assert phone.get(reverse("home")).status_code == 302
    assert laptop.get(reverse("home")).status_code == 302
    assert someone_else.get(reverse("home")).status_code == 200


def test_log_out_everywhere_needs_a_post(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    assert client.get(reverse("logout-everywhere")).status_code == 405
    assert client.get(reverse("home")).status_code == 200

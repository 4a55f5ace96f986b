from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rq import Worker

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["home", "status"])
def test_pages_send_anonymous_visitors_to_the_login_page(client: Client, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_the_login_page_renders_with_labelled_fields(client: Client) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<label for="id_username">Username</label>' in body
    assert '<label for="id_password">Password</label>' in body


def test_a_wrong_password_says_so(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    response = client.post(reverse("login"), {"username": "olivia", "password": "nope"})
    assert response.status_code == 200
    assert "didn't match" in response.content.decode()


def test_logging_in_leads_home_and_shows_the_navigation(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        reverse("login"), {"username": "olivia", "password": "operator-pass-123"}, follow=True
    )
    body = response.content.decode()
    assert response.status_code == 200
    for area in ("Uploads", "Runs", "Templates", "Status"):
        assert area in body
    assert "Welcome, olivia" in body


def test_logout_needs_a_post(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_the_queue_dashboard_is_for_superusers_only(client: Client, admin_user, superuser) -> None:  # type: ignore[no-untyped-def]
    url = reverse("django_rq:home")
    assert client.get(url).status_code == 302
    client.force_login(admin_user)
    assert client.get(url).status_code == 403  # a page that says so, not a login loop
    client.force_login(superuser)
    assert client.get(url).status_code == 200


def test_the_django_admin_is_for_admins_who_manage_users_but_cannot_make_superusers(  # type: ignore[no-untyped-def]
    client: Client, operator, admin_user, superuser
) -> None:
    client.force_login(operator)
    assert client.get(reverse("admin:index")).status_code == 403
    client.force_login(admin_user)
    assert client.get(reverse("admin:index")).status_code == 200
    change = reverse("admin:auth_user_change", args=[operator.pk])
    form = client.get(change).content.decode()
    assert 'name="groups"' in form
    assert 'name="is_superuser"' not in form  # read-only for an Admin
    client.force_login(superuser)
    assert 'name="is_superuser"' in client.get(change).content.decode()


def _register_worker(redis_conn) -> Worker:  # type: ignore[no-untyped-def]
    worker = Worker(["default"], connection=redis_conn)
    worker.register_birth()
    worker.heartbeat()
    return worker


@pytest.mark.services
def test_healthz_is_200_when_every_part_works(client: Client, sandbox, redis_conn) -> None:  # type: ignore[no-untyped-def]
    _register_worker(redis_conn)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "ok": True,
        **{part: {"ok": True} for part in ("database", "redis", "workers", "propeller")},
    }


@pytest.mark.services
def test_healthz_is_503_without_a_recent_worker_and_details_need_a_login(
    client: Client,
    sandbox,
    redis_conn,
    operator,  # type: ignore[no-untyped-def]
) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["workers"] == {"ok": False}
    client.force_login(operator)
    detailed = client.get("/healthz").json()
    assert detailed["workers"]["detail"] == "no RQ worker seen in the last 2 minutes"
    assert detailed["database"]["ok"] is True


@pytest.mark.services
def test_healthz_reports_an_unreachable_propeller(client: Client, settings, redis_conn) -> None:  # type: ignore[no-untyped-def]
    settings.PROPELLER_API_URL = "http://127.0.0.1:9/v2"
    settings.PROPELLER_TOKEN_URL = "http://127.0.0.1:9/oauth2/token"
    _register_worker(redis_conn)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["propeller"] == {"ok": False}


@pytest.mark.services
def test_the_status_page_lists_each_part_and_tests_the_connection(
    client: Client,
    sandbox,
    redis_conn,
    operator,  # type: ignore[no-untyped-def]
) -> None:
    _register_worker(redis_conn)
    client.force_login(operator)
    page = client.get(reverse("status")).content.decode()
    assert "Everything Propel Admin needs is working." in page
    assert "Test connection" in page
    fragment = client.post(reverse("propeller-test")).content.decode()
    assert "Connection works." in fragment


def test_the_connection_test_needs_csrf(operator) -> None:  # type: ignore[no-untyped-def]
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(operator)
    assert strict.post(reverse("propeller-test")).status_code == 403


def test_an_admin_cannot_change_a_superusers_account(client: Client, admin_user, superuser) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    assert (
        client.get(reverse("admin:auth_user_password_change", args=[superuser.pk])).status_code
        == 403
    )
    page = client.get(reverse("admin:auth_user_change", args=[superuser.pk])).content.decode()
    assert 'name="username"' not in page  # shown, not editable

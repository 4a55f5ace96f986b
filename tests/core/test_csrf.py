"""Every URL refuses a POST without a CSRF token: no state change slips past the check."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import resolve
from django.urls.exceptions import Resolver404

from tests.core.routes import routes, sample_path

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _all_urls() -> list[tuple[str, str]]:
    return [(route, sample_path(route)) for route, _, _ in routes()]


def test_every_route_can_be_reached_by_its_sample_path() -> None:
    """Guards the test below: each sample path resolves to the route it stands for."""
    unreached = []
    for route, path in _all_urls():
        try:
            match = resolve(path)
        except Resolver404:
            unreached.append(route)
            continue
        if match.route != route.replace("^", "", 1) and match.route != route:
            unreached.append(f"{route} -> {match.route}")
    assert unreached == []
    assert len(_all_urls()) > 40


@pytest.mark.parametrize(("route", "path"), _all_urls(), ids=[r for r, _ in _all_urls()])
def test_a_post_without_a_csrf_token_is_refused(route: str, path: str, superuser) -> None:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    response = client.post(path, {"username": "root", "password": "x", "name": "n"})
    assert response.status_code == 403, f"{route}: {response.status_code}"

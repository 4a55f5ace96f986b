"""Every URL refuses a POST without a CSRF token: no state change slips past the check."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

pytestmark = pytest.mark.django_db

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_GROUP = re.compile(r"\(\?P<(\w+)>([^()]*)\)(\?)?")


@pytest.fixture(autouse=True)
def _fast_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _routes(patterns: list, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:  # type: ignore[type-arg]
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def _sample(route: str) -> str:
    """A concrete path for a route: 1 for numbers, a word (or the regex's literal) otherwise."""

    def group(match: re.Match[str]) -> str:
        if match.group(3):  # an optional group: leave it out
            return ""
        body = match.group(2)
        return body.split("|")[0] if re.fullmatch(r"[\w|]+", body) else "x"

    path = _GROUP.sub(group, route)
    path = _CONVERTER.sub(lambda m: "1" if m.group(1) == "int" else "x", path)
    return "/" + path.replace("^", "").replace("$", "").replace("/?", "/")


def _all_urls() -> list[tuple[str, str]]:
    return [(route, _sample(route)) for route, _ in _routes(get_resolver().url_patterns)]


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

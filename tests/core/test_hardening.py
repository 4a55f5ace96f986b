"""Production settings pass `check --deploy`; the CSP header and templates it relies on."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
SECRET = "x7Qp2LrV9sKdT4mWc8YhNbZ3fGjA6eUo1iRtEyPq5wXvB0nM-k2Hs8Jd"


def _manage(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PROPEL_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PII_KEY = "Qm9ndXMta2V5LWZvci10ZXN0cy0wMTIzNDU2Nzg5YWI="  # a valid Fernet key (tests only)
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": SECRET,
    "ALLOWED_HOSTS": "propel.example.com",
    "PII_ENCRYPTION_KEYS": PII_KEY,
}


def test_production_settings_pass_the_deploy_check_without_warnings(tmp_path: Path) -> None:
    result = _manage(["check", "--deploy", "--fail-level", "WARNING"], tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "WARNINGS" not in result.stderr + result.stdout
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_turning_hsts_off_in_production_is_reported(tmp_path: Path) -> None:
    """The check above is not blind: a weakened setting shows up."""
    result = _manage(["check", "--deploy"], tmp_path, **PRODUCTION, SECURE_HSTS_SECONDS="0")
    assert "security.W004" in result.stderr


def _settings(tmp_path: Path, names: list[str], **env: str) -> dict[str, str]:
    code = "from django.conf import settings as s; " + "; ".join(
        f"print({name!r}, repr(getattr(s, {name!r}, None)))" for name in names
    )
    result = _manage(["shell", "-c", code], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.split(" ", 1)[0] in names]
    return dict(line.split(" ", 1) for line in lines)


SECURITY_NAMES = [
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_PROXY_SSL_HEADER",
]


def test_development_keeps_plain_http_working(tmp_path: Path) -> None:
    found = _settings(tmp_path, SECURITY_NAMES, DEBUG="1")
    assert found == {
        "SECURE_SSL_REDIRECT": "False",
        "SESSION_COOKIE_SECURE": "False",
        "CSRF_COOKIE_SECURE": "False",
        "SECURE_HSTS_SECONDS": "0",
        "SECURE_PROXY_SSL_HEADER": "None",
    }


def test_production_turns_https_on_and_trusts_a_proxy_only_when_told(tmp_path: Path) -> None:
    found = _settings(tmp_path, SECURITY_NAMES, **PRODUCTION)
    assert found["SECURE_SSL_REDIRECT"] == "True"
    assert found["SESSION_COOKIE_SECURE"] == "True"
    assert found["SECURE_HSTS_SECONDS"] == str(365 * 24 * 3600)
    assert found["SECURE_PROXY_SSL_HEADER"] == "None"
    behind = _settings(tmp_path, SECURITY_NAMES, **PRODUCTION, TRUST_PROXY_HEADERS="1")
    assert behind["SECURE_PROXY_SSL_HEADER"] == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_a_malformed_security_setting_stops_start_up(tmp_path: Path) -> None:
    result = _manage(["check"], tmp_path, LOGIN_FAILURE_LIMIT="lots")
    assert result.returncode == 2
    assert "LOGIN_FAILURE_LIMIT must be a whole number" in result.stderr


@pytest.mark.django_db
def test_pages_carry_the_content_security_policy_and_other_headers(
    client: Client, operator
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    response = client.get(reverse("home"))
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["img-src"] == "'self' data:"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false}\'>' in (
        response.content.decode()
    )


TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_ATTRIBUTE = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
JS_URL = re.compile(r"(href|src|action)\s*=\s*[\"']?\s*javascript:", re.IGNORECASE)


@pytest.mark.parametrize("path", TEMPLATES, ids=[str(p.relative_to(ROOT)) for p in TEMPLATES])
def test_no_template_has_what_the_policy_would_block(path: Path) -> None:
    text = path.read_text()
    for name, pattern in [
        ("inline <script>", INLINE_SCRIPT),
        ("on* attribute", EVENT_ATTRIBUTE),
        ("style= attribute", STYLE_ATTRIBUTE),
        ("<style> element", STYLE_ELEMENT),
        ("javascript: URL", JS_URL),
    ]:
        assert not pattern.search(text), f"{path.name} has an {name}"


def test_the_template_scan_finds_what_it_looks_for() -> None:
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/a.js" defer></script>')
    assert EVENT_ATTRIBUTE.search('<button onclick="go()">')
    assert STYLE_ATTRIBUTE.search('<p style="color:red">')
    assert len(TEMPLATES) > 20

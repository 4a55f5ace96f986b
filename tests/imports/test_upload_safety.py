"""Uploaded names are never paths; uploads per person are rate limited."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from propel_admin.imports import selectors, services
from propel_admin.imports.models import Upload
from propel_admin.imports.uploading import display_name
from tests.imports.conftest import stored_files

pytestmark = pytest.mark.django_db

CSV = b"id,email\n1,a@example.com\n"
GENERATED = re.compile(r"uploads/[0-9a-f]{32}(\.csv)?")

HOSTILE_NAMES = [
    ("../../etc/passwd.csv", "passwd.csv"),
    ("a/b.csv", "b.csv"),
    ("..\\..\\windows\\win.csv", "win.csv"),
    ("evil\x00name.csv", "evilname.csv"),
    ("tab\tand\x1b[31mescape.csv", "tab and[31mescape.csv"),
    ("invoice\u202evsc.csv", "invoicevsc.csv"),
    ("<img src=x onerror=alert(1)>.csv", "<img src=x onerror=alert(1)>.csv"),
    ("</script>.csv", "script>.csv"),
]


def _post(client: Client, name: str, content: bytes = CSV):  # type: ignore[no-untyped-def]
    return client.post(reverse("imports:upload-list"), {"file": SimpleUploadedFile(name, content)})


@pytest.mark.parametrize(("name", "shown"), [*HOSTILE_NAMES, ("\x00\x01", "upload")])
def test_a_hostile_name_is_stored_under_a_generated_name_and_shown_cleaned(
    name: str, shown: str, operator, media_root: Path
) -> None:  # type: ignore[no-untyped-def]
    upload = services.upload_create(
        uploaded_file=SimpleUploadedFile(name, CSV), sha256="0" * 64, user=operator
    ).upload
    assert GENERATED.fullmatch(upload.file.name)
    stored = Path(upload.file.path).resolve()
    assert stored.parent == (media_root / "uploads").resolve()
    assert stored_files(media_root) == [stored]
    assert upload.original_name == shown


@pytest.mark.parametrize(("name", "shown"), HOSTILE_NAMES)
def test_the_upload_page_takes_a_hostile_name_and_escapes_it(
    client: Client, operator, media_root: Path, name: str, shown: str
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    response = _post(client, name)
    assert response.status_code == 302
    upload = Upload.objects.get()
    assert GENERATED.fullmatch(upload.file.name)
    name_shown = upload.original_name
    assert "/" not in name_shown
    assert "\\" not in name_shown
    assert not [ch for ch in name_shown if unicodedata.category(ch).startswith("C")]
    for page in (reverse("imports:upload-list"), response["Location"]):
        body = client.get(page).content.decode()
        assert "<img src=x" not in body
        assert "\x00" not in body
        assert "\x1b" not in body
        assert escape(name_shown) in body


def test_a_very_long_name_is_cut_keeping_its_extension(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    response = _post(client, "x" * 1000 + ".csv")
    assert response.status_code == 302
    upload = Upload.objects.get()
    # Django's parser already cuts it to 255, keeping the extension.
    assert len(upload.original_name) <= 255
    assert upload.original_name.endswith("xx.csv")
    assert upload.file_format == "csv"
    assert GENERATED.fullmatch(upload.file.name)


def test_display_name_keeps_ordinary_names() -> None:
    assert display_name("Klanten week 12 (def).xlsx") == "Klanten week 12 (def).xlsx"
    assert display_name("Renée Müller.csv") == "Renée Müller.csv"
    assert len(display_name("y" * 400)) == 255
    cut = display_name("z" * 400 + ".xlsx")
    assert len(cut) == 255
    assert cut.endswith("z….xlsx")


def _uploads_at(user, *moments) -> None:  # type: ignore[no-untyped-def]
    for moment in moments:
        upload = Upload.objects.create(
            file="uploads/x.csv", original_name="x.csv", size=1, sha256="0" * 64, uploaded_by=user
        )
        Upload.objects.filter(pk=upload.pk).update(created_at=moment)


def test_the_rate_limit_counts_the_last_hour_of_one_persons_uploads(
    operator, superuser, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.UPLOAD_RATE_LIMIT = 3
    now = timezone.now()
    _uploads_at(operator, now - timedelta(minutes=70), now - timedelta(minutes=50))
    _uploads_at(superuser, now, now, now)
    assert selectors.upload_rate_limit_until(user=operator, now=now) is None
    _uploads_at(operator, now - timedelta(minutes=40), now - timedelta(minutes=5))
    # Three in the last hour: the one from 50 minutes ago leaves the window in 10 minutes.
    until = selectors.upload_rate_limit_until(user=operator, now=now)
    assert until is not None
    assert abs((until - (now + timedelta(minutes=10))).total_seconds()) < 1


def test_over_the_limit_the_page_says_when_to_retry_and_keeps_nothing(
    client: Client, operator, settings, media_root: Path
) -> None:  # type: ignore[no-untyped-def]
    settings.UPLOAD_RATE_LIMIT = 2
    client.force_login(operator)
    assert _post(client, "one.csv").status_code == 302
    assert _post(client, "two.csv", CSV + b"2,b@example.com\n").status_code == 302
    kept = stored_files(media_root)

    response = _post(client, "three.csv", CSV + b"3,c@example.com\n")
    assert response.status_code == 429
    body = response.content.decode()
    assert "You have uploaded 2 files in the last hour, the most allowed." in body
    assert re.search(r"Try again at \d\d:\d\d \(in 60 minutes\)", body)
    assert 3500 < int(response["Retry-After"]) <= 3600
    assert Upload.objects.count() == 2
    assert stored_files(media_root) == kept


def test_the_rate_limited_page_still_needs_the_csrf_token(operator, settings) -> None:  # type: ignore[no-untyped-def]
    settings.UPLOAD_RATE_LIMIT = 1
    _uploads_at(operator, timezone.now())
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    assert _post(client, "x.csv").status_code == 403

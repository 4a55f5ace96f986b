from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from propel_admin.imports.models import Upload
from propel_admin.parsing import messages as parse_messages
from tests.imports.conftest import stored_files

pytestmark = pytest.mark.django_db

SEMICOLON_LATIN1 = (
    "Klantnummer;Voornaam;Achternaam;E-mail;Plaats\r\n"
    "1001;José;Müller;jose@example.com;Rüdesheim\r\n"
    "1002;Renée;Dubois;renee@example.com;Liège\r\n"
).encode("cp1252")


def _upload(client: Client, name: str, content: bytes) -> object:
    return client.post(reverse("imports:upload-list"), {"file": SimpleUploadedFile(name, content)})


def test_it_reads_a_semicolon_latin1_csv_and_shows_what_it_detected(
    client: Client,
    operator,
    media_root: Path,  # type: ignore[no-untyped-def]
) -> None:
    client.force_login(operator)
    response = _upload(client, "klanten.csv", SEMICOLON_LATIN1)
    upload = Upload.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:upload-detail", args=[upload.pk])
    assert upload.headers == ["Klantnummer", "Voornaam", "Achternaam", "E-mail", "Plaats"]
    assert upload.read_options["delimiter"] == ";"
    assert upload.preview[0] == {
        "number": 2,
        "cells": ["1001", "José", "Müller", "jose@example.com", "Rüdesheim"],
    }
    assert upload.original_name == "klanten.csv"
    assert upload.uploaded_by == operator
    assert len(upload.sha256) == 64
    # Stored under a generated name, never the uploaded one.
    assert "klanten" not in upload.file.name
    assert len(stored_files(media_root)) == 1

    page = client.get(response["Location"]).content.decode()
    assert "Renée" in page
    assert "“;”" in page


def test_an_identical_file_is_recognised_and_linked(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    _upload(client, "klanten.csv", SEMICOLON_LATIN1)
    first = Upload.objects.get()
    response = _upload(client, "klanten-again.csv", SEMICOLON_LATIN1)
    page = client.get(response["Location"]).content.decode()
    assert "This file is identical to" in page
    assert reverse("imports:upload-detail", args=[first.pk]) in page


def test_a_file_over_the_cap_is_refused_and_not_kept(
    client: Client,
    operator,
    settings,
    media_root: Path,  # type: ignore[no-untyped-def]
) -> None:
    settings.UPLOAD_MAX_BYTES = 2048
    client.force_login(operator)
    response = _upload(client, "big.csv", b"id,name\n" + b"1,x\n" * 2000)
    assert response.status_code == 400
    assert "larger than 2.0 KB, the most that can be uploaded" in response.content.decode()
    assert Upload.objects.count() == 0
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, parse_messages.LEGACY_XLS),
        ("empty.csv", b"", parse_messages.EMPTY_FILE),
    ],
)
def test_an_unreadable_file_gets_a_clear_message_and_nothing_is_stored(
    client: Client,
    operator,
    media_root: Path,
    name: str,
    content: bytes,
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    client.force_login(operator)
    response = _upload(client, name, content)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Traceback" not in body
    from django.utils.html import escape

    assert escape(message) in body
    assert Upload.objects.count() == 0
    assert stored_files(media_root) == []


def test_the_operator_can_override_the_separator(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    _upload(client, "klanten.csv", SEMICOLON_LATIN1)
    upload = Upload.objects.get()
    response = client.post(
        reverse("imports:upload-read-options", args=[upload.pk]),
        {"encoding": "cp1252", "delimiter": ",", "header_row": "1"},
        follow=True,
    )
    upload.refresh_from_db()
    assert upload.read_options["delimiter"] == ","
    assert len(upload.headers) == 1
    assert "The file was read again with your choices." in response.content.decode()


def test_uploading_needs_a_login_and_csrf(operator) -> None:  # type: ignore[no-untyped-def]
    anonymous = Client()
    response = _upload(anonymous, "klanten.csv", SEMICOLON_LATIN1)
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(operator)
    assert _upload(strict, "klanten.csv", SEMICOLON_LATIN1).status_code == 403
    assert Upload.objects.count() == 0

"""Every kind of unreadable file, uploaded through the page: a clear message, nothing kept."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from propel_admin.imports.models import Upload
from propel_admin.parsing import messages as m
from propel_admin.parsing.zipsafe import RATIO_MIN_BYTES
from tests.imports.conftest import stored_files
from tests.parsing.builders import ole2_file, sheet_xml, write_xlsx

pytestmark = pytest.mark.django_db

ROWS = ['<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row>']
LAUGHS = '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY l "lol"><!ENTITY l2 "&l;&l;&l;">]>\n'


def _bomb(tmp: Path) -> tuple[str, bytes]:
    padding = " " * (RATIO_MIN_BYTES + 1024)
    xml = sheet_xml(ROWS).replace("<sheetData>", f"<sheetData>{padding}")
    return "bomb.xlsx", write_xlsx(tmp / "bomb.xlsx", {"S": xml}).read_bytes()


def _entities(tmp: Path) -> tuple[str, bytes]:
    xml = sheet_xml(ROWS, prolog=LAUGHS)
    return "laughs.xlsx", write_xlsx(tmp / "e.xlsx", {"S": xml}).read_bytes()


def _encrypted(tmp: Path) -> tuple[str, bytes]:
    path = ole2_file(tmp / "locked.xlsx", ["EncryptionInfo", "EncryptedPackage"])
    return "locked.xlsx", path.read_bytes()


CASES: dict[str, tuple[Callable[[Path], tuple[str, bytes]], str]] = {
    "zip bomb": (_bomb, m.ZIP_BOMB),
    "xml entities": (_entities, m.XML_ENTITIES),
    "encrypted workbook": (_encrypted, m.ENCRYPTED),
    "legacy xls": (
        lambda t: ("old.xls", ole2_file(t / "o.xls", ["Workbook"]).read_bytes()),
        m.LEGACY_XLS,
    ),
    "empty": (lambda t: ("empty.csv", b""), m.EMPTY_FILE),
    "pdf named csv": (
        lambda t: ("contacts.csv", b"%PDF-1.7\n" + bytes(range(256)) * 8),
        m.CONTENT_MISMATCH.format(
            name="contacts.csv", expected=m.EXPECT_TEXT, actual="a PDF document"
        ),
    ),
    "binary named csv": (lambda t: ("contacts.csv", bytes(range(256)) * 8), m.NOT_TEXT),
    "unsupported type": (
        lambda t: ("contacts.json", b'{"a": 1}'),
        m.UNSUPPORTED_TYPE.format(extension=".json"),
    ),
    "zip named xlsx": (lambda t: ("x.xlsx", write_zip(t)), m.NOT_A_WORKBOOK),
    "only blank rows": (lambda t: ("blank.csv", b"\n\n,,\n"), m.NO_CONTENT),
}


def write_zip(tmp: Path) -> bytes:
    import zipfile

    path = tmp / "plain.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return path.read_bytes()


@pytest.mark.parametrize("case", list(CASES))
def test_each_bad_file_is_explained_and_nothing_is_kept(
    client: Client,
    operator,
    media_root: Path,
    tmp_path: Path,
    case: str,  # type: ignore[no-untyped-def]
) -> None:
    build, message = CASES[case]
    name, content = build(tmp_path)
    client.force_login(operator)
    response = client.post(
        reverse("imports:upload-list"), {"file": SimpleUploadedFile(name, content)}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert 'id="upload-error"' in body
    if message is not None:
        assert escape(message) in body
    assert "Traceback" not in body
    assert Upload.objects.count() == 0
    assert stored_files(media_root) == []

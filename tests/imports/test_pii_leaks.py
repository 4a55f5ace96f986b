"""The leak test: a whole import with SSNs, dates of birth and an e-mail address, then a search
for those values (and the Propeller secret and tokens) everywhere they must not be."""

from __future__ import annotations

import contextlib
import io
import logging
import subprocess
import sys
import time
import zipfile
import zlib
from typing import Any

import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path, reverse

from propel_admin.audit.actions import PII_REVEAL
from propel_admin.audit.models import AuditEvent
from propel_admin.core.roles import user_role_set
from propel_admin.imports import pii
from propel_admin.imports.models import ContactRow, ImportRun, RunStatus, Upload
from tests.imports.conftest import mapping_post
from tests.workers import ROOT, worker_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

SSN_DASHED, SSN_DIGITS = "123-45-6789", "123456782"
DOB_1, DOB_2 = "28/08/1993", "01/02/1980"
# In the two last columns, named like an SSN and a date of birth but not mapped (the names
# are taken by the columns before): hidden and the SSN encrypted all the same.
SOFI_1, SOFI_4, BORN_1, BORN_4 = "555-12-3456", "246813579", "03/04/1965", "17/11/1971"
EMAIL = "leaky.person@example.com"
HEADER = "Contact ID,First name,Email,Company ID,SSN,Date of birth,Sofinummer,Geboortedatum"
ROWS = [
    f"71001,Ann,{EMAIL},1,{SSN_DASHED},{DOB_1},{SOFI_1},{BORN_1}",
    f"71002,Bob,bob.l@example.com,1,{SSN_DIGITS},{DOB_2},,",
    "71003,Cy,cy@example.com,999999,,,,",  # failed by Propeller (unknown company)
    f"71004,Di,not-an-email,1,,,{SOFI_4},{BORN_4}",  # invalid: never sent
]
PERSONAL = (SSN_DASHED, SSN_DIGITS, DOB_1, DOB_2, SOFI_1, SOFI_4, BORN_1, BORN_4)
SSNS = (SSN_DASHED, SSN_DIGITS, SOFI_1, SOFI_4)


def _boom(request: HttpRequest, row_id: int) -> HttpResponse:
    """A view that fails while it holds an opened SSN (the 500 page must not show it)."""
    row = ContactRow.objects.get(pk=row_id)
    opened = pii.open_payload(row.payload)
    raise RuntimeError(f"failed on row {row.row_number} ({len(opened)} fields)")


urlpatterns = [path("boom/<int:row_id>/", _boom), path("", include("propel_admin.urls"))]


def _absent(text: str, needles: tuple[str, ...], where: str) -> None:
    for needle in needles:
        assert needle not in text, f"{needle!r} found in {where}"


def _redis_dump(conn: redis.Redis) -> bytes:
    """Every key and value of every type; zlib-compressed values (RQ jobs) inflated too."""
    parts: list[bytes] = []
    for key in conn.scan_iter("*", count=1000):
        parts.append(key)
        kind = conn.type(key)
        values: list[Any]
        if kind == b"string":
            values = [conn.get(key)]
        elif kind == b"hash":
            values = [item for pair in conn.hgetall(key).items() for item in pair]
        elif kind == b"list":
            values = conn.lrange(key, 0, -1)
        elif kind == b"set":
            values = list(conn.smembers(key))
        elif kind == b"zset":
            values = [member for member, _ in conn.zrange(key, 0, -1, withscores=True)]
        elif kind == b"stream":
            values = [repr(entry).encode() for entry in conn.xrange(key)]
        else:
            values = [repr(kind).encode()]
        for value in values:
            raw = value if isinstance(value, bytes) else str(value).encode()
            parts.append(raw)
            with contextlib.suppress(zlib.error):
                parts.append(zlib.decompress(raw))
    return b"\n".join(parts)


def _export_text(response: HttpResponse) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    if body[:2] == b"PK":  # a workbook: every part of the zip
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            return "\n".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())
    return body.decode("utf-8-sig")


def _send_with_a_worker_process(sandbox) -> str:  # type: ignore[no-untyped-def]
    """`manage.py rqworker --burst` at DEBUG, as deployed; its whole output."""
    args = [sys.executable, "manage.py", "rqworker", "default", "--burst"]
    env = worker_env(sandbox, LOG_LEVEL="DEBUG")
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout + done.stderr


def test_no_personal_data_or_secret_leaks_from_a_whole_import(
    client: Client,
    operator,
    sandbox,
    redis_conn: redis.Redis,
    run_worker,
    caplog: pytest.LogCaptureFixture,
    django_user_model,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    for name in ["", *logging.root.manager.loggerDict]:
        caplog.set_level(logging.DEBUG, logger=name or None)
    client.force_login(operator)
    content = "\n".join([HEADER, *ROWS]) + "\n"
    file = SimpleUploadedFile("c.csv", content.encode())
    client.post(reverse("imports:upload-list"), {"file": file})
    upload = Upload.objects.get()
    pages = {"upload page": client.get(reverse("imports:upload-detail", args=[upload.pk]))}
    targets = [c["target"] for c in upload.mapping["columns"]][4:]
    assert targets == ["ssn", "dateOfBirth", None, None]
    pages["mapping preview"] = client.post(
        reverse("imports:upload-mapping", args=[upload.pk]), mapping_post(upload),
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    client.post(reverse("imports:upload-check", args=[upload.pk]))
    run_worker()  # the check, in this process: its logs are captured
    run = ImportRun.objects.get()
    assert (run.status, run.rows_valid, run.rows_invalid) == (RunStatus.VALIDATED, 3, 1)
    pages["run page (checked)"] = client.get(reverse("runs:run-detail", args=[run.pk]))

    client.post(reverse("runs:run-start", args=[run.pk]), {"mode": "all"})
    worker_output = _send_with_a_worker_process(sandbox)
    for _ in range(50):
        run.refresh_from_db()
        if run.is_done:
            break
        time.sleep(0.1)
    assert (run.status, run.rows_created, run.rows_failed) == (RunStatus.FINISHED_FAILURES, 2, 1)

    # The SSNs reached Propeller opened, exactly as in the file.
    assert sandbox.get_contact(71001)["ssn"] == SSN_DASHED
    assert sandbox.get_contact(71002)["ssn"] == SSN_DIGITS
    assert sandbox.get_contact(71001)["dateOfBirth"] == DOB_1
    tokens = list(sandbox.app.tokens._tokens)
    assert tokens, "the worker fetched a token from the sandbox"
    secrets = (settings.PROPELLER_CLIENT_SECRET, *tokens)

    # Every page of the run, for someone without view_pii; then for someone with it, who
    # sees nothing either until asked.
    rows_url = reverse("runs:run-rows", args=[run.pk])
    lookup = reverse("contacts:contact-lookup")
    urls = {
        "run page": reverse("runs:run-detail", args=[run.pk]),
        "run progress": reverse("runs:run-progress", args=[run.pk]),
        "rows": rows_url,
        "failed rows": f"{rows_url}?status=failed",
        "rows found by id": f"{rows_url}?q=71001",
        "rows found by email": f"{rows_url}?q={EMAIL}",
        "runs": reverse("runs:run-list"),
        "uploads": reverse("imports:upload-list"),
        "upload page": reverse("imports:upload-detail", args=[upload.pk]),
        "lookup by id": f"{lookup}?q=71001",
        "lookup by email": f"{lookup}?q={EMAIL}",
        **{f"row {n}": reverse("runs:run-row", args=[run.pk, n]) for n in (2, 3, 4, 5)},
    }
    exports = {
        "results csv": reverse("runs:run-export", args=[run.pk, "results", "csv"]),
        "results xlsx": reverse("runs:run-export", args=[run.pk, "results", "xlsx"]),
        "failures csv": reverse("runs:run-export", args=[run.pk, "failures", "csv"]),
        "failures xlsx": reverse("runs:run-export", args=[run.pk, "failures", "xlsx"]),
        "invalid csv": reverse("runs:run-invalid-download", args=[run.pk, "csv"]),
        "invalid xlsx": reverse("runs:run-invalid-download", args=[run.pk, "xlsx"]),
    }
    allowed = django_user_model.objects.create_user(username="pia", password="pii-pass-123")
    user_role_set(user=allowed, role="admin")  # may see personal data, when asking
    for who, user in (("viewer", operator), ("view_pii", allowed)):
        client.force_login(user)
        for name, url in urls.items():
            pages[f"{name} ({who})"] = client.get(url)
        for name, url in exports.items():
            response = client.get(url)
            assert response.status_code == 200, name
            text = _export_text(response)
            assert "7100" in text, name  # the export is not empty
            _absent(text, PERSONAL, f"the {name} export ({who})")
    for name, response in pages.items():
        assert response.status_code == 200, name
        html = response.content.decode()
        _absent(html, (*PERSONAL, *secrets), f"the {name} page")
        _absent(html, (pii.PREFIX,), f"the {name} page (a sealed value)")
    assert EMAIL in pages["row 2 (viewer)"].content.decode()  # the pages are not blank
    assert "•••" in pages["row 2 (viewer)"].content.decode()
    assert not AuditEvent.objects.filter(action=PII_REVEAL).exists()  # nothing shown yet

    # Only an explicit request shows them, to the allowed, and it is recorded.
    reveal = reverse("runs:row-reveal", args=[run.pk, 2])
    client.force_login(operator)
    assert client.post(reveal, HTTP_HX_REQUEST="true").status_code == 403
    client.force_login(allowed)
    shown = client.post(reveal, HTTP_HX_REQUEST="true").content.decode()
    assert SSN_DASHED in shown
    assert DOB_1 in shown
    assert SOFI_1 in shown  # the columns not mapped too
    assert BORN_1 in shown
    event = AuditEvent.objects.get(action=PII_REVEAL)
    assert (event.username, event.object_id) == ("pia", run.pk)
    assert event.detail == "row 2: dateOfBirth, ssn"
    revealed = client.get(exports["results csv"] + "?pii=show")
    assert SSN_DIGITS in _export_text(revealed)
    assert SOFI_1 in _export_text(client.get(exports["results csv"] + "?pii=show"))

    # A server error while an opened SSN is in hand: the 500 page shows none of it.
    settings.ROOT_URLCONF = __name__
    failing = Client(raise_request_exception=False)
    failing.force_login(operator)
    row = ContactRow.objects.get(run=run, row_number=2)
    error = failing.get(f"/boom/{row.pk}/")
    assert error.status_code == 500
    _absent(error.content.decode(), (*PERSONAL, EMAIL, *secrets), "the 500 page")

    # Logs (this process at DEBUG for every logger, and the worker process at DEBUG).
    assert "Internal Server Error" in caplog.text  # the capture works
    logs = caplog.text + "\n".join(str(r.args) for r in caplog.records) + worker_output
    _absent(logs, (*PERSONAL, EMAIL, *secrets), "the logs")

    # Redis: every key and value, of every type.
    dump = _redis_dump(redis_conn).decode("utf-8", "replace")
    assert "rq:" in dump  # the scan saw the queue
    _absent(dump, (*PERSONAL, EMAIL, *secrets), "Redis")

    # The database at rest: the SSNs only sealed.
    with connection.cursor() as cursor:
        stored = []
        for table in (ContactRow._meta.db_table, Upload._meta.db_table):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            stored.append(repr(cursor.fetchall()))
    at_rest = "\n".join(stored)
    _absent(at_rest, SSNS, "the database")
    # 2 rows x (cell, payload), 2 cells of the column not mapped, and the upload preview
    assert at_rest.count(pii.PREFIX) >= 7

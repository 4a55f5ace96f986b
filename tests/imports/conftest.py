from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from propel_admin.imports import run_control
from propel_admin.imports.models import ImportRun, RunStatus, Upload


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """Uploaded files go to a fresh folder per test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media_root: Path) -> list[Path]:
    return [p for p in media_root.rglob("*") if p.is_file()]


def checked_run(
    client: Client, run_worker, rows: list[str], header: str, name: str = "c.csv"
) -> ImportRun:  # type: ignore[no-untyped-def]
    """Upload a CSV (`name`) through the page and check it with `run_worker`: a run ready to
    send."""
    content = "\n".join([header, *rows]) + "\n"
    client.post(
        reverse("imports:upload-list"), {"file": SimpleUploadedFile(name, content.encode())}
    )
    upload = Upload.objects.order_by("-id").first()
    assert upload is not None
    client.post(reverse("imports:upload-check", args=[upload.pk]))
    run_worker()
    run = ImportRun.objects.order_by("-id").first()
    assert run is not None
    assert run.status == RunStatus.VALIDATED
    return run


def mapping_post(upload: Upload, targets: dict[int, str] | None = None) -> dict[str, str]:
    """The mapping form as the page posts it: the upload's mapping, with `targets` (column
    index -> field, "" to ignore the column) changed."""
    data = {"constant-slots": "0"}
    for column in upload.mapping["columns"]:
        i = column["index"]
        target = (targets or {}).get(i, column["target"] or "")
        data |= {f"col-{i}-target": target, f"col-{i}-shown": target}
        data[f"col-{i}-date_format"] = column.get("date_format") or ""
        data |= {f"col-{i}-{flag}": "on" for flag in ("trim", "gender", "language", "phone")
                 if column.get(flag)}  # fmt: skip
    return data


def sent_run(
    client: Client, run_worker, operator, rows: list[str], header: str, name: str = "c.csv"
) -> ImportRun:  # type: ignore[no-untyped-def]
    """checked_run, then sent to the sandbox by `operator` and finished by `run_worker`."""
    run = checked_run(client, run_worker, rows, header, name)
    run_control.run_start(run_id=run.pk, user=operator)
    run_worker()
    run.refresh_from_db()
    return run

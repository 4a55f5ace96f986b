"""manage.py export_results: files, standard output, masking, and clear refusals."""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from propel_admin.imports.models import ImportRun
from propel_admin.imports.roundtrip import EXPORT_COLUMNS
from tests.imports.test_exports import HEADER, _sent_run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


@pytest.fixture
def run(client: Client, operator, sandbox, run_worker) -> ImportRun:  # type: ignore[no-untyped-def]
    return _sent_run(client, run_worker, operator)


def test_it_writes_the_results_csv_under_the_downloads_name_with_pii_hidden(
    run: ImportRun,
    tmp_path: Path,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.chdir(tmp_path)
    call_command("export_results", str(run.pk))
    path = tmp_path / f"c-results-run-{run.pk}.csv"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == [*HEADER.split(","), *EXPORT_COLUMNS]
    assert len(rows) == 6
    assert rows[1][4] == "•••"


def test_it_writes_the_failures_to_stdout(run: ImportRun, capsys) -> None:  # type: ignore[no-untyped-def]
    call_command("export_results", str(run.pk), "--failed", "--output", "-")
    out = capsys.readouterr().out
    assert not out.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(out)))
    assert [r[0] for r in rows[1:]] == ["5002", "5004"]
    assert rows[1][-6] == "Failed"


def test_it_writes_xlsx_and_reveals_pii_only_when_asked_and_logged(
    run: ImportRun,
    tmp_path: Path,
    caplog,  # type: ignore[no-untyped-def]
) -> None:
    path = tmp_path / "out.xlsx"
    with caplog.at_level(logging.INFO, logger="propel_admin.imports.result_exports"):
        call_command("export_results", str(run.pk), "--format", "xlsx", "--output", str(path),
                     "--failed", "--reveal-pii")  # fmt: skip
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[1][4] == "223456782"
    assert "dates of birth shown" in caplog.text
    assert "223456782" not in caplog.text


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["987654"], "there is no run #987654"),
        (["{run}", "--format", "xlsx", "--output", "-"], "only CSV can go to standard output"),
        (["{run}", "--output", "/nonexistent/dir/x.csv"], "cannot write /nonexistent/dir/x.csv"),
    ],
)
def test_it_exits_2_with_one_line_for_an_unknown_run_or_bad_options(
    run: ImportRun,
    capsys,
    args: list[str],
    said: str,  # type: ignore[no-untyped-def]
) -> None:
    with pytest.raises(SystemExit) as exited:
        call_command("export_results", *(a.format(run=run.pk) for a in args))
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip()
    assert said in err
    assert len(err.splitlines()) == 1


def test_bad_arguments_are_refused_by_the_parser() -> None:
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("export_results", "1", "--format", "pdf")

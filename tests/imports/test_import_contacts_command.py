"""manage.py import_contacts, run as a real process (exit codes, stderr, JSON)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.workers import child_database_url, sandbox_env

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

CSV = (
    "Contact ID;Voornaam;Achternaam;E-mail;Company;Telefoon\n"
    "501;Ann;Smith;ann@example.com;Acme;+31 (0)20 123 4567\n"
    "502;Bob;Jones;bob@example;Acme;\n"
    "503;Cleo;Brown;cleo@example.com;Acme;020-1234567\n"
)


def _run(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **(env or {}),
        "DATABASE_URL": child_database_url(),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "import_contacts", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture
def contacts(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def test_a_dry_run_prints_one_json_summary(
    tmp_path: Path, contacts: Path, operator, redis_conn
) -> None:  # type: ignore[no-untyped-def]
    result = _run(tmp_path, str(contacts), "--user", "olivia", "--dry-run", "--wait", "--json",
                  "--constant", "parent.id=7", "--map", "Telefoon=phone")  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rows"] == 3
    assert (summary["valid"], summary["invalid"]) == (2, 1)
    assert summary["mapping"] == {
        "Contact ID": "id",
        "Voornaam": "firstName",
        "Achternaam": "lastName",
        "E-mail": "email",
        "Company": None,
        "Telefoon": "phone",
    }
    assert summary["constants"] == {"parent.id": "7"}
    assert summary["errors"] == {"Email is not a valid email address": 1}
    assert isinstance(summary["upload_id"], int)


def test_a_rejected_file_exits_2_with_one_line_and_no_traceback(tmp_path: Path, operator) -> None:  # type: ignore[no-untyped-def]
    legacy = tmp_path / "old.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    result = _run(tmp_path, str(legacy), "--user", "olivia", "--dry-run")
    assert result.returncode == 2
    assert result.stderr.startswith("rejected: This is an old-style Excel file (.xls")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--user", "nobody"], "rejected: no active user 'nobody'"),
        (["--user", "victor"], "rejected: 'victor' may not import: give them the Operator or"),
        (
            ["--user", "olivia", "--map", "Nope=email"],
            "rejected: --map 'Nope=email': the file has no column 'Nope'",
        ),
        (["--user", "olivia", "--constant", "company=x"], "rejected: --constant 'company=x'"),
        (
            ["--user", "olivia", "--template", "missing"],
            "rejected: no mapping template named 'missing'",
        ),
    ],
)
def test_bad_options_are_rejected_clearly(
    tmp_path: Path, contacts: Path, operator, viewer, args, reason
) -> None:  # type: ignore[no-untyped-def]
    result = _run(tmp_path, str(contacts), "--dry-run", *args)
    assert result.returncode == 2
    assert result.stderr.startswith(reason)


def test_without_dry_run_it_sends_and_follows_the_run(
    tmp_path: Path,
    contacts: Path,
    operator,
    sandbox,
    redis_conn,  # type: ignore[no-untyped-def]
) -> None:
    env = sandbox_env(sandbox)
    result = _run(tmp_path, str(contacts), "--user", "olivia", "--wait", "--json",
                  "--constant", "parent.id=7", env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "finished"
    assert (summary["sent"], summary["created"], summary["updated"]) == (2, 2, 0)
    assert (summary["failed"], summary["invalid"], summary["cancelled"]) == (0, 1, 0)
    assert sandbox.get_contact(501)["firstName"] == "Ann"
    assert "no RQ worker is running" in result.stderr


def test_a_named_template_is_applied_like_on_the_mapping_page(
    tmp_path: Path,
    contacts: Path,
    operator,
    redis_conn,  # type: ignore[no-untyped-def]
) -> None:
    from propel_admin.imports.mapping_edit import header_signature
    from propel_admin.imports.models import MappingTemplate
    from propel_admin.mapping import MappingSpec
    from propel_admin.mapping.spec import ColumnRule

    spec = MappingSpec(
        (ColumnRule(0, "Contact ID", "id"), ColumnRule(5, "Telefoon", "phone", phone=True)),
        {"parent.id": "7"},
    )
    MappingTemplate.objects.create(
        name="Weekly CRM", header_signature=header_signature(["x"]), headers=["x"],
        mapping=spec.to_dict(), created_by=operator,
    )  # fmt: skip
    result = _run(tmp_path, str(contacts), "--user", "olivia", "--dry-run", "--wait", "--json",
                  "--template", "weekly crm")  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["mapping"]["Telefoon"] == "phone"
    assert summary["mapping"]["Contact ID"] == "id"
    assert summary["constants"] == {"parent.id": "7"}
    assert (summary["valid"], summary["invalid"]) == (2, 1)

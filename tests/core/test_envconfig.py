from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from propel_admin.envconfig import ConfigError, env_bool, env_float, env_int, env_list, env_url

ROOT = Path(__file__).resolve().parents[2]


def test_it_reads_whole_numbers_within_bounds() -> None:
    assert env_int("N", 7, env={}) == 7
    assert env_int("N", 7, minimum=1, maximum=10, env={"N": " 9 "}) == 9


@pytest.mark.parametrize("value", ["abc", "1.5", "0", "2001"])
def test_it_names_the_variable_and_the_expectation_for_bad_numbers(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        env_int(
            "PROPELLER_BATCH_SIZE",
            100,
            minimum=1,
            maximum=2000,
            env={"PROPELLER_BATCH_SIZE": value},
        )
    assert "PROPELLER_BATCH_SIZE must be a whole number from 1 to 2000" in str(caught.value)
    assert repr(value) in str(caught.value)


def test_it_reads_booleans_and_refuses_other_words() -> None:
    assert env_bool("DEBUG", False, env={"DEBUG": "Yes"}) is True
    assert env_bool("DEBUG", True, env={"DEBUG": "off"}) is False
    with pytest.raises(ConfigError, match="DEBUG must be true or false"):
        env_bool("DEBUG", True, env={"DEBUG": "maybe"})


def test_it_never_echoes_a_secret_value() -> None:
    with pytest.raises(ConfigError) as caught:
        env_float(
            "PROPELLER_CLIENT_SECRET_TIMEOUT",
            1.0,
            env={"PROPELLER_CLIENT_SECRET_TIMEOUT": "hunter2"},
        )
    assert "hunter2" not in str(caught.value)
    assert "value hidden" in str(caught.value)


def test_it_checks_url_schemes() -> None:
    assert env_url("U", env={"U": "https://api.example.com/v2/"}) == "https://api.example.com/v2"
    assert (
        env_url("R", schemes=("redis", "unix"), env={"R": "unix:///tmp/r.sock"})
        == "unix:///tmp/r.sock"
    )
    db = "sqlite:////srv/propel/db.sqlite3"
    assert env_url("DATABASE_URL", schemes=("sqlite",), env={"DATABASE_URL": db}) == db
    with pytest.raises(
        ConfigError, match="PROPELLER_API_URL must be a URL starting with http:// or https://"
    ):
        env_url("PROPELLER_API_URL", env={"PROPELLER_API_URL": "api.example.com"})


def test_it_splits_lists() -> None:
    assert env_list("ALLOWED_HOSTS", ["x"], env={"ALLOWED_HOSTS": "a.example, b.example,"}) == [
        "a.example",
        "b.example",
    ]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        (
            "PROPELLER_BATCH_SIZE",
            "lots",
            "PROPELLER_BATCH_SIZE must be a whole number from 1 to 2000",
        ),
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL must be a URL starting with sqlite://"),
        ("PROPELLER_TIMEOUT", "-3", "PROPELLER_TIMEOUT must be a number from 1 to 600"),
    ],
)
def test_a_malformed_setting_stops_start_up_with_one_clear_line(
    name: str, value: str, expected: str, tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PROPEL_VAR_DIR": str(tmp_path), name: value},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_secret_key_is_required_when_debug_is_off(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PROPEL_VAR_DIR": str(tmp_path), "DEBUG": "0"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def _check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PROPEL_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


PRODUCTION = {"DEBUG": "0", "SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "propel.example.com"}


def test_the_pii_key_is_required_when_debug_is_off(tmp_path: Path) -> None:
    result = _check(tmp_path, **PRODUCTION)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "PII_ENCRYPTION_KEYS must be set when DEBUG is off" in result.stderr
    assert not (tmp_path / "pii_key").exists()  # never generated in production


def test_a_malformed_pii_key_stops_start_up_without_echoing_it(tmp_path: Path) -> None:
    good = "Qm9ndXMta2V5LWZvci10ZXN0cy0wMTIzNDU2Nzg5YWI="
    result = _check(tmp_path, **PRODUCTION, PII_ENCRYPTION_KEYS=f"{good},not-a-key-x")
    assert result.returncode == 2
    assert "PII_ENCRYPTION_KEYS must be Fernet keys" in result.stderr
    assert "not-a-key-x" not in result.stderr
    assert "Traceback" not in result.stderr
    assert _check(tmp_path, **PRODUCTION, PII_ENCRYPTION_KEYS=good).returncode == 0


def test_development_generates_a_pii_key_once_and_keeps_it(tmp_path: Path) -> None:
    assert _check(tmp_path).returncode == 0
    key_file = tmp_path / "pii_key"
    first = key_file.read_text()
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert _check(tmp_path).returncode == 0
    assert key_file.read_text() == first

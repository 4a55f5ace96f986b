from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from propel_admin.core.accounts import first_account_ensure


@pytest.mark.django_db
def test_it_creates_the_first_account_once_with_a_generated_password() -> None:
    first = first_account_ensure()
    assert first.created
    assert first.password
    assert len(first.password) >= 12
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser
    assert user.check_password(first.password)

    again = first_account_ensure(username="someone-else", password="x" * 12)
    assert not again.created
    assert again.password is None
    assert again.username == "admin"
    assert get_user_model().objects.count() == 1


@pytest.mark.django_db
def test_the_command_uses_the_given_name_and_password_and_prints_no_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "ops-lead")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long given password")
    call_command("ensure_admin")
    out = capsys.readouterr().out
    assert "ops-lead" in out
    assert "a long given password" not in out
    assert get_user_model().objects.get(username="ops-lead").check_password("a long given password")

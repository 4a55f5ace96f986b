"""manage.py set_role and the first account's role."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from propel_admin.core.accounts import first_account_ensure
from propel_admin.core.roles import user_role

pytestmark = pytest.mark.django_db


def test_it_gives_one_role_and_replaces_the_one_before(operator, capsys) -> None:  # type: ignore[no-untyped-def]
    call_command("set_role", "olivia", "viewer")
    assert "olivia's role is now Viewer." in capsys.readouterr().out
    assert list(operator.groups.values_list("name", flat=True)) == ["Viewer"]
    assert not get_user_model().objects.get(username="olivia").has_perm("imports.operate_runs")

    call_command("set_role", "olivia", "ADMIN")
    assert list(operator.groups.values_list("name", flat=True)) == ["Admin"]
    assert get_user_model().objects.get(username="olivia").has_perm("imports.view_pii")

    call_command("set_role", "olivia", "none")
    assert "olivia has no role now." in capsys.readouterr().out
    assert operator.groups.count() == 0
    assert user_role(get_user_model().objects.get(username="olivia")) == ""


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["nobody", "viewer"], "set_role: no user named 'nobody'\n"),
        (
            ["olivia", "boss"],
            "set_role: unknown role 'boss'; use viewer, operator, admin or none\n",
        ),
    ],
)
def test_a_bad_name_exits_2_with_one_line(operator, capsys, args, line) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as stopped:
        call_command("set_role", *args)
    assert stopped.value.code == 2
    assert capsys.readouterr().err == line
    assert list(operator.groups.values_list("name", flat=True)) == ["Operator"]


def test_the_first_account_is_an_admin_and_an_earlier_one_becomes_one() -> None:
    first = first_account_ensure(username="boss", password="a long given password")
    boss = get_user_model().objects.get(username="boss")
    assert first.created
    assert list(boss.groups.values_list("name", flat=True)) == ["Admin"]
    assert user_role(boss) == "Admin"

    boss.groups.clear()  # a first account made before roles existed
    assert not first_account_ensure().created
    assert list(boss.groups.values_list("name", flat=True)) == ["Admin"]

"""Error groups fold what differs per contact out of Propeller's messages."""

from __future__ import annotations

import pytest

from propel_admin.imports.failures import KEY_LENGTH, failure_key


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Parent resource [Company] with id [12] not found",
         "Parent resource [Company] with id [13] not found"),
        ("Contact 100234 already exists", "Contact 7 already exists"),
        ("Email 'a@example.com' is taken", "Email 'b.c@example.org' is taken"),
        ("Email a@example.com is taken", "Email zed@x.nl is taken"),
        ("Unknown id 0b9a7f1e-1111-4c2d-9e8f-123456789abc",
         "Unknown id 6F2D9C1A-2222-4AAA-8BBB-ABCDEFABCDEF"),
        ("amount  -1.5 too low", "amount 2,000 too low"),
    ],
)  # fmt: skip
def test_messages_that_differ_only_in_values_share_a_key(first: str, second: str) -> None:
    assert failure_key(first) == failure_key(second)


def test_different_problems_keep_different_keys() -> None:
    assert failure_key("Parent resource [Company] with id [12] not found") != failure_key(
        "Parent resource [Contact] with id [12] not found"
    )
    assert failure_key("Invalid email") == "Invalid email"


def test_a_key_fits_its_column() -> None:
    assert len(failure_key("x" * 5000)) == KEY_LENGTH
    assert failure_key("Parent resource [Company] with id [12] not found") == (
        "Parent resource [Company] with id [<n>] not found"
    )

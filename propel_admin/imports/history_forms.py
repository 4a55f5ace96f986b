"""GET forms of the review pages: the runs history filters and the contact lookup."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from propel_admin.core.forms import DateRangeFilterForm
from propel_admin.imports.history_selectors import SORTS
from propel_admin.imports.models import RunStatus

PERSON_UNKNOWN = "No one with that user name has started a run."
STATUS_UNKNOWN = "That is not a run status; pick one from the list."
SORT_UNKNOWN = "That is not a way to sort; pick one from the list."
FILTERS_IGNORED = "Some filters could not be used and were left out"


class RunHistoryForm(DateRangeFilterForm):
    field_order = [
        "status",
        "person",
        "date_from",
        "date_to",
        "file_name",
        "sort",
    ]  # the From/To dates come from the base form
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *RunStatus.choices],
        error_messages={"invalid_choice": STATUS_UNKNOWN},
    )
    person = forms.ModelChoiceField(
        label="Person",
        required=False,
        queryset=get_user_model().objects.order_by("username"),
        to_field_name="username",
        empty_label="Anyone",
        error_messages={"invalid_choice": PERSON_UNKNOWN},
    )
    file_name = forms.CharField(
        label="File name contains",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "e.g. weekly"}),
    )
    sort = forms.ChoiceField(
        label="Sort",
        required=False,
        choices=[(key, label) for key, (label, _) in SORTS.items()],
        error_messages={"invalid_choice": SORT_UNKNOWN},
    )

    def filters(self) -> dict[str, Any]:
        """The filters that are valid (a wrong one is reported and left out, never a 500)."""
        self.is_valid()
        data = self.cleaned_data
        return {
            "status": data.get("status") or "",
            "person": data.get("person"),
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "file_name": (data.get("file_name") or "").strip(),
            "sort": data.get("sort") or "newest",
        }


LOOKUP_EMPTY = "Type a contact id or an e-mail address."
LOOKUP_MALFORMED = (
    "Search by a contact id (a whole number such as 48213) "
    "or a complete e-mail address (such as name@company.com)."
)
LOOKUP_NO_MATCH = "No run has a row for this contact."
_EMAIL = re.compile(r"^[^\s@]+@[^\s@]+$")
_MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class ContactQuery:
    """What the lookup box asked for: an id, an e-mail, or why it cannot be searched."""

    contact_id: int | None = None
    email: str = ""
    error: str = ""


def contact_query_parse(raw: str) -> ContactQuery:
    text = raw.strip()
    if not text:
        return ContactQuery(error=LOOKUP_EMPTY)
    if text.isascii() and text.isdigit():
        number = int(text)
        return (
            ContactQuery(contact_id=number)
            if number <= _MAX_ID
            else ContactQuery(error=LOOKUP_MALFORMED)
        )
    if len(text) <= 254 and _EMAIL.match(text):
        return ContactQuery(email=text.lower())
    return ContactQuery(error=LOOKUP_MALFORMED)

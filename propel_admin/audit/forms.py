"""The audit page's filters (GET). A filter that cannot be used is named and left out."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from propel_admin.audit.actions import LABELS
from propel_admin.audit.services import OBJECT_TYPES
from propel_admin.core.forms import DateRangeFilterForm

ACTION_UNKNOWN = "That is not an action; pick one from the list."
OBJECT_MALFORMED = (
    "Name an object as a kind and a number, e.g. “run 12”, “upload 3” or “template 4”."
)
FILTERS_IGNORED = "Some filters could not be used and were left out"
_KINDS = sorted(set(OBJECT_TYPES.values()))
_OBJECT = re.compile(rf"^\s*({'|'.join(_KINDS)})\s*#?\s*(\d{{1,18}})?\s*$", re.IGNORECASE)


class AuditFilterForm(DateRangeFilterForm):
    field_order = [
        "person",
        "action",
        "object",
        "date_from",
        "date_to",
    ]  # the From/To dates come from the base form
    person = forms.CharField(
        label="Person",
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"list": "audit-people", "placeholder": "user name"}),
    )
    action = forms.ChoiceField(
        label="Action",
        required=False,
        choices=[("", "Any action"), *((c, f"{text} ({c})") for c, text in LABELS.items())],
        error_messages={"invalid_choice": ACTION_UNKNOWN},
    )
    object = forms.CharField(
        label="Object",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "e.g. run 12"}),
    )

    def clean_object(self) -> tuple[str, int | None] | None:
        text = self.cleaned_data.get("object") or ""
        if not text.strip():
            return None
        match = _OBJECT.match(text)
        if match is None:
            raise forms.ValidationError(OBJECT_MALFORMED)
        number = match.group(2)
        return match.group(1).lower(), int(number) if number else None

    def filters(self) -> dict[str, Any]:
        """The filters that are valid; the others are reported by the page and left out."""
        self.is_valid()
        data = self.cleaned_data
        object_type, object_id = data.get("object") or ("", None)
        return {
            "person": (data.get("person") or "").strip(),
            "action": data.get("action") or "",
            "object_type": object_type,
            "object_id": object_id,
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }

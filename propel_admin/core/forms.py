"""Form pieces the filter pages share."""

from __future__ import annotations

from typing import Any

from django import forms

DATE_INVALID = "Give a date as YYYY-MM-DD, e.g. 2026-03-31."
DATES_REVERSED = "The “from” date is after the “to” date."


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": DATE_INVALID},
    )


class DateRangeFilterForm(forms.Form):
    """A GET filter form with a From/To date range; subclasses set `field_order`."""

    date_from = _date_field("From")
    date_to = _date_field("To")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", DATES_REVERSED)
            data.pop("date_from", None)  # which one is wrong is anyone's guess: use neither
        return data

"""Forms: field validation only; the work is done by services."""

from __future__ import annotations

from django import forms

ACCEPTED_EXTENSIONS = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")
ENCODING_CHOICES = [
    ("", "Detect"),
    ("utf-8", "UTF-8"),
    ("utf-8-sig", "UTF-8 with BOM"),
    ("utf-16", "UTF-16"),
    ("cp1252", "Windows-1252 (Western Europe)"),
    ("latin-1", "ISO-8859-1 (Latin-1)"),
    ("iso-8859-15", "ISO-8859-15 (Latin-9)"),
    ("cp850", "DOS code page 850"),
    ("mac-roman", "Mac Roman"),
]
DELIMITER_CHOICES = [
    ("", "Detect"),
    (",", "Comma ( , )"),
    (";", "Semicolon ( ; )"),
    ("\t", "Tab"),
    ("|", "Pipe ( | )"),
]


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Contact file",
        allow_empty_file=True,  # the reader explains an empty file better than Django does
        help_text="CSV (.csv, .tsv, .txt) or Excel (.xlsx, .xlsm).",
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ACCEPTED_EXTENSIONS)}),
    )


class ReadOptionsForm(forms.Form):
    """The operator's corrections to what was detected."""

    encoding = forms.ChoiceField(choices=ENCODING_CHOICES, required=False)
    delimiter = forms.ChoiceField(label="Separator", choices=DELIMITER_CHOICES, required=False)
    sheet = forms.ChoiceField(choices=[], required=False)
    header_row = forms.IntegerField(
        label="Header row",
        min_value=0,
        max_value=1000,
        required=False,
        help_text="The row that holds the column names; 0 if the file has none.",
    )

    def __init__(self, *args: object, sheets: list[dict[str, object]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        sheet_field = self.fields["sheet"]
        assert isinstance(sheet_field, forms.ChoiceField)
        sheet_field.choices = [
            (s["name"], f"{s['name']} (hidden)" if s.get("hidden") else str(s["name"]))
            for s in sheets
        ]

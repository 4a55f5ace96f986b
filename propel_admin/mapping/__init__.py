"""Map spreadsheet columns onto Propeller contact fields and validate rows before sending.

Pure Python, no Django. The flow, for `POST /v2/contacts/bulk/id`:

    suggestions = suggest_mapping(headers, samples_by_column, remembered=template_or_none)
    spec = spec_from_suggestions(suggestions, samples_by_column)   # operators then edit it
    spec.problems(headers), spec.warnings()                        # shown before a run
    mapper = compile_mapping(spec, headers, duplicates=DuplicateTracker())
    row = mapper.map(cells, row_number=2)    # MappedRow(payload, errors)

Public API:

- Fields (`fields`): `TARGET_FIELDS`, `Field`, `field_by_key(key)`, `REFUSED`
  (normalised header -> reason), `refused_reason(header)`, `normalise_header(text)`.
- Suggestions (`suggest`): `suggest_mapping(...) -> list[Suggestion]`, each with
  `target`, `reason` (exact / alias / fuzzy / template / refused / none) and `message`;
  `spec_from_suggestions(...)`; `named_target(header)`: the field a header names exactly
  or by alias ("BSN" -> "ssn"), else None.
- Personal data (`personal`): `PII_FIELDS` (ssn, dateOfBirth), `pii_columns(spec,
  headers)`: index -> field of the columns mapped to one *or named like one*,
  `pii_payload_keys(spec, headers)`.
- Transforms (`transforms`): pure `str -> value | Invalid` functions: `trim`,
  `whole_number`, `gender_code`, `gender_from_text`, `language_code`,
  `language_from_text`, `clean_phone`, `email_address`, `text_value`,
  `make_date_parser(format)`, `detect_date_format(values) -> DateFormatGuess`.
- Specs (`spec`): `MappingSpec(columns, constants)` and `ColumnRule`, with
  `to_dict`/`from_dict`/`to_json`/`from_json`, `problems(headers)`, `warnings()`.
- Validation (`validate`): `compile_mapping(spec, headers) -> RowMapper`,
  `RowMapper.map(cells, row_number) -> MappedRow`, `DuplicateTracker`.
- Results (`types`): `FieldError(field, column, message, value, row)` with `.text`,
  `MappedRow`, `SpecProblem`, `MappingSpecError`, `Invalid`.
- Every operator-facing text is a constant in `messages`.
"""

from __future__ import annotations

from .dates import DATE_FORMATS, DateFormatGuess, detect_date_format
from .fields import REFUSED, TARGET_FIELDS, Field, field_by_key, refused_reason
from .names import compact as normalise_header
from .personal import PII_FIELDS, pii_columns, pii_payload_keys
from .spec import ColumnRule, MappingSpec
from .suggest import Suggestion, named_target, spec_from_suggestions, suggest_mapping
from .types import FieldError, Invalid, MappedRow, MappingSpecError, SpecProblem
from .validate import DuplicateTracker, RowMapper, compile_mapping

__all__ = [
    "DATE_FORMATS",
    "PII_FIELDS",
    "REFUSED",
    "TARGET_FIELDS",
    "ColumnRule",
    "DateFormatGuess",
    "DuplicateTracker",
    "Field",
    "FieldError",
    "Invalid",
    "MappedRow",
    "MappingSpec",
    "MappingSpecError",
    "RowMapper",
    "SpecProblem",
    "Suggestion",
    "compile_mapping",
    "detect_date_format",
    "field_by_key",
    "named_target",
    "normalise_header",
    "pii_columns",
    "pii_payload_keys",
    "refused_reason",
    "spec_from_suggestions",
    "suggest_mapping",
]

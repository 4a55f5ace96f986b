"""The mapping page's logic: suggestions, templates, the edit form and the live preview."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from propel_admin.audit import actions
from propel_admin.audit.services import audit_record
from propel_admin.imports import roundtrip
from propel_admin.imports.models import MappingTemplate, Upload
from propel_admin.imports.selectors import MASKED, masked_payload
from propel_admin.mapping import (
    PII_FIELDS,
    TARGET_FIELDS,
    DuplicateTracker,
    MappingSpec,
    MappingSpecError,
    SpecProblem,
    Suggestion,
    compile_mapping,
    detect_date_format,
    normalise_header,
    pii_columns,
    pii_payload_keys,
    refused_reason,
    spec_from_suggestions,
    suggest_mapping,
)
from propel_admin.mapping.spec import ColumnRule, default_rule

SAMPLE_VALUES = 5
CONSTANT_SLOTS_FREE = 1
CHOSEN_BY_YOU = "Chosen by you"
TEMPLATE_NAME_TAKEN = "A template with this name exists already. Choose another name."


def header_signature(headers: Sequence[str]) -> str:
    """Order-insensitive fingerprint of a file's column names, for matching templates."""
    added = roundtrip.export_columns(headers)  # an export's added columns do not count
    names = sorted(normalise_header(h) for i, h in enumerate(headers) if i not in added)
    return hashlib.sha256(json.dumps(names).encode()).hexdigest()


def column_samples(upload: Upload) -> list[list[str]]:
    """Up to five non-empty values per column from the stored first rows."""
    samples: list[list[str]] = [[] for _ in upload.headers]
    for row in upload.preview:
        for index, cell in enumerate(row["cells"][: len(samples)]):
            if cell not in (None, "") and len(samples[index]) < SAMPLE_VALUES:
                samples[index].append(str(cell))
    return samples


def pii_column_indexes(upload: Upload, spec: MappingSpec) -> set[int]:
    """Columns whose values pages hide: mapped to a PII field, named or suggested as one."""
    found = set(pii_columns(spec, upload.headers))
    suggested = getattr(upload, "suggestions", None) or []
    found.update(s["index"] for s in suggested if s.get("target") in PII_FIELDS)
    return found


def first_rows(upload: Upload, spec: MappingSpec) -> list[dict[str, Any]]:
    """The stored first rows for the upload page, PII columns hidden."""
    hidden = pii_column_indexes(upload, spec)
    return [
        {
            "number": row["number"],
            "cells": [
                MASKED if i in hidden and cell not in (None, "") else cell
                for i, cell in enumerate(row["cells"])
            ],
        }
        for row in upload.preview
    ]


def upload_mapping_suggest(*, upload: Upload, template: MappingTemplate | None = None) -> None:
    """Fill in the upload's mapping: the given or a matching template's, else suggestions."""
    samples = column_samples(upload)
    source = None if template else roundtrip.source_run(upload.headers, upload.preview)
    if source is not None:  # an export of a run, fixed and uploaded again: the run's mapping
        template = source.upload.template
        spec = roundtrip.spec_from_run(source, upload.headers)
        suggestions = roundtrip.suggestions_from_spec(spec, upload.headers, run=source)
    elif (template := template or template_matching(upload.headers)) is not None:
        spec, suggestions = template_spec(upload=upload, template=template, samples=samples)
    else:
        suggestions = roundtrip.export_columns_ignored(
            suggest_mapping(upload.headers, samples), upload.headers
        )
        spec = spec_from_suggestions(suggestions, samples)
    upload.mapping = spec.to_dict()
    upload.template = template
    upload.suggestions = [
        {"index": s.index, "target": s.target, "reason": s.reason, "message": s.message}
        for s in suggestions
    ]
    upload.save(update_fields=["mapping", "template", "suggestions"])


def template_spec(
    *, upload: Upload, template: MappingTemplate, samples: list[list[str]] | None = None
) -> tuple[MappingSpec, list[Suggestion]]:
    """The template applied to the upload's columns, without changing the upload.
    `samples`: the upload's column samples when the caller has them already."""
    if samples is None:
        samples = column_samples(upload)
    remembered = {r["header"]: r["target"] for r in template.mapping.get("columns", [])}
    suggestions = roundtrip.export_columns_ignored(
        suggest_mapping(upload.headers, samples, remembered=remembered), upload.headers
    )
    constants = dict(template.mapping.get("constants", {}))
    return _template_spec(template, suggestions, samples, constants), suggestions


def _template_spec(
    template: MappingTemplate,
    suggestions: Sequence[Any],
    samples: list[list[str]],
    constants: dict[str, str],
) -> MappingSpec:
    """The template's own rules (transforms included) where its columns are present."""
    by_header = {r["header"]: r for r in template.mapping.get("columns", [])}
    rules = []
    for s in suggestions:
        saved = by_header.get(s.header)
        if saved is not None:
            rules.append(ColumnRule.from_dict({**saved, "index": s.index, "header": s.header}))
        else:
            rules.append(default_rule(s.index, s.header, s.target, samples[s.index]))
    return MappingSpec(tuple(rules), constants)


def template_matching(headers: Sequence[str]) -> MappingTemplate | None:
    signature = header_signature(headers)
    return (
        MappingTemplate.objects.filter(header_signature=signature).order_by("-updated_at").first()
    )


@dataclass(frozen=True)
class EditResult:
    spec: MappingSpec
    problems: list[SpecProblem]


def spec_from_post(upload: Upload, data: Mapping[str, str]) -> MappingSpec:
    """The mapping form as a MappingSpec; a newly chosen target gets its usual transforms."""
    samples = column_samples(upload)
    rules = []
    for index, header in enumerate(upload.headers):
        target = data.get(f"col-{index}-target") or None
        if target != (data.get(f"col-{index}-shown") or None):
            rules.append(default_rule(index, header, target, samples[index]))
            continue
        date_format = data.get(f"col-{index}-date_format") or None
        rules.append(
            ColumnRule(
                index,
                header,
                target,
                trim=f"col-{index}-trim" in data,
                date_format=date_format if target == "dateOfBirth" else None,
                gender=f"col-{index}-gender" in data,
                language=f"col-{index}-language" in data,
                phone=f"col-{index}-phone" in data,
            )
        )
    constants: dict[str, str] = {}
    for slot in range(int(data.get("constant-slots", "0") or 0)):
        field, value = data.get(f"const-{slot}-field", ""), data.get(f"const-{slot}-value", "")
        if field:
            constants[field] = value.strip()
    return MappingSpec(tuple(rules), constants)


def upload_mapping_update(
    *, upload: Upload, spec: MappingSpec, user: User | None = None
) -> EditResult:
    """Keep the operator's mapping (even with problems, so nothing they chose is lost)."""
    before = upload.mapping or {}
    upload.mapping = spec.to_dict()
    changes = mapping_changes(before, upload.mapping)
    with transaction.atomic():
        upload.save(update_fields=["mapping"])
        if changes:  # the page saves on every edit; an unchanged form is no event
            audit_record(user=user, action=actions.MAPPING_CHANGE, obj=upload, detail=changes)
    return EditResult(spec, spec.problems(upload.headers))


def mapping_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    """What changed between two mappings, in words: column names and fields, never values."""
    old = {c.get("header"): c for c in before.get("columns", [])}
    parts = []
    for column in after.get("columns", []):
        header, was = column.get("header"), old.get(column.get("header"))
        if was is None or was.get("target") != column.get("target"):
            target = column.get("target") or "not sent"
            parts.append(f"“{header}” → {target}")
        elif was != column:
            parts.append(f"“{header}” transforms")
    old_constants, new_constants = before.get("constants", {}), after.get("constants", {})
    for field in sorted(set(old_constants) | set(new_constants)):
        if field not in new_constants:
            parts.append(f"constant {field} removed")
        elif old_constants.get(field) != new_constants[field]:
            parts.append(f"constant {field} set")  # the value is not kept in the trail
    return "; ".join(parts)


def preview_rows(upload: Upload, spec: MappingSpec) -> list[dict[str, Any]]:
    """The first rows as the JSON that would be sent (PII hidden), each error on its field."""
    try:
        mapper = compile_mapping(spec, upload.headers, duplicates=DuplicateTracker())
    except MappingSpecError:
        return []
    shown = {rule.target for rule in spec.columns if rule.target} | set(spec.constants)
    hidden = pii_payload_keys(spec, upload.headers)  # a PII column mapped to another field
    rows = []
    for row in upload.preview:
        mapped = mapper.map(row["cells"], row_number=row["number"])
        errors = [{"field": e.field, "column": e.column, "text": e.text} for e in mapped.errors]
        payload = masked_payload(mapped.payload, hidden)
        rows.append(
            {
                "number": row["number"],
                "payload": payload,
                "json": json.dumps(payload, ensure_ascii=False, indent=1),
                "errors": errors,
                "other_errors": [e for e in errors if e["field"] not in shown],
            }
        )
    return rows


def column_view(upload: Upload, spec: MappingSpec) -> list[dict[str, Any]]:
    """One entry per source column for the template: samples (PII hidden), target, why."""
    samples = column_samples(upload)
    hidden = pii_column_indexes(upload, spec)
    reasons = {s["index"]: s for s in getattr(upload, "suggestions", []) or []}
    rules = {rule.index: rule for rule in spec.columns}
    view = []
    for index, header in enumerate(upload.headers):
        rule = rules.get(index) or ColumnRule(index, header)
        guess = detect_date_format(samples[index]) if rule.target == "dateOfBirth" else None
        reason = reasons.get(index)
        if reason is not None and reason.get("target") != rule.target:
            reason = {"reason": "chosen", "message": CHOSEN_BY_YOU}
        view.append(
            {
                "index": index,
                "header": header,
                "samples": [MASKED] * len(samples[index]) if index in hidden else samples[index],
                "rule": rule,
                "reason": reason,
                "refused": refused_reason(header),
                "date_guess": guess,
            }
        )
    return view


def target_choices() -> list[tuple[str, str]]:
    return [(f.key, f"{f.label} ({f.key})") for f in TARGET_FIELDS]


def template_create(*, name: str, upload: Upload, user: User) -> MappingTemplate:
    """Save the upload's mapping as a named template; ValueError if the name is taken."""
    name = name.strip()
    with transaction.atomic():
        if MappingTemplate.objects.filter(name__iexact=name).exists():
            raise ValueError(TEMPLATE_NAME_TAKEN)
        template = MappingTemplate.objects.create(
            name=name,
            header_signature=header_signature(upload.headers),
            headers=list(upload.headers),
            mapping=upload.mapping,
            created_by=user,
        )
        upload.template = template
        upload.save(update_fields=["template"])
        audit_record(
            user=user,
            action=actions.TEMPLATE_CREATE,
            obj=template,
            detail=f"“{template.name}” from upload {upload.pk}",
        )
    return template


def template_update(
    *, template: MappingTemplate, data: Mapping[str, str], user: User | None = None
) -> list[str]:
    """Rename and re-target a template from its edit form; the problems, or [] when saved."""
    name = data.get("name", "").strip()
    if not name:
        return ["Give the template a name."]
    if MappingTemplate.objects.filter(name__iexact=name).exclude(pk=template.pk).exists():
        return [TEMPLATE_NAME_TAKEN]
    columns = []
    for rule in template.mapping.get("columns", []):
        target = data.get(f"col-{rule['index']}-target") or None
        columns.append({**rule, "target": target} if target != rule.get("target") else rule)
    constants = {}
    for slot in range(int(data.get("constant-slots", "0") or 0)):
        field = data.get(f"const-{slot}-field", "")
        if field:
            constants[field] = data.get(f"const-{slot}-value", "").strip()
    try:
        spec = MappingSpec.from_dict(
            {**template.mapping, "columns": columns, "constants": constants}
        )
    except MappingSpecError as exc:
        return [str(exc)]
    problems = spec.problems()
    if problems:
        return [p.text for p in problems]
    detail = mapping_changes(template.mapping, spec.to_dict())
    if name != template.name:
        renamed = f"renamed “{template.name}” to “{name}”"
        detail = f"{renamed}; {detail}" if detail else renamed
    template.name = name
    template.mapping = spec.to_dict()
    with transaction.atomic():
        template.save(update_fields=["name", "mapping", "updated_at"])
        audit_record(
            user=user,
            action=actions.TEMPLATE_UPDATE,
            obj=template,
            detail=detail or f"“{name}” saved unchanged",
        )
    return []


def template_delete(*, template: MappingTemplate, user: User | None) -> None:
    """Delete a template; uploads that used it keep their mapping."""
    ref = ("template", template.pk)
    with transaction.atomic():
        name = template.name
        template.delete()
        audit_record(user=user, action=actions.TEMPLATE_DELETE, obj=ref, detail=f"“{name}”")

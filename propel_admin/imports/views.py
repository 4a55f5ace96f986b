"""Upload pages: thin views that call services and selectors."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from propel_admin.core.roles import OPERATE_RUNS, permission_required_403
from propel_admin.imports import mapping_edit, selectors, services, validation
from propel_admin.imports.forms import ReadOptionsForm, UploadForm
from propel_admin.imports.models import Upload
from propel_admin.imports.uploading import (
    CappedHashingUploadHandler,
    RefusingUploadHandler,
    human_size,
    rate_limited_text,
)
from propel_admin.mapping import DATE_FORMATS, MappingSpec, MappingSpecError
from propel_admin.parsing import FileRejected, ReadOptions
from propel_admin.parsing.encoding import encoding_label


@csrf_exempt  # CSRF is checked below, once the size-capping upload handler is in place
@require_http_methods(["GET", "POST"])
@permission_required_403(OPERATE_RUNS)
def upload_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        until = selectors.upload_rate_limit_until(user=request.user)  # type: ignore[arg-type]
        if until is not None:
            # Over the limit: drop the file as it streams in; the page says when to retry.
            request.rate_limited_until = until  # type: ignore[attr-defined]
            request.upload_handlers = [RefusingUploadHandler(request)]
        else:
            handlers = list(request.upload_handlers)
            request.upload_handlers = [CappedHashingUploadHandler(request), *handlers]
    return _upload_list(request)


@csrf_protect
def _upload_list(request: HttpRequest) -> HttpResponse:
    form = UploadForm()
    error = ""
    limited_until = getattr(request, "rate_limited_until", None)
    if limited_until is not None:
        return _rate_limited(request, limited_until)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        error = getattr(request, "upload_refused", "")
        if not error and form.is_valid():
            try:
                outcome = services.upload_create(
                    uploaded_file=form.cleaned_data["file"],
                    sha256=request.upload_sha256,  # type: ignore[attr-defined]
                    user=request.user,  # type: ignore[arg-type]
                )
            except FileRejected as exc:
                error = exc.message
            else:
                _say_duplicate(request, outcome.duplicate_of)
                return redirect("imports:upload-detail", upload_id=outcome.upload.pk)
    failed = bool(error) or bool(form.errors)
    return _render_upload_list(request, form, error, status=400 if failed else 200)


def _render_upload_list(
    request: HttpRequest, form: UploadForm, error: str, *, status: int
) -> HttpResponse:
    context = {
        "form": form,
        "error": error,
        "uploads": selectors.upload_list(),
        "max_bytes": settings.UPLOAD_MAX_BYTES,
        "max_size": human_size(settings.UPLOAD_MAX_BYTES),
    }
    return render(request, "imports/upload_list.html", context, status=status)


def _rate_limited(request: HttpRequest, until: datetime) -> HttpResponse:
    """429 with when to try again; the file was dropped by RefusingUploadHandler."""
    now = timezone.now()
    error = rate_limited_text(limit=settings.UPLOAD_RATE_LIMIT, retry_at=until, now=now)
    response = _render_upload_list(request, UploadForm(), error, status=429)
    response["Retry-After"] = str(max(1, math.ceil((until - now).total_seconds())))
    return response


def _say_duplicate(request: HttpRequest, earlier: Upload | None) -> None:
    if earlier is None:
        return
    link = reverse("imports:upload-detail", kwargs={"upload_id": earlier.pk})
    when = earlier.created_at.strftime("%d %b %Y %H:%M")
    messages.info(
        request,
        format_html(
            'This file is identical to <a href="{}">{}</a>, uploaded by {} on {}.',
            link,
            earlier.original_name,
            earlier.uploaded_by.get_username(),
            when,
        ),
    )


@require_http_methods(["GET"])
@permission_required_403(OPERATE_RUNS)
def upload_detail(request: HttpRequest, upload_id: int) -> HttpResponse:
    upload = get_object_or_404(Upload.objects.select_related("uploaded_by"), pk=upload_id)
    options = upload.read_options
    form = ReadOptionsForm(
        initial={
            "encoding": options.get("encoding") or "",
            "delimiter": options.get("delimiter") or "",
            "sheet": options.get("sheet") or "",
            "header_row": options.get("header_row"),
        },
        sheets=upload.sheets,
    )
    spec = _current_spec(upload)
    codec = upload.read_options.get("encoding")
    context = {
        "encoding_label": encoding_label(codec) if codec else "",
        "options_form": form,
        **_mapping_context(upload, spec, spec.problems(upload.headers)),
        "runs": upload.runs.order_by("-created_at")[:5],
        "file_purged": services.upload_file_purged(upload),
    }
    return render(request, "imports/upload_detail.html", context)


@require_POST
@permission_required_403(OPERATE_RUNS)
def upload_read_options(request: HttpRequest, upload_id: int) -> HttpResponse:
    """Read the file again with the operator's encoding, separator, sheet or header row."""
    upload = get_object_or_404(Upload, pk=upload_id)
    form = ReadOptionsForm(request.POST, sheets=upload.sheets)
    if not form.is_valid():
        messages.error(request, "Those reading options are not valid: " + form.errors.as_text())
        return redirect("imports:upload-detail", upload_id=upload.pk)
    data = form.cleaned_data
    current = upload.read_options
    # A header row the operator did not change is detected again (a new sheet has its own).
    unchanged = data["header_row"] == current.get("header_row")
    header_row = None if unchanged else data["header_row"]
    options = ReadOptions(
        format=upload.file_format,  # type: ignore[arg-type]
        encoding=data["encoding"] or None,
        delimiter=data["delimiter"] or None,
        sheet=data["sheet"] or None,
        header_row=header_row,
    )
    try:
        services.upload_reread(upload=upload, options=options, user=request.user)  # type: ignore[arg-type]
    except services.UploadPurged as exc:
        messages.error(request, str(exc))
    except FileRejected as exc:
        messages.error(request, f"The file could not be read that way: {exc.message}")
    else:
        messages.success(request, "The file was read again with your choices.")
    return redirect("imports:upload-detail", upload_id=upload.pk)


def _mapping_context(upload: Upload, spec: MappingSpec, problems: list[Any]) -> dict[str, Any]:
    constants = list(spec.constants.items())
    slots = [*constants, *[("", "")] * mapping_edit.CONSTANT_SLOTS_FREE]
    rows = mapping_edit.preview_rows(upload, spec) if not problems else []
    return {
        "upload": upload,
        "columns": mapping_edit.column_view(upload, spec),
        "targets": mapping_edit.target_choices(),
        "date_formats": list(DATE_FORMATS),
        "constant_slots": slots,
        "problems": problems,
        "warnings": spec.warnings(),
        "preview": rows,
        "preview_valid": sum(1 for r in rows if not r["errors"]),
        "first_rows": mapping_edit.first_rows(upload, spec),
        "mapped_fields": [
            *[(rule.target, rule.header) for rule in spec.columns if rule.target],
            *[(field, "constant") for field in spec.constants],
        ],
    }


def _current_spec(upload: Upload) -> MappingSpec:
    try:
        return MappingSpec.from_dict(upload.mapping)
    except MappingSpecError:
        mapping_edit.upload_mapping_suggest(upload=upload)
        return MappingSpec.from_dict(upload.mapping)


@require_POST
@permission_required_403(OPERATE_RUNS)
def upload_mapping(request: HttpRequest, upload_id: int) -> HttpResponse:
    """htmx: keep the edited mapping; answer with the preview and the controls that changed.

    The selects themselves are never swapped, so a change made while a request is on
    its way is never lost.
    """
    upload = get_object_or_404(Upload, pk=upload_id)
    spec = mapping_edit.spec_from_post(upload, request.POST)
    result = mapping_edit.upload_mapping_update(upload=upload, spec=spec, user=request.user)  # type: ignore[arg-type]
    context = _mapping_context(upload, result.spec, result.problems)
    changed = {
        i for i in range(len(upload.headers))
        if request.POST.get(f"col-{i}-target", "") != request.POST.get(f"col-{i}-shown", "")
    }  # fmt: skip
    slots = int(request.POST.get("constant-slots", "0") or 0)
    all_filled = all(request.POST.get(f"const-{n}-field") for n in range(slots))
    context.update(
        oob=True,
        changed_columns=[c for c in context["columns"] if c["index"] in changed],
        new_slot=slots if all_filled else None,
    )
    return render(request, "imports/_mapping_results.html", context)


@require_POST
@permission_required_403(OPERATE_RUNS)
def upload_template_save(request: HttpRequest, upload_id: int) -> HttpResponse:
    upload = get_object_or_404(Upload, pk=upload_id)
    name = request.POST.get("name", "").strip()
    if not name:
        messages.error(request, "Give the template a name.")
    else:
        try:
            template = mapping_edit.template_create(name=name, upload=upload, user=request.user)  # type: ignore[arg-type]
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                f"Saved the mapping as template “{template.name}”. "
                "Files with the same columns will use it.",
            )
    return redirect("imports:upload-detail", upload_id=upload.pk)


@require_POST
@permission_required_403(OPERATE_RUNS)
def upload_check(request: HttpRequest, upload_id: int) -> HttpResponse:
    """Start the dry run: check every row against Propeller's rules in the background."""
    upload = get_object_or_404(Upload, pk=upload_id)
    try:
        run = validation.run_create(upload=upload, user=request.user)  # type: ignore[arg-type]
    except (validation.MappingNotReady, MappingSpecError) as exc:
        messages.error(request, f"The mapping is not ready: {exc}")
        return redirect("imports:upload-detail", upload_id=upload.pk)
    except services.UploadPurged as exc:
        messages.error(request, str(exc))
        return redirect("imports:upload-detail", upload_id=upload.pk)
    return redirect("runs:run-detail", run_id=run.pk)

"""Upload pages: thin views that call services and selectors."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from propel_admin.imports import selectors, services
from propel_admin.imports.forms import ReadOptionsForm, UploadForm
from propel_admin.imports.models import Upload
from propel_admin.imports.uploading import CappedHashingUploadHandler, human_size
from propel_admin.parsing import FileRejected, ReadOptions


@csrf_exempt  # CSRF is checked below, once the size-capping upload handler is in place
@require_http_methods(["GET", "POST"])
def upload_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        request.upload_handlers.insert(0, CappedHashingUploadHandler(request))
    return _upload_list(request)


@csrf_protect
def _upload_list(request: HttpRequest) -> HttpResponse:
    form = UploadForm()
    error = ""
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
    context = {
        "form": form,
        "error": error,
        "uploads": selectors.upload_list(),
        "max_bytes": settings.UPLOAD_MAX_BYTES,
        "max_size": human_size(settings.UPLOAD_MAX_BYTES),
    }
    failed = bool(error) or bool(form.errors)
    return render(request, "imports/upload_list.html", context, status=400 if failed else 200)


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
    return render(request, "imports/upload_detail.html", {"upload": upload, "options_form": form})


@require_POST
def upload_read_options(request: HttpRequest, upload_id: int) -> HttpResponse:
    """Read the file again with the operator's encoding, separator, sheet or header row."""
    upload = get_object_or_404(Upload, pk=upload_id)
    form = ReadOptionsForm(request.POST, sheets=upload.sheets)
    if not form.is_valid():
        messages.error(request, "Those reading options are not valid: " + form.errors.as_text())
        return redirect("imports:upload-detail", upload_id=upload.pk)
    data = form.cleaned_data
    options = ReadOptions(
        format=upload.file_format,  # type: ignore[arg-type]
        encoding=data["encoding"] or None,
        delimiter=data["delimiter"] or None,
        sheet=data["sheet"] or None,
        header_row=data["header_row"],
    )
    try:
        services.upload_reread(upload=upload, options=options)
    except FileRejected as exc:
        messages.error(request, f"The file could not be read that way: {exc.message}")
    else:
        messages.success(request, "The file was read again with your choices.")
    return redirect("imports:upload-detail", upload_id=upload.pk)

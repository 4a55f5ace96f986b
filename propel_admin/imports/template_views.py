"""Mapping templates: list, rename and edit, delete."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from propel_admin.core.roles import MANAGE_TEMPLATES, OPERATE_RUNS, permission_required_403
from propel_admin.imports import mapping_edit
from propel_admin.imports.models import MappingTemplate
from propel_admin.mapping import MappingSpec, MappingSpecError


@require_http_methods(["GET"])
@permission_required_403(OPERATE_RUNS)
def template_list(request: HttpRequest) -> HttpResponse:
    templates = MappingTemplate.objects.select_related("created_by").order_by("name")
    return render(request, "templates_admin/template_list.html", {"templates": templates})


@require_http_methods(["GET", "POST"])
@permission_required_403(MANAGE_TEMPLATES)
def template_edit(request: HttpRequest, template_id: int) -> HttpResponse:
    template = get_object_or_404(MappingTemplate, pk=template_id)
    errors: list[str] = []
    if request.method == "POST":
        errors = mapping_edit.template_update(
            template=template,
            data=request.POST,
            user=request.user,  # type: ignore[arg-type]
        )
        if not errors:
            messages.success(request, f"Saved the template “{template.name}”.")
            return redirect("templates:template-list")
    try:
        spec = MappingSpec.from_dict(template.mapping)
    except MappingSpecError:
        spec = MappingSpec((), {})
    slots = [*spec.constants.items(), ("", "")]
    context = {
        "template": template,
        "rules": spec.columns,
        "targets": mapping_edit.target_choices(),
        "constant_slots": slots,
        "errors": errors,
    }
    return render(
        request, "templates_admin/template_edit.html", context, status=400 if errors else 200
    )


@require_http_methods(["GET", "POST"])
@permission_required_403(MANAGE_TEMPLATES)
def template_delete(request: HttpRequest, template_id: int) -> HttpResponse:
    template = get_object_or_404(MappingTemplate, pk=template_id)
    if request.method == "POST":
        name = template.name
        mapping_edit.template_delete(template=template, user=request.user)  # type: ignore[arg-type]
        messages.success(
            request, f"Deleted the template “{name}”. Uploads that used it keep their mapping."
        )
        return redirect("templates:template-list")
    return render(request, "templates_admin/template_delete.html", {"template": template})

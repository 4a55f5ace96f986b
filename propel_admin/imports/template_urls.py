from __future__ import annotations

from django.urls import path

from propel_admin.imports import template_views

app_name = "templates"

urlpatterns = [
    path("", template_views.template_list, name="template-list"),
    path("<int:template_id>/", template_views.template_edit, name="template-edit"),
    path("<int:template_id>/delete/", template_views.template_delete, name="template-delete"),
]

from __future__ import annotations

from django.urls import path

from propel_admin.imports import run_views

app_name = "runs"

urlpatterns = [
    path("<int:run_id>/", run_views.run_detail, name="run-detail"),
    path("<int:run_id>/progress/", run_views.run_progress, name="run-progress"),
    path(
        "<int:run_id>/invalid.<str:file_format>",
        run_views.run_invalid_download,
        name="run-invalid-download",
    ),
]

from __future__ import annotations

from django.urls import path

from propel_admin.imports import export_views, history_views, pii_views, rerun_views, run_views

app_name = "runs"

urlpatterns = [
    path("", history_views.run_history, name="run-list"),
    path("<int:run_id>/start/", run_views.run_start, name="run-start"),
    path("<int:run_id>/pause/", run_views.run_pause, name="run-pause"),
    path("<int:run_id>/resume/", run_views.run_resume, name="run-resume"),
    path("<int:run_id>/cancel/", run_views.run_cancel, name="run-cancel"),
    path("<int:run_id>/", run_views.run_detail, name="run-detail"),
    path("<int:run_id>/progress/", run_views.run_progress, name="run-progress"),
    path("<int:run_id>/rows/", run_views.run_rows, name="run-rows"),
    path("<int:run_id>/rows/<int:row_number>/", run_views.run_row, name="run-row"),
    path(
        "<int:run_id>/invalid.<str:file_format>",
        run_views.run_invalid_download,
        name="run-invalid-download",
    ),
    path(
        "<int:run_id>/export/<str:kind>.<str:file_format>",
        export_views.run_export,
        name="run-export",
    ),
    path("<int:run_id>/rerun/", rerun_views.rerun_confirm, name="rerun-confirm"),
    path("<int:run_id>/rows/<int:row_number>/fix/", rerun_views.row_fix, name="row-fix"),
    path("<int:run_id>/rows/<int:row_number>/reveal/", pii_views.row_reveal, name="row-reveal"),
]

from __future__ import annotations

from django.urls import path

from propel_admin.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.upload_list, name="upload-list"),
    path("<int:upload_id>/", views.upload_detail, name="upload-detail"),
    path("<int:upload_id>/read-options/", views.upload_read_options, name="upload-read-options"),
    path("<int:upload_id>/mapping/", views.upload_mapping, name="upload-mapping"),
    path("<int:upload_id>/template/", views.upload_template_save, name="upload-template-save"),
    path("<int:upload_id>/check/", views.upload_check, name="upload-check"),
]

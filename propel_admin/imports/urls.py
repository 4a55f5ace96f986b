from __future__ import annotations

from django.urls import path

from propel_admin.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.upload_list, name="upload-list"),
    path("<int:upload_id>/", views.upload_detail, name="upload-detail"),
    path("<int:upload_id>/read-options/", views.upload_read_options, name="upload-read-options"),
]

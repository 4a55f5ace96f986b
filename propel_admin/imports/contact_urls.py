from __future__ import annotations

from django.urls import path

from propel_admin.imports import contact_views

app_name = "contacts"

urlpatterns = [
    path("", contact_views.contact_lookup, name="contact-lookup"),
]

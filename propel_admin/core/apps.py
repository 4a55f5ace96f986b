from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "propel_admin.core"
    label = "core"
    verbose_name = "Propel Admin"

from __future__ import annotations

from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "propel_admin.sandbox"
    label = "sandbox"
    verbose_name = "Propeller sandbox"

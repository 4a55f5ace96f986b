from __future__ import annotations

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "propel_admin.audit"
    label = "audit"
    verbose_name = "Audit trail"

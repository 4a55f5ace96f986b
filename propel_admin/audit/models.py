"""The audit trail: who did what to which object, when and from where. Never PII values."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from propel_admin.audit.actions import LABELS


class AuditEvent(models.Model):
    """One action by a person (or the system) on one object. Written, never changed."""

    # SET_NULL and a snapshot of the name: the trail outlives the account.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=20, blank=True)  # run, upload, template, row
    object_id = models.BigIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=500, blank=True)  # for people; never contact data
    ip = models.GenericIPAddressField(null=True, blank=True)  # web actions only

    class Meta:
        ordering = ["-id"]
        permissions = [("view_audit", "Can read the audit trail")]
        indexes = [
            models.Index(fields=["object_type", "object_id", "-id"], name="audit_object"),
            models.Index(fields=["action", "-id"], name="audit_action"),
            models.Index(fields=["username", "-id"], name="audit_username"),
        ]

    def __str__(self) -> str:
        where = f" {self.object_type} {self.object_id}" if self.object_type else ""
        return f"{self.action}{where} by {self.username}"

    @property
    def object_label(self) -> str:
        if not self.object_type:
            return ""
        return f"{self.object_type} {self.object_id}" if self.object_id else self.object_type

    @property
    def action_label(self) -> str:
        return LABELS.get(self.action, self.action)

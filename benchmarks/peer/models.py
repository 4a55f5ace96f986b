"""The benchmark CSV's 13 columns as plain text fields: what a default ModelResource fills."""

from __future__ import annotations

from django.db import models

# In the CSV's column order; the peer renames the file's headers to these.
FIELDS = (
    "contact_id",
    "first_name",
    "middle_name",
    "last_name",
    "abbreviation",
    "title",
    "date_of_birth",
    "gender",
    "phone",
    "email",
    "parent_company_id",
    "language",
    "source_id",
)


class PeerContact(models.Model):
    contact_id = models.CharField(max_length=255, blank=True)
    first_name = models.CharField(max_length=255, blank=True)
    middle_name = models.CharField(max_length=255, blank=True)
    last_name = models.CharField(max_length=255, blank=True)
    abbreviation = models.CharField(max_length=255, blank=True)
    title = models.CharField(max_length=255, blank=True)
    date_of_birth = models.CharField(max_length=255, blank=True)
    gender = models.CharField(max_length=255, blank=True)
    phone = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=255, blank=True)
    parent_company_id = models.CharField(max_length=255, blank=True)
    language = models.CharField(max_length=255, blank=True)
    source_id = models.CharField(max_length=255, blank=True)

    objects: models.Manager[PeerContact] = models.Manager()

    def __str__(self) -> str:
        return f"Peer contact {self.contact_id}"

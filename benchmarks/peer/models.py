"""The peer's model: a contact as Propeller keeps it, for django-import-export to fill.

Equivalent to what our pipeline produces: the contact's id is its key (the bulk-by-id
endpoint upserts by id, so a default ModelResource looks each row up by `id` and then
saves it) and the date of birth is a date, so the peer parses and refuses bad dates as
our validation does.
"""

from __future__ import annotations

from django.db import models

# In the CSV's column order; the peer renames the file's headers to these.
FIELDS = (
    "id",
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
    id = models.BigIntegerField(primary_key=True)
    first_name = models.CharField(max_length=255, blank=True)
    middle_name = models.CharField(max_length=255, blank=True)
    last_name = models.CharField(max_length=255, blank=True)
    abbreviation = models.CharField(max_length=255, blank=True)
    title = models.CharField(max_length=255, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=255, blank=True)
    phone = models.CharField(max_length=255, blank=True)
    email = models.EmailField(max_length=255, blank=True)
    # Text: its IntegerWidget raises decimal errors on "ACME", which roll the import back.
    parent_company_id = models.CharField(max_length=255, blank=True)
    language = models.CharField(max_length=255, blank=True)
    source_id = models.CharField(max_length=255, blank=True)

    objects: models.Manager[PeerContact] = models.Manager()

    def __str__(self) -> str:
        return f"Peer contact {self.pk}"

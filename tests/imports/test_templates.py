from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from propel_admin.imports.mapping_edit import TEMPLATE_NAME_TAKEN, header_signature
from propel_admin.imports.models import MappingTemplate
from propel_admin.mapping import MappingSpec
from propel_admin.mapping.spec import ColumnRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def template(operator) -> MappingTemplate:  # type: ignore[no-untyped-def]
    headers = ["Contact ID", "Naam", "Mail"]
    spec = MappingSpec(
        (
            ColumnRule(0, "Contact ID", "id"),
            ColumnRule(1, "Naam", "lastName"),
            ColumnRule(2, "Mail", "email"),
        ),
        {"source": "CRM"},
    )
    return MappingTemplate.objects.create(
        name="CRM export", header_signature=header_signature(headers), headers=headers,
        mapping=spec.to_dict(), created_by=operator,
    )  # fmt: skip


def test_the_list_shows_templates_and_only_admins_get_their_edit_links(  # type: ignore[no-untyped-def]
    client: Client, operator, admin_user, template
) -> None:
    edit = reverse("templates:template-edit", args=[template.pk])
    client.force_login(operator)
    page = client.get(reverse("templates:template-list")).content.decode()
    assert "CRM export" in page
    assert edit not in page
    assert client.get(edit).status_code == 403
    client.force_login(admin_user)
    assert edit in client.get(reverse("templates:template-list")).content.decode()


def test_a_template_can_be_renamed_and_retargeted(client: Client, admin_user, template) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    data = {
        "name": "CRM export (v2)", "col-0-target": "id", "col-1-target": "firstName",
        "col-2-target": "", "constant-slots": "2", "const-0-field": "source",
        "const-0-value": "ERP", "const-1-field": "", "const-1-value": "",
    }  # fmt: skip
    response = client.post(reverse("templates:template-edit", args=[template.pk]), data)
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.name == "CRM export (v2)"
    targets = [c["target"] for c in template.mapping["columns"]]
    assert targets == ["id", "firstName", None]
    assert template.mapping["constants"] == {"source": "ERP"}


def test_two_columns_on_one_field_are_refused(client: Client, admin_user, template) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    data = {
        "name": "CRM export",
        "col-0-target": "id",
        "col-1-target": "email",
        "col-2-target": "email",
    }
    response = client.post(reverse("templates:template-edit", args=[template.pk]), data)
    assert response.status_code == 400
    assert "Two columns are mapped to the same field" in response.content.decode()
    template.refresh_from_db()
    assert template.mapping["columns"][1]["target"] == "lastName"


def test_a_taken_name_is_refused(client: Client, operator, admin_user, template) -> None:  # type: ignore[no-untyped-def]
    MappingTemplate.objects.create(
        name="Other", header_signature="x", headers=[], mapping={}, created_by=operator
    )
    client.force_login(admin_user)
    response = client.post(
        reverse("templates:template-edit", args=[template.pk]), {"name": "other"}
    )
    assert response.status_code == 400
    assert TEMPLATE_NAME_TAKEN in response.content.decode()


def test_deleting_asks_first_then_deletes(client: Client, admin_user, template) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    url = reverse("templates:template-delete", args=[template.pk])
    assert "Delete the template" in client.get(url).content.decode()
    assert MappingTemplate.objects.count() == 1
    response = client.post(url, follow=True)
    assert "Deleted the template “CRM export”" in response.content.decode()
    assert MappingTemplate.objects.count() == 0

"""The audit page (superusers only, filtered, newest first, 50 a page) and the admin's view."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from propel_admin.audit import actions
from propel_admin.audit.forms import FILTERS_IGNORED, OBJECT_MALFORMED
from propel_admin.audit.models import AuditEvent
from propel_admin.audit.services import audit_record

pytestmark = pytest.mark.django_db

URL = "/audit/"


def _rows(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.detail for e in response.context["events"]]


@pytest.fixture
def trail(operator, superuser) -> None:  # type: ignore[no-untyped-def]
    audit_record(user=operator, action=actions.UPLOAD_CREATE, obj=("upload", 3), detail="up 3")
    audit_record(user=operator, action=actions.RUN_CHECK, obj=("run", 12), detail="check 12")
    audit_record(user=superuser, action=actions.RUN_START, obj=("run", 12), detail="start 12")
    audit_record(user=operator, action=actions.RUN_START, obj=("run", 120), detail="start 120")
    audit_record(user=None, action=actions.RUN_PAUSE, obj=("run", 12), detail="pause 12")
    old = audit_record(user=operator, action=actions.RUN_CHECK, obj=("run", 7), detail="old 7")
    AuditEvent.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=40))


def test_only_those_who_may_see_it_get_the_page_and_the_link(
    client: Client, operator, admin_user, superuser
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    assert client.get(URL).status_code == 403
    assert 'href="/audit/"' not in client.get(reverse("home")).content.decode()
    for allowed in (admin_user, superuser):
        client.force_login(allowed)
        assert client.get(URL).status_code == 200
        assert 'href="/audit/"' in client.get(reverse("home")).content.decode()


def test_it_lists_newest_first_and_filters_by_object(client: Client, superuser, trail) -> None:  # type: ignore[no-untyped-def]
    client.force_login(superuser)
    assert _rows(client.get(URL)) == [
        "old 7", "pause 12", "start 120", "start 12", "check 12", "up 3",
    ]  # fmt: skip
    assert _rows(client.get(URL, {"object": "run 12"})) == ["pause 12", "start 12", "check 12"]
    assert _rows(client.get(URL, {"object": "Run #12"})) == ["pause 12", "start 12", "check 12"]
    assert _rows(client.get(URL, {"object": "upload"})) == ["up 3"]


def test_it_filters_by_person_action_and_dates(client: Client, superuser, trail) -> None:  # type: ignore[no-untyped-def]
    client.force_login(superuser)
    assert _rows(client.get(URL, {"person": "root"})) == ["start 12"]
    assert _rows(client.get(URL, {"person": "system"})) == ["pause 12"]
    assert _rows(client.get(URL, {"action": "run.start"})) == ["start 120", "start 12"]
    assert _rows(client.get(URL, {"action": "run.check", "person": "olivia"})) == [
        "old 7", "check 12",
    ]  # fmt: skip
    today = timezone.localdate()
    long_ago = (today - timedelta(days=41)).isoformat()
    month_ago = (today - timedelta(days=30)).isoformat()
    assert _rows(client.get(URL, {"date_from": long_ago, "date_to": month_ago})) == ["old 7"]
    assert "old 7" not in _rows(client.get(URL, {"date_from": month_ago}))


def test_an_unusable_filter_is_named_and_left_out(client: Client, superuser, trail) -> None:  # type: ignore[no-untyped-def]
    client.force_login(superuser)
    response = client.get(URL, {"object": "contact 4", "action": "run.start"})
    page = response.content.decode()
    assert FILTERS_IGNORED in page
    assert OBJECT_MALFORMED.split(",")[0] in page
    assert _rows(response) == ["start 120", "start 12"]  # the action filter still applies


def test_it_pages_fifty_at_a_time(client: Client, superuser) -> None:  # type: ignore[no-untyped-def]
    for n in range(120):
        audit_record(user=superuser, action=actions.RUN_CHECK, obj=("run", n), detail=f"e{n}")
    client.force_login(superuser)
    first = client.get(URL)
    assert _rows(first) == [f"e{n}" for n in range(119, 69, -1)]
    second = client.get(URL, {"before": first.context["next_before"]})
    assert _rows(second) == [f"e{n}" for n in range(69, 19, -1)]
    assert "Newest events" in second.content.decode()
    third = client.get(URL, {"before": second.context["next_before"]})
    assert _rows(third) == [f"e{n}" for n in range(19, -1, -1)]
    assert third.context["next_before"] is None


def test_the_admin_shows_events_but_cannot_change_them(client: Client, superuser, trail) -> None:  # type: ignore[no-untyped-def]
    client.force_login(superuser)
    event = AuditEvent.objects.first()
    assert event is not None
    assert client.get("/admin/audit/auditevent/").status_code == 200
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    assert client.get(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403
    change = f"/admin/audit/auditevent/{event.pk}/change/"
    assert client.get(change).status_code == 200  # shown read-only
    client.post(change, {"detail": "rewritten"})
    event.refresh_from_db()
    assert event.detail != "rewritten"

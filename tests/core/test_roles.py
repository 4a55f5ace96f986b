"""Who gets what, for every route of the URLconf: the role matrix.

Each route is asked for by five people (nobody logged in, a user without a role, a Viewer,
an Operator and an Admin) with sample arguments that point at real objects: an upload, a
finished run with a failed row, that row, a template. The expected answers are the table
below, one line per route and method:

  login  a redirect to the login page, to come back here afterwards (the admin's and the
         queue dashboard's go by /admin/login/, which sends on to the app's login page)
  403    refused, with the page that says to ask an administrator
  405    the method is not allowed (a POST-only view asked with GET)
  ok     GET: 200 or a redirect elsewhere; POST: anything but a login redirect, 403 or a
         server error (a form with errors answers 400)
  any    let in (no login redirect, no server error); the page itself may still say 403
         or 404 for its own reasons (the Django admin's model pages check model permissions)

`admin:*` and `django_rq:*` stand for every route of the Django admin (its catch-all
too) and of the queue dashboard that has no line of its own.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from propel_admin.core import health, roles
from propel_admin.imports import failures
from propel_admin.imports.models import ContactRow, ImportRun, MappingTemplate, RowStatus, RunStatus
from propel_admin.mapping.spec import SPEC_VERSION
from tests.core.routes import routes, sample_path
from tests.factories import run_make, upload_make

pytestmark = pytest.mark.django_db

ROLE_MATRIX = """
route                            method  anonymous  no-role  viewer  operator  admin
home                             GET     login      ok       ok      ok        ok
status                           GET     login      ok       ok      ok        ok
propeller-test                   GET     login      405      405     405       405
propeller-test                   POST    login      403      403     ok        ok
healthz                          GET     ok         ok       ok      ok        ok
login                            GET     ok         ok       ok      ok        ok
logout                           GET     login      405      405     405       405
account                          GET     login      ok       ok      ok        ok
logout-everywhere                GET     login      405      405     405       405
logout-everywhere                POST    login      ok       ok      ok        ok
password_change                  GET     login      ok       ok      ok        ok
password_change_done             GET     login      ok       ok      ok        ok
imports:upload-list              GET     login      403      403     ok        ok
imports:upload-list              POST    login      403      403     ok        ok
imports:upload-detail            GET     login      403      403     ok        ok
imports:upload-read-options      GET     login      405      405     405       405
imports:upload-read-options      POST    login      403      403     ok        ok
imports:upload-mapping           GET     login      405      405     405       405
imports:upload-mapping           POST    login      403      403     ok        ok
imports:upload-template-save     GET     login      405      405     405       405
imports:upload-template-save     POST    login      403      403     ok        ok
imports:upload-check             GET     login      405      405     405       405
imports:upload-check             POST    login      403      403     ok        ok
runs:run-list                    GET     login      403      ok      ok        ok
runs:run-detail                  GET     login      403      ok      ok        ok
runs:run-progress                GET     login      403      ok      ok        ok
runs:run-rows                    GET     login      403      ok      ok        ok
runs:run-row                     GET     login      403      ok      ok        ok
runs:run-start                   GET     login      405      405     405       405
runs:run-start                   POST    login      403      403     ok        ok
runs:run-pause                   GET     login      405      405     405       405
runs:run-pause                   POST    login      403      403     ok        ok
runs:run-resume                  GET     login      405      405     405       405
runs:run-resume                  POST    login      403      403     ok        ok
runs:run-cancel                  GET     login      405      405     405       405
runs:run-cancel                  POST    login      403      403     ok        ok
runs:run-invalid-download        GET     login      403      403     ok        ok
runs:run-export                  GET     login      403      403     ok        ok
runs:rerun-confirm               GET     login      403      403     ok        ok
runs:rerun-confirm               POST    login      403      403     ok        ok
runs:row-fix                     GET     login      405      405     405       405
runs:row-fix                     POST    login      403      403     ok        ok
runs:row-reveal                  GET     login      405      405     405       405
runs:row-reveal                  POST    login      403      403     403       ok
contacts:contact-lookup          GET     login      403      ok      ok        ok
templates:template-list          GET     login      403      403     ok        ok
templates:template-edit          GET     login      403      403     403       ok
templates:template-edit          POST    login      403      403     403       ok
templates:template-delete        GET     login      403      403     403       ok
templates:template-delete        POST    login      403      403     403       ok
audit:audit-list                 GET     login      403      403     403       ok
admin:login                      GET     login      403      403     403       ok
admin:index                      GET     login      403      403     403       ok
admin:auth_user_changelist       GET     login      403      403     403       ok
admin:auth_user_change           GET     login      403      403     403       ok
admin:auth_group_changelist      GET     login      403      403     403       ok
admin:axes_accessattempt_changelist GET  login      403      403     403       ok
admin:audit_auditevent_changelist GET    login      403      403     403       ok
admin:*                          GET     login      403      403     403       any
django_rq:*                      GET     login      403      403     403       403
"""
PERSONAS = ("anonymous", "no-role", "viewer", "operator", "admin")
# POST bodies for the actions that need one to do something real.
POST_DATA: dict[str, dict[str, str]] = {
    "imports:upload-template-save": {"name": "Saved from the matrix"},
    "runs:row-fix": {"cell-0": "1", "cell-1": "fixed@example.com"},
    "templates:template-edit": {"name": "Renamed by the matrix"},
}


def _table() -> dict[tuple[str, str], dict[str, str]]:
    lines = [line.split() for line in ROLE_MATRIX.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert tuple(header[2:]) == PERSONAS
    table = {}
    for row in rows:
        assert len(row) == len(header), row
        table[(row[0], row[1])] = dict(zip(PERSONAS, row[2:], strict=True))
    return table


TABLE = _table()
FAMILIES = ("admin:", "admin/", "django_rq:")


def _line(name: str, method: str) -> dict[str, str] | None:
    """The table's line for a route, or for its family (admin:*, django_rq:*)."""
    if (name, method) in TABLE:
        return TABLE[(name, method)]
    if name.startswith("django_rq:"):
        return TABLE.get(("django_rq:*", method))
    if name.startswith(("admin:", "admin/")):  # admin/… : the admin's unnamed catch-all
        return TABLE.get(("admin:*", method))
    return None


def _cases() -> Iterator[tuple[str, str, str]]:
    for route, name, _ in routes():
        for method in ("GET", "POST"):
            if _line(name, method) is not None:
                yield name, method, route


CASES = list(_cases())


def test_the_table_has_a_get_line_for_every_route_and_no_line_for_a_route_that_is_gone() -> None:
    names = {name for _, name, _ in routes()}
    missing = sorted(n for n in names if _line(n, "GET") is None)
    assert missing == []
    stale = sorted(
        f"{n} {m}" for n, m in TABLE if not n.endswith("*") and n not in names
    )  # fmt: skip
    assert stale == []
    assert len(CASES) > 60


@pytest.fixture(autouse=True)
def _quick(settings, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Fast hashing, files under tmp_path, and health checks that reach nothing outside."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(health, "system_health", lambda: {})
    monkeypatch.setattr(health, "check_propeller", lambda fresh=False: health.Check(True, "ok"))


def _spec() -> dict[str, Any]:
    columns = [("Contact ID", "id"), ("Email", "email"), ("BSN", "ssn")]
    return {
        "version": SPEC_VERSION,
        "columns": [
            {"index": i, "header": header, "target": target}
            for i, (header, target) in enumerate(columns)
        ],
        "constants": {},
    }


@pytest.fixture
def world(operator) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """An upload, its finished run with one failed row, and a template: the sample ids."""
    upload = upload_make(operator)
    upload.mapping = _spec()
    upload.save(update_fields=["mapping"])
    run = run_make(upload, operator, status=RunStatus.FINISHED_FAILURES, rows=3)
    message = "Parent resource [Company] with id [12] not found"
    ImportRun.objects.filter(pk=run.pk).update(
        mapping=_spec(), rows_created=2, rows_failed=1, send_started_by=operator
    )
    ContactRow.objects.filter(run=run, row_number=3).update(
        status=RowStatus.FAILED, message=message, failure_key=failures.failure_key(message)
    )
    template = MappingTemplate.objects.create(
        name="Weekly contacts", header_signature="sig", headers=upload.headers,
        mapping=_spec(), created_by=operator,
    )  # fmt: skip
    return {
        "upload_id": upload.pk,
        "run_id": run.pk,
        "row_number": 3,
        "template_id": template.pk,
        "kind": "results",
        "file_format": "csv",
        "object_id": operator.pk,  # the Django admin's user pages
    }


@pytest.fixture
def people(operator, viewer, admin_user, no_role) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {"anonymous": None, "no-role": no_role, "viewer": viewer,
            "operator": operator, "admin": admin_user}  # fmt: skip


def _answer(response: Any) -> str:
    """The table's word for a response (ok and in are told apart by the caller)."""
    # "?next=": after logging out everywhere comes the bare login page, which is no refusal.
    logins = (reverse("login") + "?next=", reverse("admin:login") + "?next=")
    if response.status_code == 302 and response["Location"].startswith(logins):
        return "login"
    if response.status_code in (403, 405):
        return str(response.status_code)
    if response.status_code >= 500:
        return f"error {response.status_code}"
    return "ok"


def _matches(expected: str, response: Any, method: str) -> bool:
    answer = _answer(response)
    if expected == "ok" and method == "GET":
        return answer == "ok" and response.status_code in (200, 302)
    if expected == "any":
        return answer in ("ok", "403", "405")
    return answer == expected


@pytest.mark.parametrize(
    ("name", "method", "route"), CASES, ids=[f"{n} {m}" for n, m, _ in CASES]
)  # fmt: skip
def test_each_role_gets_what_the_table_says(  # type: ignore[no-untyped-def]
    name: str, method: str, route: str, world, people
) -> None:
    expected = _line(name, method)
    assert expected is not None
    path = sample_path(route, world)
    wrong = []
    for persona in PERSONAS:  # the Admin last: its POSTs may delete the sample template
        client = Client()
        if people[persona] is not None:
            client.force_login(people[persona])
        if method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, POST_DATA.get(name, {}))
        if not _matches(expected[persona], response, method):
            wrong.append(f"{persona}: expected {expected[persona]}, got {response.status_code}")
    assert wrong == [], f"{method} {path}"


def test_a_missing_object_is_404_only_for_those_allowed_to_see_its_kind(  # type: ignore[no-untyped-def]
    client: Client, world, viewer, operator, admin_user, no_role
) -> None:
    missing = {**world, "run_id": 999999, "upload_id": 999999, "template_id": 999999}
    run_page = reverse("runs:run-detail", args=[missing["run_id"]])
    upload_page = reverse("imports:upload-detail", args=[missing["upload_id"]])
    template_page = reverse("templates:template-edit", args=[missing["template_id"]])
    answers = {}
    for who in (no_role, viewer, operator, admin_user):
        client.force_login(who)
        answers[who.username] = [client.get(p).status_code for p in (run_page, upload_page,
                                                                      template_page)]  # fmt: skip
    assert answers == {
        "nora": [403, 403, 403],
        "victor": [404, 403, 403],
        "olivia": [404, 404, 403],
        "ada": [404, 404, 404],
    }


def test_the_refusal_page_says_what_to_do(client: Client, world, viewer, no_role) -> None:  # type: ignore[no-untyped-def]
    client.force_login(no_role)
    page = client.get(reverse("runs:run-list"))
    assert page.status_code == 403
    assert roles.NO_ROLE in page.content.decode()
    client.force_login(viewer)
    page = client.get(reverse("imports:upload-list"))
    assert page.status_code == 403
    assert roles.ROLE_TOO_LOW.format(role="Viewer") in page.content.decode()


def test_a_superuser_keeps_everything(client: Client, world, superuser) -> None:  # type: ignore[no-untyped-def]
    client.force_login(superuser)
    refused = []
    for name, method, route in CASES:
        if method != "GET" or name.startswith(FAMILIES):
            continue
        response = client.get(sample_path(route, world))
        if _answer(response) in ("403", "login") or response.status_code >= 500:
            refused.append(f"{name}: {response.status_code}")
    assert refused == []
    assert client.get(reverse("django_rq:home")).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_groups_carry_the_permissions_of_their_role(viewer) -> None:  # type: ignore[no-untyped-def]
    def perms(group: str) -> set[str]:
        found = Group.objects.get(name=group).permissions.values_list(
            "content_type__app_label", "codename"
        )
        return {f"{app}.{code}" for app, code in found}

    assert perms("Viewer") == {roles.VIEW_RUNS}
    assert perms("Operator") == {roles.VIEW_RUNS, roles.OPERATE_RUNS}
    assert {roles.MANAGE_TEMPLATES, roles.VIEW_PII, roles.VIEW_AUDIT, roles.MANAGE_USERS} <= perms(
        "Admin"
    )
    assert roles.VIEW_PII not in perms("Operator")


def _csv_rows(response: Any) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def test_only_those_with_view_pii_see_social_security_numbers(  # type: ignore[no-untyped-def]
    client: Client, world, viewer, operator, admin_user
) -> None:
    row_page = reverse("runs:run-row", args=[world["run_id"], 3])
    export = reverse("runs:run-export", args=[world["run_id"], "results", "csv"])
    for who in (viewer, operator):
        client.force_login(who)
        page = client.get(row_page).content.decode()
        assert "123456782" not in page
        assert "•••" in page
    assert _csv_rows(client.get(export))[2][2] == "•••"  # the operator's export: row 3's BSN

    reveal = reverse("runs:row-reveal", args=[world["run_id"], 3])
    assert client.post(reveal).status_code == 403  # the operator may not show them

    client.force_login(admin_user)  # may see them, but only when asking, and it is recorded
    page = client.get(row_page).content.decode()
    assert "123456782" not in page
    shown = client.post(reveal).content.decode()
    assert "123456782" in shown
    assert _csv_rows(client.get(export))[2][2] == "•••"
    assert _csv_rows(client.get(export, {"pii": "show"}))[2][2] == "123456782"


def _page(client: Client, who: Any, url: str) -> str:
    client.force_login(who)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_header_shows_the_role_and_only_the_links_it_can_use(  # type: ignore[no-untyped-def]
    client: Client, viewer, operator, admin_user, no_role, superuser
) -> None:
    home = reverse("home")
    links = ("/uploads/", "/runs/", "/contacts/", "/templates/", "/audit/", "/admin/")
    seen = {}
    for who in (no_role, viewer, operator, admin_user, superuser):
        body = _page(client, who, home)
        role = body.split('id="user-role"')[1].split(">")[1].split("<")[0]
        seen[who.username] = (role, [link for link in links if f'href="{link}"' in body])
    assert seen == {
        "nora": ("No role", []),
        "victor": ("Viewer", ["/runs/", "/contacts/"]),
        "olivia": ("Operator", ["/uploads/", "/runs/", "/contacts/", "/templates/"]),
        "ada": ("Admin", list(links)),
        "root": ("Superuser", list(links)),
    }
    assert roles.NO_ROLE in _page(client, no_role, home)


def test_pages_hide_the_buttons_a_viewer_cannot_use(  # type: ignore[no-untyped-def]
    client: Client, world, viewer, operator, admin_user
) -> None:
    run_id = world["run_id"]
    pages = {
        "run": (reverse("runs:run-detail", args=[run_id]), ["rerun-all", "Results (CSV)",
                                                             "upload-detail"]),
        "row": (reverse("runs:run-row", args=[run_id, 3]), ['name="cell-0"', "rerun-row"]),
        "failed rows": (reverse("runs:run-rows", args=[run_id]) + "?status=failed",
                        ['form="rerun-selected"', "rerun-selected-button"]),
        "status": (reverse("status"), ["Test connection"]),
    }  # fmt: skip
    for label, (url, controls) in pages.items():
        shown = _page(client, operator, url)
        hidden = _page(client, viewer, url)
        for control in controls:
            control = control.replace("upload-detail", f"/uploads/{world['upload_id']}/")
            assert control in shown, f"{label}: {control} missing for the operator"
            assert control not in hidden, f"{label}: {control} shown to the viewer"

    templates = reverse("templates:template-list")
    delete = reverse("templates:template-delete", args=[world["template_id"]])
    assert delete not in _page(client, operator, templates)
    assert delete in _page(client, admin_user, templates)

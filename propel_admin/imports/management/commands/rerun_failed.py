"""manage.py rerun_failed: send a finished run's failed rows again, as a child run."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from propel_admin.core import health
from propel_admin.core.roles import NOT_AN_OPERATOR, OPERATE_RUNS
from propel_admin.imports import reruns
from propel_admin.imports.management.commands.import_contacts import follow_run, send_summary
from propel_admin.imports.models import ImportRun, MappingTemplate, RunStatus

EXIT_FAILURES = 1
EXIT_BAD_ARGUMENTS = 2


class BadArguments(Exception):
    """Exit 2 with this one-line reason."""


class Command(BaseCommand):
    help = (
        "Re-run the failed rows of a finished run (all, or one error group with --group) as a "
        "new run linked to it. Exit 0 when it finished (without --wait: when it was queued), "
        "1 when rows failed again or could not be sent, 2 on bad arguments."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("run_id", help="the run whose failed rows to send again")
        parser.add_argument(
            "--group", help="only this error group: its key, or a message as Propeller wrote it"
        )
        parser.add_argument("--user", help="who re-runs (default: who sent the run)")
        parser.add_argument("--template", help="map the rows with this saved mapping template")
        parser.add_argument("--wait", action="store_true", help="follow the run until it ends")
        parser.add_argument("--json", action="store_true", help="print one JSON object at the end")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            parent, child = self._create(options)
        except (BadArguments, reruns.RerunRefused) as exc:
            self.stderr.write(f"rerun_failed: {exc}")
            sys.exit(EXIT_BAD_ARGUMENTS)
        if options["wait"]:
            here = not health.check_workers().ok
            if here and not options["json"]:
                self.stderr.write("no RQ worker is running: doing the work in this process")
            child = follow_run(child, here=here, quiet=options["json"], write=self.stderr.write)
        summary = {**send_summary(child), "parent_run_id": parent.pk}
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
        else:
            self.stdout.write(
                f"Run #{child.pk}, a re-run of #{parent.pk}: {child.get_status_display()}; "
                f"{summary['rows']} rows, {summary['invalid']} with problems; sent "
                f"{summary['sent']}: {summary['created']} created, {summary['updated']} updated, "
                f"{summary['failed']} failed"
            )
        ok = child.status == RunStatus.FINISHED or not options["wait"]
        sys.exit(0 if ok else EXIT_FAILURES)

    def _create(self, options: dict[str, Any]) -> tuple[ImportRun, ImportRun]:
        run_id = str(options["run_id"]).strip().lstrip("#")
        parent = ImportRun.objects.filter(pk=int(run_id)).first() if run_id.isdigit() else None
        if parent is None:
            raise BadArguments(f"no run {options['run_id']!r}")
        user = _user(options["user"], parent)
        group = ""
        if options["group"]:
            group = reruns.group_key(run=parent, text=options["group"]) or ""
            if not group:
                raise BadArguments(
                    f"run #{parent.pk} has no failed rows in the group {options['group']!r}"
                )
        template = None
        if options["template"]:
            template = MappingTemplate.objects.filter(name__iexact=options["template"]).first()
            if template is None:
                raise BadArguments(f"no mapping template named {options['template']!r}")
        child = reruns.run_rerun_create(
            run_id=parent.pk, user=user, scope=reruns.RerunScope(group=group), template=template
        )
        return parent, child


def _user(username: str | None, run: ImportRun) -> Any:
    if username is None:
        user = run.send_started_by or run.created_by
    else:
        try:
            user = get_user_model().objects.get(username=username, is_active=True)
        except get_user_model().DoesNotExist:
            raise BadArguments(f"no active user {username!r}") from None
    if not user.has_perm(OPERATE_RUNS):  # the run page's rule, from the terminal too
        name = user.get_username()
        raise BadArguments(NOT_AN_OPERATOR.format(name=name, action="re-run failed rows"))
    return user

"""Re-run parts of the run and row pages, as inclusion tags so the pages need one line each."""

from __future__ import annotations

from typing import Any

from django import template

from propel_admin.core.roles import OPERATE_RUNS
from propel_admin.imports import rerun_selectors
from propel_admin.imports.models import ContactRow, ImportRun
from propel_admin.imports.reruns import RerunScope

register = template.Library()


@register.inclusion_tag("runs/_rerun_lineage.html")
def rerun_lineage(run: ImportRun) -> dict[str, Any]:
    """ "Re-run of #N" on a child; its re-runs and how many failures they fixed on a parent."""
    return rerun_selectors.run_lineage(run=run)


@register.inclusion_tag("runs/_rerun_panel.html")
def rerun_panel(run: ImportRun) -> dict[str, Any]:
    """The finished run's failed rows that can be re-run: all, or one error group."""
    return rerun_selectors.rerun_panel(run=run)


@register.inclusion_tag("runs/_rerun_group_action.html")
def rerun_group_action(run: ImportRun, group: dict[str, Any]) -> dict[str, Any]:
    """The "Re-run this group" button for one error group, while it has rows to re-run."""
    eligible = 0
    if run.is_done:
        scope = RerunScope(group=group.get("failure_key") or "")
        eligible = rerun_selectors.rerun_candidates(run=run, scope=scope).count()
    return {"run": run, "group": group, "eligible": eligible}


@register.inclusion_tag("runs/_row_rerun.html", takes_context=True)
def row_rerun(context: template.Context, row: ContactRow) -> dict[str, Any]:
    """On a row's page: what it retries, its re-runs, and the fix form while it is fixable."""
    state = rerun_selectors.row_rerun_state(row=row)
    user = context["user"]
    state["fixable"] = state["fixable"] and user.has_perm(OPERATE_RUNS)  # the form posts to row-fix
    state.update(
        row=row,
        run=row.run,
        csrf_token=context.get("csrf_token"),
        fix_fields=rerun_selectors.row_fix_fields(row=row, user=user) if state["fixable"] else [],
    )
    return state

"""RQ entry points: thin, they take ids and call a service."""

from __future__ import annotations

from propel_admin.imports import batch_sending, reruns, run_control, validation


def run_validate_task(run_id: int) -> None:
    validation.run_validate(run_id=run_id)


def run_plan_task(run_id: int) -> None:
    run_control.run_plan(run_id=run_id)


def batch_send_task(batch_id: int) -> None:
    batch_sending.batch_send(batch_id=batch_id)


def rerun_stage_task(run_id: int) -> None:
    reruns.rerun_stage(run_id=run_id)

"""RQ entry points: thin, they take ids and call a service."""

from __future__ import annotations

from propel_admin.imports import validation


def run_validate_task(run_id: int) -> None:
    validation.run_validate(run_id=run_id)

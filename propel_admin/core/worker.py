"""The RQ worker class Propel Admin runs: `--worker-class propel_admin.core.worker.PropelWorker`."""

from __future__ import annotations

from typing import Any

from rq import SimpleWorker

from propel_admin.imports.recorder import recording_in_background


class PropelWorker(SimpleWorker):
    """rq's SimpleWorker (jobs run in the worker's own process: no fork per job, and one
    keep-alive connection to Propeller), whose batch jobs write their outcomes on a
    background thread while the next batch is claimed and sent (imports/recorder.py).
    Everything is written before work() returns."""

    def work(self, *args: Any, **kwargs: Any) -> bool:
        with recording_in_background():
            return super().work(*args, **kwargs)

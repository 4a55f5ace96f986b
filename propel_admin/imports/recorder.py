"""Batch outcomes written on a background thread of the worker, one batch behind.

A batch costs one HTTP call (~200 ms against a real Propeller) plus ~15-25 ms of database
writes: the rows' outcomes, the run's counters and the finish check. In a worker started
by `propel_admin.core.worker.PropelWorker`, those writes run on this module's thread while
the worker claims and sends its next batch, so the writes no longer add to every batch.

At most one batch waits to be written: submitting the next one first waits for it. The
worker writes everything before its work() returns (burst end, warm shutdown). A worker
killed outright loses at most that one outcome; the batch's lease then runs out and the
batch is sent again, which is safe (the endpoint upserts by id). Outside such a worker
(tests calling a job directly, the shell) the writes happen inline, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from django.db import close_old_connections, connections

logger = logging.getLogger(__name__)


class _Recorder:
    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="propel-recorder")
        self._last: Future[None] | None = None

    def submit(self, write: Callable[..., None], *args: Any) -> None:
        self.wait()
        self._last = self._executor.submit(_write, write, *args)

    def wait(self) -> None:
        """Until the last submitted write is done (its errors are logged, not raised)."""
        if self._last is not None:
            last, self._last = self._last, None
            last.result()

    def close(self) -> None:
        self.wait()
        self._executor.submit(connections.close_all).result()  # the thread's connection
        self._executor.shutdown(wait=True)


_current: _Recorder | None = None


def _write(write: Callable[..., None], *args: Any) -> None:
    close_old_connections()
    try:
        write(*args)
    except Exception:
        logger.exception("writing a batch's outcome failed; the batch is sent again later")


def record(write: Callable[..., None], *args: Any) -> None:
    """Run `write(*args)` on the background thread if this worker has one, else now."""
    if _current is None:
        write(*args)
    else:
        _current.submit(write, *args)


@contextmanager
def recording_in_background() -> Iterator[None]:
    """Within: record() writes on a background thread; on leaving, everything is written."""
    global _current
    if _current is not None:  # nested: the outer block owns the thread
        yield
        return
    _current = _Recorder()
    try:
        yield
    finally:
        recorder, _current = _current, None
        recorder.close()

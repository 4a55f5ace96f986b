"""Sending: rows/s with 1, 2 and 4 RQ workers, and the share of the workers x batch / latency limit.

Real worker processes (`manage.py rqworker default --burst`, PropelWorker, as `make run`
starts them) send a checked run of N pending rows in batches of 100, against a private
embedded redis-server, the sandbox (in this process) and a scratch database: a copy of a
migrated SQLite file per case, and PostgreSQL database PG_DATABASE when it answers. A
start gate (one job per worker that returns once every worker holds one) lines the
workers up, so Django's start-up is not timed. Time: first batch claimed (its `sent_at`)
to `send_finished_at`. Limit: workers x 100 rows / latency. Goal: at least 0.9 of that
limit with 4 workers at 200 ms. Then: RQ per-job overhead (no-op jobs) and a cProfile of
batch_send() run in-process at 0 ms.

Alone: python -m benchmarks.sending (children: --child migrate|setup|result|profile ...).
"""

from __future__ import annotations

import base64
import cProfile
import hashlib
import json
import os
import pstats
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import bench_main, scratch_postgres

BATCH = 100
GOAL_RATIO = 0.9
LATENCY_MS = 200
# (latency ms, workers, rows): ~200 batches at 0 ms, 20 batches per worker at 200 ms.
SQLITE_CASES = [(0, 1, 20_000), (0, 2, 20_000), (0, 4, 20_000),
                (200, 1, 2_000), (200, 2, 4_000), (200, 4, 8_000)]  # fmt: skip
PG_CASES = [(0, 4, 20_000), (200, 4, 8_000)]
NOOP_JOBS = {"rq.worker.SimpleWorker": 400, "rq.worker.Worker": 150}
PROFILE_WARM, PROFILE_BATCHES = 5, 50
PG_DATABASE = "propel_bench_send"
GATE_KEY = "propel:bench:gate"
ROOT = Path(__file__).resolve().parent.parent
CASE_TIMEOUT = 120
WORKER = [sys.executable, "manage.py", "rqworker", "default", "--burst", "--worker-class"]


# --- Jobs the workers run (imported by path: no Django needed here) -------------------------
def start_gate(workers: int) -> None:
    """Return once `workers` workers each hold one of these jobs (or after 60 s)."""
    from rq import get_current_job

    job = get_current_job()
    assert job is not None
    job.connection.incr(GATE_KEY)
    deadline = time.monotonic() + 60
    while int(job.connection.get(GATE_KEY) or 0) < workers and time.monotonic() < deadline:
        time.sleep(0.002)


def noop_job() -> None:
    """An empty job, to time what RQ itself costs per job."""


# --- Children: one step each, printed as JSON on the last line of stdout --------------------
def _make_run(rows: int) -> int:
    """A checked run of `rows` pending rows, started and planned: its batch jobs are queued."""
    import django_rq
    from django.contrib.auth.models import User

    from propel_admin.imports import run_control
    from propel_admin.imports.models import ContactRow, ImportRun, RowStatus, RunStatus, Upload

    user = User.objects.create_user(f"bench-{secrets.token_hex(4)}")
    upload = Upload.objects.create(file="uploads/bench.csv", original_name="bench.csv",
                                   size=0, sha256="0" * 64, uploaded_by=user,
                                   file_format="csv")  # fmt: skip
    run = ImportRun.objects.create(upload=upload, mapping={}, read_options={}, created_by=user,
                                   status=RunStatus.VALIDATED, rows_read=rows,
                                   rows_valid=rows)  # fmt: skip
    ContactRow.objects.bulk_create(
        [ContactRow(run=run, row_number=n + 1, contact_id=n, status=RowStatus.PENDING,
                    cells=[str(n), "Ann", f"a{n}@example.com", "1"], payload=_payload(n))
         for n in range(1, rows + 1)],
        batch_size=2000,
    )  # fmt: skip
    run_control.run_start(run_id=run.pk, user=user)
    django_rq.get_queue("default").remove(f"run-plan-{run.pk}")  # planned here, not timed
    run_control.run_plan(run_id=run.pk)
    return run.pk


def _payload(n: int) -> dict[str, object]:
    return {"id": n, "firstName": "Ann", "email": f"a{n}@example.com", "parent": {"id": 1}}


def child_setup(rows: int, workers: int) -> dict[str, Any]:
    import django_rq

    run_id = _make_run(rows)
    queue = django_rq.get_queue("default")
    for _ in range(workers):
        queue.enqueue("benchmarks.sending.start_gate", workers, at_front=True)
    return {"run_id": run_id, "queued": queue.count}


def child_result(run_id: int) -> dict[str, Any]:
    from propel_admin.imports.models import Batch, BatchStatus, ImportRun

    run = ImportRun.objects.get(pk=run_id)
    fields = ("status", "attempts", "sent_at", "finished_at", "duration_ms")
    batches = list(Batch.objects.filter(run=run).values_list(*fields))
    done = [(sent, end, ms or 0) for status, _, sent, end, ms in batches
            if status == BatchStatus.DONE and sent and end]  # fmt: skip
    first = min((sent for _, _, sent, _, _ in batches if sent), default=None)
    last = run.send_finished_at
    return {
        "status": run.status,
        "sent": run.rows_created + run.rows_updated,
        "failed": run.rows_failed,
        "batches": len(batches),
        "done": len(done),
        "retries": sum(attempts for _, attempts, _, _, _ in batches) - len(batches),
        "seconds": (last - first).total_seconds() if last and first else None,
        "http_ms": sum(ms for _, _, ms in done) / max(len(done), 1),
    }


def child_profile(batches: int) -> dict[str, Any]:
    """batch_send() in this process: ms per batch without and with cProfile, and where."""
    from propel_admin.imports import batch_sending
    from propel_admin.imports.batch_sending import batch_send
    from propel_admin.imports.models import Batch

    batch_sending.CHAIN_BATCHES = 1  # one batch per call here: no chain to the next batches
    run_id = _make_run((PROFILE_WARM + 2 * batches) * BATCH)
    ids = list(Batch.objects.filter(run_id=run_id).order_by("number").values_list("id", flat=True))
    for batch_id in ids[:PROFILE_WARM]:  # token, connections, imports
        batch_send(batch_id=batch_id)
    plain, profiled = ids[PROFILE_WARM : PROFILE_WARM + batches], ids[PROFILE_WARM + batches :]
    started = time.perf_counter()
    for batch_id in plain:
        batch_send(batch_id=batch_id)
    plain_ms = (time.perf_counter() - started) * 1000 / batches
    profiler = cProfile.Profile()
    profiler.enable()
    for batch_id in profiled:
        batch_send(batch_id=batch_id)
    profiler.disable()
    return {"plain_ms": plain_ms, **_profile_summary(pstats.Stats(profiler), batches)}


# Cumulative time of these entry points: (what, file suffix, function names).
CATEGORIES = [
    ("SQL in SQLite (driver calls)", "django/db/backends/utils.py", ("_execute", "_executemany")),
    ("JSON encode/decode", "json/__init__.py", ("loads", "dumps")),
    # On the worker's HTTP thread, which cProfile does not follow: near 0 here.
    ("HTTP round trip (requests Session.send; its own thread)", "requests/sessions.py", ("send",)),
    ("Redis commands", "redis/client.py", ("execute_command",)),
]
STEPS = [  # the parts of one batch_send(), cumulative
    ("_claim (2 UPDATEs, 1 transaction)", "imports/batch_sending.py", ("_claim",)),
    ("_take_slot + release_slot (Redis)", "imports/", ("_take_slot", "release_slot")),
    ("_throttle() built per batch", "imports/batch_sending.py", ("_throttle",)),
    # The HTTP call and _apply run on the worker's HTTP thread, which cProfile does not follow.
    ("_send: load rows, wait for the HTTP thread", "imports/batch_sending.py", ("_send",)),
    ("_record (bulk_update)", "imports/batch_sending.py", ("_record",)),
    ("run_finish_if_done", "imports/run_control.py", ("run_finish_if_done",)),
]


def _cumulative(stats: dict[Any, Any], where: str, names: tuple[str, ...]) -> float:
    return sum(v[3] for (file, _, name), v in stats.items() if name in names and where in file)


def _profile_summary(profile: pstats.Stats, batches: int) -> dict[str, Any]:
    stats: dict[Any, Any] = profile.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in stats.values())
    per = {label: _cumulative(stats, s, n) for label, s, n in CATEGORIES + STEPS}
    orm = sum(
        v[2]
        for (file, _, _), v in stats.items()
        if "/django/" in file and not file.endswith("backends/utils.py")
    )
    categories = [(label, per[label] / total) for label, _, _ in CATEGORIES]
    categories.insert(1, ("Django code, own time (ORM query building, models)", orm / total))
    top = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:12]
    return {
        "profiled_ms": total * 1000 / batches,
        "categories": categories,
        "steps": [
            (label, per[label] * 1000 / batches, per[label] / total) for label, _, _ in STEPS
        ],
        "top": [
            (f"{Path(file).name}:{line}({name})" if line else _builtin(name), v[2] / total)
            for (file, line, name), v in top
        ],
    }


def _builtin(name: str) -> str:
    return re.sub(r" at 0x\w+", "", name)  # no addresses in the report


def child_main(args: list[str]) -> None:
    import django

    django.setup()
    kind, *rest = args
    found: dict[str, Any] = {}
    if kind == "migrate":
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    elif kind == "setup":
        found = child_setup(int(rest[0]), int(rest[1]))
    elif kind == "result":
        found = child_result(int(rest[0]))
    else:
        found = child_profile(int(rest[0]))
    print(json.dumps(found))


# --- The parent: Redis, sandbox, databases, workers, table, goal ---------------------------
class ChildFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Case:
    database: str
    latency_ms: int
    workers: int
    found: dict[str, Any]

    @property
    def rate(self) -> float:
        return self.found["sent"] / self.found["seconds"]

    @property
    def ratio(self) -> float | None:
        if not self.latency_ms:
            return None  # no latency, no limit
        return self.rate / (self.workers * BATCH * 1000 / self.latency_ms)

    @property
    def cycle_ms(self) -> float:
        """Worker time per batch: claim to claim, RQ and the finish check included."""
        return self.found["seconds"] * 1000 * self.workers / self.found["batches"]


class Bench:
    def __init__(self, work: Path, redis_socket: Path, sandbox: Any) -> None:
        import redis

        self.work, self.socket, self.sandbox = work, redis_socket, sandbox
        self.redis = redis.Redis(unix_socket_path=str(redis_socket))
        self.secret = secrets.token_urlsafe(50)
        self.template = work / "template.sqlite3"
        self.cases: list[Case] = []
        self._copies = 0

    def env(self, database_url: str) -> dict[str, str]:
        """Production-like settings on the scratch database, Redis and sandbox; nothing in var/."""
        drop = ("DATABASE_URL", "REDIS_URL", "MEDIA_ROOT", "PROPEL_VAR_DIR", "DEBUG")
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in drop and not k.startswith(("PROPELLER_", "SANDBOX_"))
        }
        env.update(DJANGO_SETTINGS_MODULE="propel_admin.settings", DATABASE_URL=database_url,
                   PROPEL_VAR_DIR=str(self.work / "var"), DEBUG="false", SECRET_KEY=self.secret,
                   LOG_LEVEL="WARNING", REDIS_URL=f"unix://{self.socket}?db=0",
                   PII_ENCRYPTION_KEYS=base64.urlsafe_b64encode(
                       hashlib.sha256(self.secret.encode()).digest()).decode(),
                   PROPELLER_API_URL=self.sandbox.api_url,
                   PROPELLER_CLIENT_ID=self.sandbox.client_id,
                   PROPELLER_CLIENT_SECRET=self.sandbox.client_secret,
                   PROPELLER_BATCH_SIZE=str(BATCH), PROPELLER_MAX_REQUESTS_PER_SECOND="10000",
                   PROPELLER_MAX_CONCURRENCY="64")  # fmt: skip
        return env

    def child(self, args: list[str], database_url: str) -> dict[str, Any]:
        command = [sys.executable, "-m", "benchmarks.sending", "--child", *args]
        try:
            done = subprocess.run(command, env=self.env(database_url), cwd=ROOT,
                                  capture_output=True, text=True,
                                  timeout=CASE_TIMEOUT)  # fmt: skip
        except subprocess.TimeoutExpired:
            raise ChildFailed(f"{args[0]}: no answer within {CASE_TIMEOUT}s") from None
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines()
            raise ChildFailed(f"{args[0]}: {lines[-1] if lines else done.returncode}")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    def sqlite_url(self) -> str:
        self._copies += 1
        copy = self.work / f"db-{self._copies}.sqlite3"
        shutil.copyfile(self.template, copy)
        return f"sqlite:///{copy}"

    def fresh(self, latency_ms: int) -> None:
        """Empty Redis (queue, tokens, throttle) and sandbox, then set the latency."""
        from propel_admin.sandbox.faults import FaultConfig

        self.redis.flushall()
        self.sandbox.reset()
        self.sandbox.set_faults(FaultConfig(latency_ms=latency_ms))

    def workers(self, count: int, database_url: str, worker_class: str, log: Path) -> None:
        """Start `count` burst workers and wait until they have all emptied the queue."""
        with log.open("ab") as out:
            procs = [subprocess.Popen([*WORKER, worker_class], cwd=ROOT,
                                      env=self.env(database_url), stdout=out,
                                      stderr=subprocess.STDOUT, start_new_session=True)
                     for _ in range(count)]  # fmt: skip
        deadline = time.monotonic() + CASE_TIMEOUT
        try:
            for proc in procs:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise ChildFailed(
                f"workers still busy after {CASE_TIMEOUT}s (see {log.name})"
            ) from None
        finally:
            for proc in procs:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()

    def measure(self, database: str, url: str, latency_ms: int, workers: int, rows: int) -> None:
        label = f"{database:<10} {latency_ms:>4} ms {workers:>2}"
        self.fresh(latency_ms)
        try:
            run_id = self.child(["setup", str(rows), str(workers)], url)["run_id"]
            log = self.work / f"workers-{len(self.cases)}.log"
            self.workers(workers, url, "propel_admin.core.worker.PropelWorker", log)
            found = self.child(["result", str(run_id)], url)
        except ChildFailed as exc:
            print(f"   {label}  FAILED: {exc}", flush=True)
            return
        found["failed_jobs"] = self._failed_jobs()
        if found["seconds"] is None or found["done"] != found["batches"]:
            print(f"   {label}  DID NOT FINISH: {found}", flush=True)
            return
        case = Case(database, latency_ms, workers, found)
        self.cases.append(case)
        _print_case(label, case)

    def _failed_jobs(self) -> int:
        from rq import Queue

        return int(Queue("default", connection=self.redis).failed_job_registry.count)

    def rq_overhead(self, worker_class: str, jobs: int) -> float:
        """ms per no-op job for one burst worker: first job started to last job ended."""
        from rq import Queue
        from rq.job import Job

        self.fresh(0)
        queue = Queue("default", connection=self.redis)
        ids = [queue.enqueue("benchmarks.sending.noop_job").id for _ in range(jobs)]
        self.workers(1, f"sqlite:///{self.template}", worker_class, self.work / "noop.log")
        found = [job for job in Job.fetch_many(ids, connection=self.redis) if job is not None]
        starts = [job.started_at for job in found if job.started_at]
        ends = [job.ended_at for job in found if job.ended_at]
        if len(ends) != jobs:
            raise ChildFailed(f"{jobs - len(ends)} no-op jobs did not run")
        return (max(ends) - min(starts)).total_seconds() * 1000 / jobs


def _print_case(label: str, case: Case) -> None:
    found = case.found
    ratio = f"{case.ratio:.2f}" if case.ratio is not None else "n/a"
    other = case.cycle_ms - found["http_ms"]
    extra = (f" retries={found['retries']}" if found["retries"] else "") + (
        f" failed_jobs={found['failed_jobs']}" if found["failed_jobs"] else ""
    )
    print(
        f"   {label} {found['sent']:>7,} {found['seconds']:>6.2f} {case.rate:>7,.0f} {ratio:>5} "
        f"{case.cycle_ms:>7.1f} {found['http_ms']:>6.1f} {other:>6.1f}{extra}",
        flush=True,
    )


def measure_all(bench: Bench) -> None:
    print(
        f"   {'database':<10} {'latency':>7} {'w':>2} {'rows':>7} {'secs':>6} {'rows/s':>7} "
        f"{'ratio':>5} {'ms/bat':>7} {'http':>6} {'other':>6}"
    )
    for latency_ms, workers, rows in SQLITE_CASES:
        bench.measure("sqlite", bench.sqlite_url(), latency_ms, workers, rows)
    with scratch_postgres(PG_DATABASE) as postgres:
        if postgres is not None:
            measure_postgres(bench, postgres)
    print("   ms/bat: worker time per batch (secs x workers / batches); http: Batch.duration_ms;")
    print("   other: ms/bat minus http, the worker's time per batch not hidden behind the call")
    print("   (a chain claims the next batch and the recorder writes the last outcome meanwhile)")


def measure_postgres(bench: Bench, url: str) -> None:
    try:
        bench.child(["migrate"], url)
    except ChildFailed as exc:
        print(f"   postgresql FAILED: {exc}")
        return
    for latency_ms, workers, rows in PG_CASES:
        bench.measure("postgresql", url, latency_ms, workers, rows)


def report_rq_and_profile(bench: Bench) -> None:
    overheads = [
        f"{name.rsplit('.', 1)[1]} {bench.rq_overhead(name, jobs):.1f} ms"
        for name, jobs in NOOP_JOBS.items()
    ]
    print(
        f"   RQ per no-op job, one burst worker: {', '.join(overheads)} (perf-notes: ~4 and ~12 ms)"
    )
    bench.fresh(0)
    found = bench.child(["profile", str(PROFILE_BATCHES)], bench.sqlite_url())
    print(
        f"   batch_send() in-process at 0 ms, SQLite, {PROFILE_BATCHES} batches: "
        f"{found['plain_ms']:.1f} ms/batch ({found['profiled_ms']:.1f} under cProfile)"
    )
    print("   by kind (cumulative, % of profiled time):")
    for label, share in found["categories"]:
        print(f"     {share:>6.1%}  {label}")
    print("   by step of batch_send (ms per batch under cProfile):")
    for label, ms, share in found["steps"]:
        print(f"     {share:>6.1%} {ms:>6.2f} ms  {label}")
    print("   top functions by own time:")
    for label, share in found["top"]:
        print(f"     {share:>6.1%}  {label}")


def goal_met(cases: list[Case]) -> bool:
    goal = [c for c in cases if c.workers == 4 and c.latency_ms == LATENCY_MS]
    for case in goal:
        met = case.ratio is not None and case.ratio >= GOAL_RATIO
        print(
            f"   {'met   ' if met else 'MISSED'} {case.database}, 4 workers at {LATENCY_MS} ms: "
            f"{case.ratio:.2f} of the limit (goal >= {GOAL_RATIO})"
        )
    return bool(goal) and all(c.ratio is not None and c.ratio >= GOAL_RATIO for c in goal)


def run() -> bool:
    from propel_admin.core import embedded_redis
    from propel_admin.sandbox.server import SandboxServer

    with tempfile.TemporaryDirectory(prefix="propel-bench-send-") as name:
        work = Path(name)
        server = embedded_redis.start(work / "redis" / "redis.sock", persist=False)
        try:
            with SandboxServer(port=0) as sandbox:
                bench = Bench(work, work / "redis" / "redis.sock", sandbox)
                bench.child(["migrate"], f"sqlite:///{bench.template}")
                measure_all(bench)
                try:
                    report_rq_and_profile(bench)
                except ChildFailed as exc:
                    print(f"   RQ overhead / profile FAILED: {exc}")
        finally:
            embedded_redis.stop(server)
    return goal_met(bench.cases)


def main(argv: list[str]) -> int:
    return bench_main("sending", __doc__, argv, run, child_main, setup_django=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

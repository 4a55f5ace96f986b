"""Health of the parts the app needs: database, Redis, RQ workers, Propeller."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

import redis
from django.conf import settings
from django.db import connection
from django.db.utils import Error as DatabaseError
from rq import Worker

WORKER_SEEN_WITHIN = timedelta(minutes=2)
PROPELLER_CHECK_CACHE_SECONDS = 30.0

# Last check per API URL and client id: (monotonic time, result).
_propeller_cache: dict[tuple[str, str], tuple[float, Check]] = {}
_propeller_lock = threading.Lock()


@dataclass(frozen=True)
class Check:
    """One component's health: ok or not, and a short sentence for people."""

    ok: bool
    detail: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return Check(False, f"database unreachable: {type(exc).__name__}")
    return Check(True, f"{connection.vendor} answers")


def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def check_redis() -> Check:
    try:
        _redis().ping()
    except (redis.RedisError, OSError) as exc:
        return Check(False, f"Redis unreachable: {type(exc).__name__}")
    return Check(True, "Redis answers")


def check_workers() -> Check:
    try:
        workers = Worker.all(connection=_redis())
    except (redis.RedisError, OSError) as exc:
        return Check(False, f"cannot list workers: {type(exc).__name__}")
    now = datetime.now(UTC)
    recent = [
        w
        for w in workers
        if w.last_heartbeat and now - _aware(w.last_heartbeat) < WORKER_SEEN_WITHIN
    ]
    if not recent:
        return Check(False, "no RQ worker seen in the last 2 minutes")
    return Check(True, f"{len(recent)} worker(s) seen in the last 2 minutes")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def check_propeller(*, fresh: bool = False) -> Check:
    """Token plus one harmless call; cached briefly so health probes don't hammer the API."""
    key = (settings.PROPELLER_API_URL, settings.PROPELLER_CLIENT_ID)
    with _propeller_lock:
        now = time.monotonic()
        cached = _propeller_cache.get(key)
        if not fresh and cached and now - cached[0] < PROPELLER_CHECK_CACHE_SECONDS:
            return cached[1]
        from propel_admin.core.propeller_client import get_propeller_client

        client = get_propeller_client()
        try:
            result = client.check()
        finally:
            client.close()
        check = Check(result.ok, result.message)
        _propeller_cache[key] = (now, check)
        return check


def system_health() -> dict[str, Check]:
    return {
        "database": check_database(),
        "redis": check_redis(),
        "workers": check_workers(),
        "propeller": check_propeller(),
    }

"""Helpers the benchmarks share."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/test"


@contextlib.contextmanager
def scratch_postgres(name: str) -> Iterator[str | None]:
    """A fresh database `name`, dropped afterwards; None (said aloud) if PostgreSQL is absent."""
    import psycopg

    drop = f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
        admin.execute(drop)
        admin.execute(f"CREATE DATABASE {name}")
    except psycopg.Error as exc:
        print(f"   PostgreSQL at {PG_ADMIN_URL} does not answer ({exc}); its lines are skipped")
        yield None
        return
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin:
            admin.execute(drop)

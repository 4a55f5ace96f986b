"""Helpers the benchmarks share."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator

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


def bench_main(
    name: str,
    doc: str | None,
    argv: list[str],
    run: Callable[[], bool],
    child_main: Callable[[list[str]], None],
    *,
    setup_django: bool = False,
) -> int:
    """A benchmark module's entry point: a child's job (`--child ...`), or the whole run
    with its title line; 0 when every goal was met."""
    if argv[:1] == ["--child"]:
        child_main(argv[1:])
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "propel_admin.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if setup_django:
        import django

        django.setup()
    print(f"== {name}: {(doc or '').strip().splitlines()[0]}")
    return 0 if run() else 1

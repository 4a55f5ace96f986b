"""Shared fixtures: real Redis, the Propeller sandbox over loopback HTTP, personas."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
import redis
from django.conf import settings

if TYPE_CHECKING:
    from propel_admin.sandbox.server import SandboxServer


@pytest.fixture
def redis_conn() -> Iterator[redis.Redis]:
    """The test Redis (embedded, or REDIS_URL), emptied before each test."""
    connection = redis.Redis.from_url(settings.REDIS_URL)
    connection.flushdb()
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    """One Propeller sandbox on a free loopback port for the whole session."""
    from propel_admin.sandbox.server import SandboxServer

    server = SandboxServer(port=0, seed=1234)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxServer, settings) -> Iterator[SandboxServer]:  # type: ignore[no-untyped-def]
    """The sandbox with an empty store and no faults, and the settings pointing at it."""
    sandbox_server.reset()
    settings.PROPELLER_API_URL = sandbox_server.api_url
    settings.PROPELLER_TOKEN_URL = sandbox_server.token_url
    settings.PROPELLER_CLIENT_ID = sandbox_server.client_id
    settings.PROPELLER_CLIENT_SECRET = sandbox_server.client_secret
    settings.PROPELLER_USES_SANDBOX = False
    yield sandbox_server
    sandbox_server.reset()


def _with_role(user, role: str):  # type: ignore[no-untyped-def]
    from propel_admin.core.roles import roles_ensure, user_role_set

    roles_ensure()  # a transactional test's flush empties the groups the migration made
    user_role_set(user=user, role=role)
    return user


@pytest.fixture
def operator(django_user_model):  # type: ignore[no-untyped-def]
    """A member of staff with the Operator role: uploads, checks, sends; PII hidden."""
    user = django_user_model.objects.create_user(username="olivia", password="operator-pass-123")
    return _with_role(user, "operator")


@pytest.fixture
def viewer(django_user_model):  # type: ignore[no-untyped-def]
    """The Viewer role: sees runs, rows and contacts; changes nothing."""
    user = django_user_model.objects.create_user(username="victor", password="viewer-pass-123")
    return _with_role(user, "viewer")


@pytest.fixture
def admin_user(django_user_model):  # type: ignore[no-untyped-def]
    """The Admin role (not a superuser): templates, users, PII and the audit trail too."""
    user = django_user_model.objects.create_user(username="ada", password="admin-pass-1234")
    return _with_role(user, "admin")


@pytest.fixture
def no_role(django_user_model):  # type: ignore[no-untyped-def]
    """A logged-in account nobody has given a role yet."""
    return django_user_model.objects.create_user(username="nora", password="no-role-pass-123")


@pytest.fixture
def superuser(django_user_model):  # type: ignore[no-untyped-def]
    return django_user_model.objects.create_superuser(
        username="root", password="superuser-pass-123"
    )


@pytest.fixture
def run_worker(redis_conn: redis.Redis):  # type: ignore[no-untyped-def]
    """Run a real RQ worker in burst mode (in this process) until the queue is empty."""
    import django_rq

    from propel_admin.core.worker import PropelWorker

    def run() -> None:
        queue = django_rq.get_queue("default")
        worker = PropelWorker([queue], connection=queue.connection)
        worker.work(burst=True)
        failed = queue.failed_job_registry
        assert failed.count == 0, f"{failed.count} job(s) failed: {failed.get_job_ids()}"

    return run

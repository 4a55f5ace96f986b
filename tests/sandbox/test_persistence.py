"""A store file keeps contacts, and the id sequence, across restarts."""

from __future__ import annotations

from pathlib import Path

from propel_admin.sandbox.server import SandboxServer
from tests.sandbox.conftest import Api, Servers, contact


def test_contacts_survive_a_restart_with_a_store_file(servers: Servers, tmp_path: Path) -> None:
    store = tmp_path / "sandbox.sqlite3"
    first, api = servers.start(store_path=store)
    api.bulk([contact(1, email="ann@example.com"), contact(2)])
    api.close()
    first.stop()

    second, api = servers.start(store_path=store)
    stored = second.get_contact(1)
    data = api.bulk([{"id": 1, "phone": "0101"}, contact(3)]).json()["data"]

    assert stored is not None
    assert stored["email"] == "ann@example.com"
    assert (data[0]["action"], data[0]["id"]) == ("update", 100001)
    assert (data[1]["action"], data[1]["id"]) == ("create", 100003)
    assert api.get_contact(2).status_code == 200


def test_the_memory_store_starts_empty_each_time() -> None:
    for _ in range(2):
        with SandboxServer(port=0) as server:
            api = Api(server)
            assert api.bulk([contact(1)]).json()["data"][0]["action"] == "create"
            api.close()

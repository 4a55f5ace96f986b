"""Propeller client: contacts/s posting 100-contact batches to the sandbox over one session.

For scale (shared/perf-notes.md): one requests.Session moves about 25,000-34,000
contacts/s to a local server. Goal: at least 10,000 contacts/s, so the client is never
what limits a run.
"""

from __future__ import annotations

import time

from propel_admin.propeller import ClientConfig, MemoryTokenStore, PropellerClient
from propel_admin.sandbox.server import SandboxServer

GOAL = 10_000
BATCH = 100
BATCHES = 100


def _contacts(batch: int) -> list[dict[str, object]]:
    return [
        {
            "id": batch * BATCH + i + 1,
            "firstName": "Ada",
            "lastName": "Lovelace",
            "parent": {"id": 1},
        }
        for i in range(BATCH)
    ]


def run() -> bool:
    with SandboxServer(port=0, seed=1) as server:
        config = ClientConfig(
            api_url=server.api_url,
            token_url=server.token_url,
            client_id=server.client_id,
            client_secret=server.client_secret,
        )
        with PropellerClient(config, token_store=MemoryTokenStore()) as client:
            payloads = [_contacts(b) for b in range(BATCHES)]
            client.bulk_upsert_contacts(payloads[0])  # token and connection
            figures = []
            for label in ("create", "update"):
                started = time.perf_counter()
                for payload in payloads:
                    client.bulk_upsert_contacts(payload)
                figures.append((label, BATCH * BATCHES / (time.perf_counter() - started)))
    for label, rate in figures:
        print(f"   {label}: {rate:,.0f} contacts/s ({BATCHES} batches of {BATCH})")
    return min(rate for _, rate in figures) >= GOAL

"""One keep-alive session posts 100-contact batches fast enough (> 10k contacts/s)."""

from __future__ import annotations

import logging
import time

from .conftest import contact


def test_batches_reuse_one_connection_and_go_fast(sandbox, make_client, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="urllib3")
    client = make_client()
    batches = [
        [contact(b * 100 + i + 1, email=f"c{i}@example.org") for i in range(100)] for b in range(30)
    ]
    client.bulk_upsert_contacts(batches[0])  # token and connection
    best = 0.0
    for _ in range(3):  # best of three: the machine is shared and noisy
        started = time.perf_counter()
        for batch in batches:
            client.bulk_upsert_contacts(batch)
        best = max(best, 100 * len(batches) / (time.perf_counter() - started))
    connections = [r for r in caplog.records if "Starting new HTTP" in r.getMessage()]
    assert len(connections) == 1
    assert best > 10_000, f"{best:.0f} contacts/s"

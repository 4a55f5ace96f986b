"""Batches reuse one keep-alive connection (throughput itself is measured by `make bench`)."""

from __future__ import annotations

import logging

from .conftest import contact


def test_batches_reuse_one_connection(sandbox, make_client, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="urllib3")
    client = make_client()
    for b in range(5):
        client.bulk_upsert_contacts([contact(b * 100 + i + 1) for i in range(100)])
    connections = [r for r in caplog.records if "Starting new HTTP" in r.getMessage()]
    assert len(connections) == 1

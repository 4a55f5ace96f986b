"""A guard against slow regressions (per-request stalls, a commit per contact)."""

from __future__ import annotations

import time

from tests.sandbox.conftest import Api, contact

# Measured at 25,000-30,000 contacts/s. A 40 ms stall per request (Nagle with split
# writes, a slow commit) would cap 100-contact batches near 2,500/s; the floor leaves
# room for noisy, shared machines.
FLOOR_CONTACTS_PER_SECOND = 6000


def test_one_session_sends_100_contact_batches_quickly(api: Api) -> None:
    token = api.token()
    batches = [[contact(b * 100 + i) for i in range(1, 101)] for b in range(40)]

    started = time.perf_counter()
    for batch in batches:
        assert api.bulk(batch, token=token).status_code == 200
    rate = 4000 / (time.perf_counter() - started)

    assert rate > FLOOR_CONTACTS_PER_SECOND, f"{rate:.0f} contacts/s"

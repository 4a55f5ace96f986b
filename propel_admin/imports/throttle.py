"""Limits shared by every worker on every host, kept in Redis: requests per second to
Propeller (GCRA) and requests in flight at once (a leased semaphore).

Both use Redis' own clock, so hosts with skewed clocks still share one limit. A holder
that dies keeps its concurrency slot only until the slot's lease runs out.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import redis

# GCRA: one request every `interval` ms, with a burst of `burst` requests.
_RATE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allow_at = tat - burst * interval
if now < allow_at then return allow_at - now end
redis.call('SET', KEYS[1], tat + interval, 'PX', math.ceil(tat + interval - now + 1000))
return 0
"""

# A semaphore whose holders expire: returns 1 when a slot was taken.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + 1000)
  return 1
end
return 0
"""


@dataclass
class Throttle:
    """Requests per second and concurrency towards one Propeller, for all workers."""

    connection: redis.Redis
    name: str
    per_second: float
    concurrency: int
    slot_lease_seconds: float = 600.0

    def __post_init__(self) -> None:
        self._rate = self.connection.register_script(_RATE)
        self._acquire = self.connection.register_script(_ACQUIRE)

    def wait_for_rate(self) -> float:
        """0 when a request may go now (and it is counted), else seconds to wait."""
        interval_ms = 1000.0 / self.per_second
        burst = max(0, int(self.per_second) - 1)
        wait_ms = self._rate(keys=[f"propel:throttle:rate:{self.name}"], args=[interval_ms, burst])
        return float(wait_ms) / 1000.0

    def acquire_slot(self) -> str | None:
        """A token for one of `concurrency` slots, or None when all are taken."""
        token = uuid.uuid4().hex
        lease_ms = int(self.slot_lease_seconds * 1000)
        taken = self._acquire(keys=[self._slots_key], args=[self.concurrency, lease_ms, token])
        return token if taken else None

    def release_slot(self, token: str) -> None:
        self.connection.zrem(self._slots_key, token)

    @property
    def _slots_key(self) -> str:
        return f"propel:throttle:slots:{self.name}"

"""Where bearer tokens are kept between requests: in memory, or shared via Redis.

The Redis store encrypts each token with Fernet (no bearer token is ever stored
in clear text) and lets one process at a time fetch a new token under a lock
while the others wait and then read it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import redis
from cryptography.fernet import Fernet, InvalidToken

from .oauth import Token

logger = logging.getLogger("propel_admin.propeller")

KEY_PREFIX = "propel:propeller-token:"
LOCK_PREFIX = "propel:propeller-token-lock:"

Fetch = Callable[[], Token]
Clock = Callable[[], float]


def token_namespace(token_url: str, client_id: str) -> str:
    """The cache namespace for one set of credentials: sha256(token_url|client_id)[:16]."""
    return hashlib.sha256(f"{token_url}|{client_id}".encode()).hexdigest()[:16]


class TokenStore(Protocol):
    """Keeps a token for reuse; `get_or_fetch` calls `fetch` only when none is fresh."""

    def get(self) -> Token | None: ...

    def get_or_fetch(self, fetch: Fetch) -> Token: ...

    def invalidate(self, access_token: str) -> None: ...


class MemoryTokenStore:
    """A token for one process; threads share it and fetch one at a time."""

    def __init__(self, *, clock: Clock = time.time) -> None:
        self._token: Token | None = None
        self._lock = threading.Lock()
        self._clock = clock

    def get(self) -> Token | None:
        token = self._token
        return token if token is not None and token.is_fresh(self._clock()) else None

    def get_or_fetch(self, fetch: Fetch) -> Token:
        token = self.get()
        if token is not None:
            return token
        with self._lock:
            token = self.get()
            if token is None:
                token = fetch()
                self._token = token
            return token

    def invalidate(self, access_token: str) -> None:
        with self._lock:
            if self._token is not None and self._token.access_token == access_token:
                self._token = None


class RedisTokenStore:
    """A token shared by every process through Redis, encrypted with Fernet.

    If Redis is unavailable the store keeps the token in this process (and logs a
    warning): Propeller stays reachable while Redis is down.
    """

    def __init__(
        self,
        redis_client: redis.Redis,
        namespace: str,
        fernet_key: bytes | str,
        *,
        lock_timeout: float = 60.0,
        wait_timeout: float = 60.0,
        clock: Clock = time.time,
    ) -> None:
        self._redis = redis_client
        self._fernet = Fernet(fernet_key)
        self.key = KEY_PREFIX + namespace
        self.lock_key = LOCK_PREFIX + namespace
        self._lock_timeout = lock_timeout
        self._wait_timeout = wait_timeout
        self._clock = clock
        self._fallback = MemoryTokenStore(clock=clock)

    def get(self) -> Token | None:
        try:
            return self._read()
        except redis.RedisError as exc:
            _warn_unavailable(exc)
            return self._fallback.get()

    def get_or_fetch(self, fetch: Fetch) -> Token:
        try:
            return self._shared_get_or_fetch(fetch)
        except redis.RedisError as exc:
            # Redis is down: keep a token in this process rather than fetch per call.
            _warn_unavailable(exc)
            return self._fallback.get_or_fetch(fetch)

    def _read(self) -> Token | None:
        token = self._decrypt(self._redis.get(self.key))
        return token if token is not None and token.is_fresh(self._clock()) else None

    def _shared_get_or_fetch(self, fetch: Fetch) -> Token:
        token = self._read()
        if token is not None:
            return token
        lock = self._redis.lock(
            self.lock_key, timeout=self._lock_timeout, sleep=0.05, thread_local=False
        )
        if not lock.acquire(blocking=True, blocking_timeout=self._wait_timeout):
            logger.warning("propeller token lock not released in time; fetching anyway")
            return self._fetch_and_save(fetch)
        try:
            # Another process may have fetched a token while this one waited.
            return self._read() or self._fetch_and_save(fetch)
        finally:
            try:
                lock.release()
            except redis.RedisError:
                logger.warning("propeller token lock expired before it was released")

    def invalidate(self, access_token: str) -> None:
        """Delete the cached token, but only if it is still `access_token`."""
        try:
            with self._redis.pipeline() as pipe:
                pipe.watch(self.key)
                current = self._decrypt(pipe.get(self.key))
                if current is None or current.access_token != access_token:
                    pipe.unwatch()
                    return
                pipe.multi()
                pipe.delete(self.key)
                pipe.execute()
        except redis.WatchError:
            pass  # replaced meanwhile by another process: keep the newer token
        except redis.RedisError as exc:
            _warn_unavailable(exc)
        self._fallback.invalidate(access_token)

    def _fetch_and_save(self, fetch: Fetch) -> Token:
        token = fetch()
        ttl = token.seconds_left(self._clock())
        if ttl > 0:
            payload = json.dumps(
                {"t": token.access_token, "exp": token.expires_at, "life": token.lifetime}
            )
            try:
                self._redis.set(
                    self.key,
                    self._fernet.encrypt(payload.encode()),
                    px=max(1, math.floor(ttl * 1000)),
                )
            except redis.RedisError as exc:
                logger.warning("propeller token not cached (%s)", type(exc).__name__)
        return token

    def _decrypt(self, blob: Any) -> Token | None:
        if not blob:
            return None
        try:
            data = json.loads(self._fernet.decrypt(blob))
            return Token(
                access_token=str(data["t"]),
                expires_at=float(data["exp"]),
                lifetime=float(data["life"]),
            )
        except (InvalidToken, ValueError, KeyError, TypeError):
            # Written with another key (SECRET_KEY rotated) or damaged: fetch anew.
            logger.warning("propeller token cache entry unreadable; ignoring it")
            return None


def _warn_unavailable(exc: redis.RedisError) -> None:
    logger.warning("propeller token cache unavailable (%s)", type(exc).__name__)

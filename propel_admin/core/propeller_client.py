"""Build the Propeller client from Django settings (read at call time, never at import)."""

from __future__ import annotations

import base64
import hashlib

import redis
from django.conf import settings

from propel_admin.propeller import (
    ClientConfig,
    PropellerClient,
    RedisTokenStore,
    token_namespace,
)


def client_config_from_settings() -> ClientConfig:
    """The PROPELLER_* settings as a ClientConfig."""
    return ClientConfig(
        api_url=settings.PROPELLER_API_URL,
        token_url=settings.PROPELLER_TOKEN_URL,
        client_id=settings.PROPELLER_CLIENT_ID,
        client_secret=settings.PROPELLER_CLIENT_SECRET,
        read_timeout=float(settings.PROPELLER_TIMEOUT),
        deadline=float(settings.PROPELLER_TIMEOUT),
        connect_timeout=float(settings.PROPELLER_CONNECT_TIMEOUT),
        max_attempts=int(settings.PROPELLER_MAX_ATTEMPTS),
        backoff_base=float(settings.PROPELLER_BACKOFF_BASE),
        backoff_cap=float(settings.PROPELLER_BACKOFF_CAP),
        retry_after_cap=float(settings.PROPELLER_RETRY_AFTER_CAP),
        batch_size=int(settings.PROPELLER_BATCH_SIZE),
    )


def token_fernet_key(secret_key: str) -> bytes:
    """A Fernet key derived from SECRET_KEY, used only for the token cache."""
    digest = hashlib.sha256(b"propel-token-cache:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def token_store_from_settings(config: ClientConfig) -> RedisTokenStore:
    """The Redis token cache shared by every web and worker process."""
    return RedisTokenStore(
        # Short timeouts: a token lookup must not hang a worker when Redis is unwell.
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=5),
        token_namespace(config.token_url, config.client_id),
        token_fernet_key(settings.SECRET_KEY),
        lock_timeout=2 * config.request_deadline + 5,
        wait_timeout=2 * config.request_deadline + 5,
    )


def get_propeller_client() -> PropellerClient:
    """A client for the configured Propeller; make one per job and reuse it per batch."""
    config = client_config_from_settings()
    return PropellerClient(config, token_store=token_store_from_settings(config))

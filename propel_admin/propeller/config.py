"""Connection settings for the Propeller client (plain data, no Django)."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import metadata


def default_user_agent() -> str:
    """`propel-admin/<installed version>`, sent with every request."""
    try:
        version = metadata.version("propel-admin")
    except metadata.PackageNotFoundError:
        version = "0+unknown"
    return f"propel-admin/{version}"


@dataclass(frozen=True)
class ClientConfig:
    """Where Propeller lives, who we are, and how patient to be.

    `read_timeout` bounds each wait for bytes; `deadline` bounds a whole exchange
    (a server that trickles bytes cannot hold a worker longer than that). Without
    a deadline, connect_timeout + read_timeout is used.
    """

    api_url: str
    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    read_timeout: float = 30.0
    connect_timeout: float = 5.0
    deadline: float | None = None
    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    retry_after_cap: float = 60.0
    batch_size: int = 100
    max_response_bytes: int = 10 * 1024 * 1024
    user_agent: str = field(default_factory=default_user_agent)
    verify_tls: bool | str = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "api_url", self.api_url.rstrip("/"))
        if not self.api_url.startswith(("http://", "https://")):
            raise ValueError("api_url must be an http(s) URL")
        if not self.token_url.startswith(("http://", "https://")):
            raise ValueError("token_url must be an http(s) URL")
        if not self.client_id or not self.client_secret:
            raise ValueError("client_id and client_secret must both be set")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        positive = {
            "read_timeout": self.read_timeout,
            "connect_timeout": self.connect_timeout,
            "max_response_bytes": self.max_response_bytes,
        }
        for name, value in positive.items():
            if value <= 0:
                raise ValueError(f"{name} must be positive")
        if self.deadline is not None and self.deadline <= 0:
            raise ValueError("deadline must be positive")
        for name, value in (
            ("backoff_base", self.backoff_base),
            ("backoff_cap", self.backoff_cap),
            ("retry_after_cap", self.retry_after_cap),
        ):
            if value < 0:
                raise ValueError(f"{name} must not be negative")

    @property
    def request_deadline(self) -> float:
        """Seconds one HTTP exchange may take from connect to the last body byte."""
        if self.deadline is not None:
            return self.deadline
        return self.connect_timeout + self.read_timeout

"""Fault injection for the sandbox: what can go wrong, and a seeded dice to decide when."""

from __future__ import annotations

import dataclasses
import enum
import random
import threading
from dataclasses import dataclass
from typing import Any, Literal, cast

RetryAfterFormat = Literal["seconds", "http-date"]
RETRY_AFTER_FORMATS: tuple[RetryAfterFormat, ...] = ("seconds", "http-date")
RATE_FIELDS = ("rate_drop", "rate_html", "rate_500", "rate_429", "rate_timeout", "rate_truncated")


@dataclass(frozen=True)
class FaultConfig:
    """Which faults to inject into /v2 requests; everything is off by default."""

    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    rate_429: float = 0.0
    retry_after: float = 1.0
    retry_after_format: RetryAfterFormat = "seconds"
    rate_500: float = 0.0
    rate_timeout: float = 0.0
    stall_seconds: float = 30.0
    rate_drop: float = 0.0
    rate_html: float = 0.0
    rate_truncated: float = 0.0
    trickle_bytes_per_second: float = 0.0
    token_ttl: float | None = None

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if item.name == "retry_after_format":
                if value not in RETRY_AFTER_FORMATS:
                    raise ValueError(f"retry_after_format must be one of {RETRY_AFTER_FORMATS}")
            elif value is not None and (isinstance(value, bool) or value < 0):
                raise ValueError(f"{item.name} must be a number >= 0")
        if any(getattr(self, name) > 1 for name in RATE_FIELDS):
            raise ValueError("rates are fractions between 0 and 1")
        if sum(getattr(self, name) for name in RATE_FIELDS) > 1 + 1e-9:
            raise ValueError("the fault rates add up to more than 1")
        if self.token_ttl is not None and self.token_ttl <= 0:
            raise ValueError("token_ttl must be > 0")

    @classmethod
    def from_string(cls, spec: str) -> FaultConfig:
        """Parse `"rate_429=0.1,retry_after=2"`; an empty string means no faults."""
        values: dict[str, Any] = {}
        for part in spec.split(","):
            if not part.strip():
                continue
            name, sep, text = part.partition("=")
            if not sep:
                raise ValueError(f"expected name=value, got {part.strip()!r}")
            values[name.strip()] = text.strip()
        return cls.from_dict(values)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> FaultConfig:
        """Build from field values (numbers or their text); unknown names are an error."""
        known = {item.name for item in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(unknown)}")
        converted = {name: _convert(name, value) for name, value in values.items()}
        return cls(**converted)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_string(self) -> str:
        """The settings that differ from the defaults, in from_string's syntax."""
        default = FaultConfig()
        changed = [
            f"{name}={value}"
            for name, value in self.to_dict().items()
            if value != getattr(default, name)
        ]
        return ",".join(changed)


def _convert(name: str, value: Any) -> Any:
    if name == "retry_after_format":
        if value not in RETRY_AFTER_FORMATS:
            raise ValueError(f"retry_after_format must be one of {RETRY_AFTER_FORMATS}")
        return cast(RetryAfterFormat, value)
    if name == "token_ttl" and (value is None or str(value).lower() in ("", "none")):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number") from None


class Fault(enum.Enum):
    NONE = "none"
    DROP = "drop"
    HTML = "html"
    ERROR_500 = "500"
    RATE_429 = "429"
    TIMEOUT = "timeout"
    TRUNCATED = "truncated"


_FAULT_BY_RATE = {
    "rate_drop": Fault.DROP,
    "rate_html": Fault.HTML,
    "rate_500": Fault.ERROR_500,
    "rate_429": Fault.RATE_429,
    "rate_timeout": Fault.TIMEOUT,
    "rate_truncated": Fault.TRUNCATED,
}


@dataclass(frozen=True)
class FaultPlan:
    """What happens to one request: the fault, the added delay, and the config used."""

    fault: Fault
    delay_seconds: float
    config: FaultConfig


class FaultInjector:
    """Draws each request's fault from one seeded RNG, so a run can be replayed."""

    def __init__(self, config: FaultConfig | None = None, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._rng = random.Random(seed)
        self._config = config or FaultConfig()

    @property
    def config(self) -> FaultConfig:
        return self._config

    def set(self, config: FaultConfig) -> None:
        with self._lock:
            self._config = config

    def reset(self) -> None:
        """No faults and the RNG back at its seed."""
        with self._lock:
            self._config = FaultConfig()
            self._rng = random.Random(self._seed)

    def plan(self) -> FaultPlan:
        with self._lock:
            config = self._config
            delay = config.latency_ms
            if config.latency_jitter_ms:
                delay += self._rng.uniform(-config.latency_jitter_ms, config.latency_jitter_ms)
            fault = self._draw(config)
        return FaultPlan(fault, max(delay, 0.0) / 1000.0, config)

    def _draw(self, config: FaultConfig) -> Fault:
        rates = [(getattr(config, name), fault) for name, fault in _FAULT_BY_RATE.items()]
        if not any(rate for rate, _ in rates):
            return Fault.NONE
        # One draw per request against cumulative bands keeps the faults exclusive.
        roll = self._rng.random()
        edge = 0.0
        for rate, fault in rates:
            edge += rate
            if roll < edge:
                return fault
        return Fault.NONE

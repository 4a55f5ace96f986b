"""Typed readers for environment settings that fail loudly, naming the variable.

Used by settings.py only. Every reader takes the variable's name and a default and
raises ConfigError with a message that says what was expected. Values of secret
variables are never echoed back.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


class ConfigError(ImproperlyConfigured):
    """A setting from the environment is missing or malformed."""


def _raw(name: str, env: Mapping[str, str] | None) -> str | None:
    value = (env if env is not None else os.environ).get(name)
    return value.strip() if value is not None else None


def _shown(name: str, value: str) -> str:
    secret_words = ("SECRET", "PASSWORD", "TOKEN", "KEY")
    return "(value hidden)" if any(w in name for w in secret_words) else f"(got {value!r})"


def env_str(name: str, default: str = "", *, env: Mapping[str, str] | None = None) -> str:
    value = _raw(name, env)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool, *, env: Mapping[str, str] | None = None) -> bool:
    value = _raw(name, env)
    if value is None:
        return default
    word = value.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{name} must be true or false (1/0, yes/no, on/off) {_shown(name, value)}")


def env_int(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    value = _raw(name, env)
    if value is None or value == "":
        return default
    expected = _range_text("a whole number", minimum, maximum)
    try:
        number = int(value.replace("_", ""))
    except ValueError:
        raise ConfigError(f"{name} must be {expected} {_shown(name, value)}") from None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ConfigError(f"{name} must be {expected} {_shown(name, value)}")
    return number


def env_float(
    name: str,
    default: float,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    env: Mapping[str, str] | None = None,
) -> float:
    value = _raw(name, env)
    if value is None or value == "":
        return default
    expected = _range_text("a number", minimum, maximum)
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be {expected} {_shown(name, value)}") from None
    if number != number or (minimum is not None and number < minimum):  # NaN or too small
        raise ConfigError(f"{name} must be {expected} {_shown(name, value)}")
    if maximum is not None and number > maximum:
        raise ConfigError(f"{name} must be {expected} {_shown(name, value)}")
    return number


def env_list(name: str, default: list[str], *, env: Mapping[str, str] | None = None) -> list[str]:
    value = _raw(name, env)
    if value is None or value == "":
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_url(
    name: str,
    default: str = "",
    *,
    schemes: tuple[str, ...] = ("http", "https"),
    env: Mapping[str, str] | None = None,
) -> str:
    """A URL whose scheme is one of `schemes` and that names a host (or a socket path)."""
    value = _raw(name, env)
    if value is None or value == "":
        return default
    parts = urlsplit(value)
    # unix:///path/to/socket and sqlite:////abs/path.db name a file, not a host.
    has_place = bool(parts.netloc) or (parts.scheme in ("unix", "sqlite") and bool(parts.path))
    if parts.scheme not in schemes or not has_place:
        wanted = " or ".join(f"{s}://" for s in schemes)
        raise ConfigError(f"{name} must be a URL starting with {wanted} {_shown(name, value)}")
    return value.rstrip("/") if parts.scheme in ("http", "https") else value


def _range_text(kind: str, minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f"{kind} from {minimum} to {maximum}"
    if minimum is not None:
        return f"{kind} of at least {minimum}"
    if maximum is not None:
        return f"{kind} of at most {maximum}"
    return kind


def load_settings_or_exit(module: str) -> None:
    """Import the settings module; on a ConfigError print one line and exit 2."""
    try:
        importlib.import_module(module)
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        sys.exit(2)

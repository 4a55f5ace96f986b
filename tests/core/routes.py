"""Every route of the URLconf with a concrete path, for tests that walk them all."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_GROUP = re.compile(r"\(\?P<(\w+)>([^()]*)\)(\?)?")


def routes(
    patterns: list[Any] | None = None, prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, URLPattern]]:
    """(route, name, pattern) for each URL; name is "namespace:name", or the route if unnamed."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        else:
            route = prefix + str(pattern.pattern)
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            yield route, name or route, pattern


def sample_path(route: str, values: Mapping[str, object] | None = None) -> str:
    """A concrete path for a route: `values` by parameter name, else 1 for numbers and a word
    (or the regex's literal) otherwise."""
    values = values or {}

    def group(match: re.Match[str]) -> str:
        if match.group(1) in values:
            return str(values[match.group(1)])
        if match.group(3):  # an optional group: leave it out
            return ""
        body = match.group(2)
        return body.split("|")[0] if re.fullmatch(r"[\w|]+", body) else "x"

    def converter(match: re.Match[str]) -> str:
        if match.group(2) in values:
            return str(values[match.group(2)])
        return "1" if match.group(1) == "int" else "x"

    path = _GROUP.sub(group, route)
    path = _CONVERTER.sub(converter, path)
    return "/" + path.replace("^", "").replace("$", "").replace("/?", "/")

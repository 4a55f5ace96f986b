"""Benchmarks for `make bench`: none yet (the upload and runs issues add them)."""

from __future__ import annotations

print("no benchmarks yet")

"""Fixtures for the parsing tests: the shared corpus and small helpers (no database)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from propel_admin.parsing import ReadOptions, Row, Sniffed, read_rows, sniff

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
FILES = Path(__file__).resolve().parent / "files"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The public test suites beside the checkout (shared/corpus), or a skip."""
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS} (CI keeps shared/ beside the checkout)")
    return CORPUS


@dataclass
class Read:
    """What sniff() saw and what read_rows() then read, for one file."""

    sniffed: Sniffed
    rows: list[Row]
    warnings: list[str]

    @property
    def cells(self) -> list[list[str | None]]:
        return [row.cells for row in self.rows]

    @property
    def numbers(self) -> list[int]:
        return [row.number for row in self.rows]


def read_file(path: Path, name: str | None = None, options: ReadOptions | None = None) -> Read:
    """sniff() then read_rows() with the sniffed options, as the upload flow does."""
    sniffed = sniff(path, original_name=name or path.name, options=options)
    with read_rows(path, sniffed.options) as reader:
        rows = list(reader)
    assert sniffed.preview == rows[: len(sniffed.preview)]  # head reader == full reader
    assert reader.count == len(rows)
    return Read(sniffed, rows, reader.warnings)

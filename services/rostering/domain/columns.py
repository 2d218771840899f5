"""A record stream's header mapped to known columns by name, whatever the stream is (a CSV file, a REST answer).

Columns are matched by exact name, else regardless of case and spaces (reported as renamed); extension
columns (`metadata.*`, vendor `ext_*`) are kept as they are named; anything else is unknown.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable
from dataclasses import dataclass

# OneRoster's extension columns; vendors use `ext_` where the spec says `metadata.`.
EXTENSION_PREFIXES = ("metadata.", "ext_")

# The flaw of a record that may hold a control character or an over-long cell: it goes through cell_rules.
SCREEN = "screen"


@dataclass(frozen=True)
class Header:
    """What the header row says: where each known column is, and what else it holds."""

    columns: dict[str, int]
    extensions: tuple[tuple[str, int], ...]
    unknown: tuple[str, ...]
    renamed: tuple[tuple[str, str], ...]
    duplicated: tuple[str, ...]
    width: int


def map_header(cells: list[str], known: Collection[str]) -> Header:
    """Known columns by exact name, else by name regardless of case and spaces (reported as renamed)."""
    by_folded = {_fold(name): name for name in known}
    columns: dict[str, int] = {}
    extensions: list[tuple[str, int]] = []
    unknown: list[str] = []
    renamed: list[tuple[str, str]] = []
    duplicated: list[str] = []
    for index, raw in enumerate(cells):
        name = raw.strip()
        if not name:
            continue
        canonical = name if name in known else by_folded.get(_fold(name))
        if canonical is not None:
            if canonical in columns:
                duplicated.append(name)
                continue
            columns[canonical] = index
            if canonical != name:
                renamed.append((name, canonical))
        elif name.lower().startswith(EXTENSION_PREFIXES):
            extensions.append((name, index))
        else:
            unknown.append(name)
    return Header(columns, tuple(extensions), tuple(unknown), tuple(renamed), tuple(duplicated), len(cells))


def suggestions(unknown: Iterable[str], known: Collection[str]) -> str:
    """`name (did you mean x?)` for each unknown column with a close known one."""
    described = []
    for name in unknown:
        close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.75)
        described.append(f"{name} (did you mean {close[0]}?)" if close else name)
    return ", ".join(described)


def _fold(name: str) -> str:
    return "".join(name.split()).lower()

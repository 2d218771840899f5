"""Run ids as people type them: the CLI prints the first few characters, any unique prefix names the run."""
from __future__ import annotations

import string

SHORT_LENGTH = 8
# Fewer characters than this would match too many runs to be worth a lookup.
SHORTEST_PREFIX = 4


class AmbiguousRunId(Exception):
    def __init__(self, prefix: str, matches: list[str]) -> None:
        shown = ", ".join(short(run_id) for run_id in matches[:5])
        super().__init__(f"{prefix} names more than one run ({shown}{', ...' if len(matches) > 5 else ''}): "
                         "give more of its id")


def short(run_id: str) -> str:
    return run_id[:SHORT_LENGTH]


def usable_prefix(text: str) -> str | None:
    """The lower-case prefix to look runs up by, or None when `text` cannot be the start of a run id."""
    prefix = text.strip().lower()
    if len(prefix) < SHORTEST_PREFIX or any(char not in string.hexdigits for char in prefix):
        return None
    return prefix


def the_one(prefix: str, matches: list[str]) -> str | None:
    """The run a prefix names: None when none matches, AmbiguousRunId when several do."""
    if len(matches) > 1:
        raise AmbiguousRunId(prefix, sorted(matches))
    return matches[0] if matches else None

"""Summaries of per-item bulk results, so a screen can say "12 enabled, 1 not found"."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping


def summarize_outcomes(results: Iterable[Mapping]) -> dict[str, int]:
    """How many items ended with each outcome, in the order outcomes first appear."""
    return dict(Counter(result["outcome"] for result in results))

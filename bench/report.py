"""Rows, ratios, the printed table and the JSON file. No measuring here."""
from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# metric -> the baseline it is divided by (same unit). Only metrics that are measured get a ratio.
RATIO_BASELINES: Mapping[str, str] = {
    "baseline_http_posts_2p_per_s": "baseline_http_posts_per_s",
    "roster_read_rows_per_s": "baseline_copy_rows_per_s",
}

# Printed beside the value, never asserted: (comparison, threshold).
TARGETS: Mapping[str, tuple[str, float]] = {
    "plan_recipients_per_s": (">=", 200_000),
}


@dataclass(frozen=True)
class Row:
    name: str
    value: float
    unit: str
    ratio: float | None = None


def ratio(value: float, baseline: float | None) -> float | None:
    """value ÷ baseline, or None when there is no usable baseline."""
    if baseline is None or baseline <= 0:
        return None
    return value / baseline


def with_ratios(rows: Sequence[Row], baselines: Mapping[str, str] = RATIO_BASELINES) -> list[Row]:
    by_name = {row.name: row for row in rows}
    out = []
    for row in rows:
        base = by_name.get(baselines.get(row.name, ""))
        if base is not None and base.unit != row.unit:
            raise ValueError(f"{row.name} ({row.unit}) cannot be divided by {base.name} ({base.unit})")
        out.append(Row(row.name, row.value, row.unit, ratio(row.value, base.value if base else None)))
    return out


def target_status(name: str, value: float, targets: Mapping[str, tuple[str, float]] = TARGETS) -> str:
    if name not in targets:
        return ""
    op, threshold = targets[name]
    met = value >= threshold if op == ">=" else value <= threshold
    return f"{op} {_number(threshold)} ({'met' if met else 'NOT met'})"


def format_table(rows: Sequence[Row], baselines: Mapping[str, str] = RATIO_BASELINES,
                 targets: Mapping[str, tuple[str, float]] = TARGETS) -> str:
    header = ("metric", "value", "unit", "ratio", "vs", "target")
    body = [(row.name, _number(row.value), row.unit,
             "" if row.ratio is None else f"{row.ratio:.3f}",
             baselines.get(row.name, "") if row.ratio is not None else "",
             target_status(row.name, row.value, targets)) for row in rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    right = {1, 3}

    def fmt(line: Sequence[str]) -> str:
        cells = [cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(line, widths))]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(header), rule, *(fmt(line) for line in body)])


def to_document(rows: Sequence[Row], *, scale: str, date: str, machine: Mapping[str, object]) -> dict:
    def row_dict(row: Row) -> dict:
        item: dict = {"name": row.name, "value": row.value, "unit": row.unit}
        if row.ratio is not None:
            item["ratio"] = row.ratio
        return item

    return {"rows": [row_dict(row) for row in rows], "scale": scale, "date": date, "machine": dict(machine)}


def write_json(path: Path, document: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def machine() -> dict:
    memory_mb = None
    try:
        memory_mb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20)
    except (ValueError, OSError, AttributeError):
        pass
    return {"cores": os.cpu_count(), "memory": None if memory_mb is None else f"{memory_mb} MB"}


def _number(value: float) -> str:
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}"

"""Rows, ratios, the printed table and the JSON file. No measuring here."""
from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

# metric -> the baseline it is divided by (same unit, or both rates). Only measured metrics get a ratio.
RATIO_BASELINES: Mapping[str, str] = {
    "baseline_http_posts_2p_per_s": "baseline_http_posts_per_s",
    "roster_read_rows_per_s": "baseline_copy_rows_per_s",
    "sync_full_rows_per_s": "baseline_copy_rows_per_s",
    "fanout_1w_deliveries_per_s": "baseline_http_posts_per_s",
    "fanout_2w_deliveries_per_s": "baseline_http_posts_2p_per_s",
    # A provider's full run against the CSV package's full import of the same district.
    "sync_classlink_full_seconds": "sync_full_seconds",
    "sync_clever_full_seconds": "sync_full_seconds",
    # The same runs' CPU (the platform's processes and the bench's provider fake): steadier on a shared box.
    "sync_classlink_full_cpu_seconds": "sync_full_cpu_seconds",
    "sync_clever_full_cpu_seconds": "sync_full_cpu_seconds",
}


@dataclass(frozen=True)
class Target:
    """Printed beside the value, never asserted: `value (or ratio) op threshold (× another metric)`."""

    op: str  # ">=" or "<="
    threshold: float
    of: str | None = None  # the threshold is a multiple of this metric's value
    on_ratio: bool = False  # compare the row's ratio, not its value

    def describe(self) -> str:
        subject = "ratio " if self.on_ratio else ""
        scale = f" x {self.of}" if self.of else ""
        return f"{subject}{self.op} {_number(self.threshold)}{scale}"

    def met(self, row: Row, by_name: Mapping[str, Row]) -> bool | None:
        measured = row.ratio if self.on_ratio else row.value
        threshold = self.threshold
        if self.of is not None:
            other = by_name.get(self.of)
            threshold = None if other is None else self.threshold * other.value
        if measured is None or threshold is None:
            return None
        return measured >= threshold if self.op == ">=" else measured <= threshold


TARGETS: Mapping[str, tuple[Target, ...]] = {
    "plan_recipients_per_s": (Target(">=", 200_000),),
    "sync_full_rows_per_s": (Target(">=", 0.2, on_ratio=True),),  # at most 5x the time raw COPY takes
    "sync_unchanged_seconds": (Target("<=", 0.10, of="sync_full_seconds"),),
    "sync_delta_seconds": (Target("<=", 0.05, of="sync_full_seconds"),),
    "sync_classlink_full_seconds": (Target("<=", 1.2, on_ratio=True),),
    "sync_classlink_delta_seconds": (Target("<=", 60),),
    "sync_clever_full_seconds": (Target("<=", 1.2, on_ratio=True),),
    "sync_clever_delta_seconds": (Target("<=", 60),),
    "fanout_enqueue_seconds": (Target("<=", 2, on_ratio=True),),
    "fanout_2w_deliveries_per_s": (Target(">=", 1, on_ratio=True), Target(">=", 1.5, of="fanout_1w_deliveries_per_s")),
    "fanout_duplicates": (Target("<=", 0),),
    "search_p95_ms": (Target("<=", 50),),
    "search_p99_ms": (Target("<=", 100),),
    "search50_p95_ms": (Target("<=", 150),),
    "search_settle_still_due": (Target("<=", 0),),  # search_* measured on a settled directory
    "sync_archive_seconds": (Target("<=", 60),),
    "bulk_archive_20k_seconds": (Target("<=", 60),),
    "message_p95_ms": (Target("<=", 2000),),
    "inbound_replies_per_s": (Target(">=", 200),),
    "inbound_replies_lost": (Target("<=", 0),),
}


# What a row without a target (or beside its target) stands for, printed in the target column.
NOTES: Mapping[str, str] = {
    **{f"search_after_writes_{figure}": "no target: right after the stage before (search_*: once settled)"
       for figure in ("p50_ms", "p95_ms", "p99_ms", "requests_per_s")},
    "search_settle_seconds": "no target: the wait until the directory's database settled",
    "search_settle_still_due": "tables due or maintenance running as search_* began",
}


# Targets of every metric whose name ends so (each process's `<process>_peak_rss_mb`).
SUFFIX_TARGETS: Mapping[str, tuple[Target, ...]] = {
    "_peak_rss_mb": (Target("<=", 1024),),  # no process above 1 GB
}


def targets_of(name: str, targets: Mapping[str, tuple[Target, ...]] = TARGETS) -> tuple[Target, ...]:
    if name in targets:
        return targets[name]
    return next((found for suffix, found in SUFFIX_TARGETS.items() if name.endswith(suffix)), ())


@dataclass(frozen=True)
class Row:
    name: str
    value: float
    unit: str
    ratio: float | None = None
    # For a duration: (baseline rate, how many units) -- the ratio is value / (units / rate), i.e. against
    # the time the raw baseline needs for as much work.
    scaled_baseline: tuple[str, float] | None = None


def ratio(value: float, baseline: float | None) -> float | None:
    """value / baseline, or None when there is no usable baseline."""
    if baseline is None or baseline <= 0:
        return None
    return value / baseline


def _comparable(unit: str, other: str) -> bool:
    return unit == other or (unit.endswith("/s") and other.endswith("/s"))


def with_ratios(rows: Sequence[Row], baselines: Mapping[str, str] = RATIO_BASELINES) -> list[Row]:
    by_name = {row.name: row for row in rows}
    out = []
    for row in rows:
        if row.scaled_baseline is not None:
            rate_name, units = row.scaled_baseline
            rate = by_name.get(rate_name)
            raw_seconds = units / rate.value if rate is not None and rate.value > 0 else None
            out.append(replace(row, ratio=ratio(row.value, raw_seconds)))
            continue
        base = by_name.get(baselines.get(row.name, ""))
        if base is not None and not _comparable(row.unit, base.unit):
            raise ValueError(f"{row.name} ({row.unit}) cannot be divided by {base.name} ({base.unit})")
        out.append(replace(row, ratio=ratio(row.value, base.value if base else None)))
    return out


def baseline_label(row: Row, baselines: Mapping[str, str] = RATIO_BASELINES) -> str:
    if row.ratio is None:
        return ""
    if row.scaled_baseline is not None:
        name, units = row.scaled_baseline
        return f"time for {units:,.0f} at {name}"
    return baselines.get(row.name, "")


def target_status(row: Row, by_name: Mapping[str, Row] | None = None,
                  targets: Mapping[str, tuple[Target, ...]] = TARGETS, notes: Mapping[str, str] = NOTES) -> str:
    """Each target with its verdict, then the row's note if it has one."""
    parts = []
    for target in targets_of(row.name, targets):
        met = target.met(row, by_name or {row.name: row})
        verdict = "n/a" if met is None else "met" if met else "NOT met"
        parts.append(f"{target.describe()} ({verdict})")
    if row.name in notes:
        parts.append(notes[row.name])
    return "; ".join(parts)


def format_table(rows: Sequence[Row], baselines: Mapping[str, str] = RATIO_BASELINES,
                 targets: Mapping[str, tuple[Target, ...]] = TARGETS) -> str:
    header = ("metric", "value", "unit", "ratio", "vs", "target")
    by_name = {row.name: row for row in rows}
    body = [(row.name, _number(row.value), row.unit,
             "" if row.ratio is None else f"{row.ratio:.3f}",
             baseline_label(row, baselines),
             target_status(row, by_name, targets)) for row in rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    right = {1, 3}

    def fmt(line: Sequence[str]) -> str:
        cells = [cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(line, widths))]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(header), rule, *(fmt(line) for line in body)])


def format_markdown(rows: Sequence[Row], baselines: Mapping[str, str] = RATIO_BASELINES,
                    targets: Mapping[str, tuple[Target, ...]] = TARGETS) -> str:
    """The same table as a Markdown table, for the README."""
    by_name = {row.name: row for row in rows}
    lines = ["| metric | value | unit | ratio | vs | target |", "| --- | ---: | --- | ---: | --- | --- |"]
    for row in rows:
        cells = (f"`{row.name}`", _number(row.value), row.unit, "" if row.ratio is None else f"{row.ratio:.3f}",
                 baseline_label(row, baselines), target_status(row, by_name, targets))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def rows_from_document(document: Mapping) -> list[Row]:
    return [Row(item["name"], item["value"], item["unit"], item.get("ratio"),
                tuple(item["scaled_baseline"]) if item.get("scaled_baseline") else None)
            for item in document["rows"]]


def to_document(rows: Sequence[Row], *, scale: str, date: str, machine: Mapping[str, object]) -> dict:
    def row_dict(row: Row) -> dict:
        item: dict = {"name": row.name, "value": row.value, "unit": row.unit}
        if row.ratio is not None:
            item["ratio"] = row.ratio
        if row.scaled_baseline is not None:
            item["scaled_baseline"] = list(row.scaled_baseline)
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

"""Run every metric once at the scale, print the table, write the JSON. See bench/__init__.py."""
from __future__ import annotations

import argparse
import datetime
import importlib
import json
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench.context import SIZES, Context
from bench.metrics.platform import STAGES, PartialResult
from bench.preflight import problems
from bench.report import (Row, format_markdown, format_table, machine, rows_from_document, to_document,
                          with_ratios, write_json)
from schoolctl.broker import EXIT_UNAVAILABLE
from shared.settings import value

# Ratios are worked out after every group ran, so the order is free. roster goes first: Linux carries a
# process's peak RSS across fork and exec into the child, so the reading child must be spawned while this
# process is still small (before the COPY buffer and the planner's recipients), or its peak would be ours.
GROUPS = ("roster", "rabbit", "postgres", "http", "planner", "platform")
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "latest.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Measure against this box's raw limits.")
    parser.add_argument("--scale", choices=sorted(SIZES), default=value("BENCH_SCALE"))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--only", nargs="+", choices=GROUPS, default=list(GROUPS))
    parser.add_argument("--stages", nargs="+", choices=STAGES, default=None,
                        help="the platform group's stages to measure (default: all)")
    parser.add_argument("--markdown", type=Path, metavar="RESULTS_JSON",
                        help="print the table of an earlier run's JSON as Markdown (for the README) and exit")
    args = parser.parse_args(argv)
    if args.markdown:
        document = json.loads(args.markdown.read_text(encoding="utf-8"))
        print(f"Scale {document['scale']}, {document['date']}, machine {document['machine']}\n")
        print(format_markdown(rows_from_document(document)))
        return 0
    if missing := problems():
        print("\n".join(missing), file=sys.stderr)
        return EXIT_UNAVAILABLE

    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    ctx = Context(args.scale, workdir, stages=tuple(args.stages) if args.stages else None)
    rows: list[Row] = []
    failed: list[str] = []
    try:
        for group in args.only:
            ctx.progress(f"{group}: starting")
            started = time.monotonic()
            try:
                rows.extend(importlib.import_module(f"bench.metrics.{group}").run(ctx))
            except PartialResult as partial:
                rows.extend(partial.rows)
                failed.append(group)
            except Exception:  # one broken group must not lose the others' numbers
                traceback.print_exc()
                failed.append(group)
            ctx.progress(f"{group}: done in {time.monotonic() - started:.1f}s")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    rows = with_ratios(sorted(rows, key=lambda row: not row.name.startswith("baseline_")))  # baselines on top
    date = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    write_json(args.out, to_document(rows, scale=args.scale, date=date, machine=machine()))
    print(f"\nscale {args.scale}, {date}, {machine()}")
    print(format_table(rows))
    print(f"\nwritten to {args.out}")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

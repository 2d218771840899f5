"""What every metric gets: the scale, loopback endpoints, a scratch folder and progress output."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from shared.settings import value

AMQP_URI = value("BENCH_AMQP_URI")
RABBIT_API = value("BENCH_RABBIT_API")
PG_DSN = value("BENCH_PG_DSN")
SEED = 6


def pg_dsn(database: str) -> str:
    """PG_DSN pointed at another database on the same server."""
    return " ".join(part for part in PG_DSN.split() if not part.startswith("dbname=")) + f" dbname={database}"


@dataclass(frozen=True)
class Sizes:
    """How much work each metric does at a scale; everything here bounds the run's time."""

    messages: int
    copy_rows: int
    http_seconds: float
    plan_recipients: int
    search_seconds: float = 20.0
    sync_timeout_seconds: float = 600.0
    fanout_timeout_seconds: float = 900.0
    inbound_seconds: float = 10.0  # texts back posted for this long


SIZES = {
    "small": Sizes(messages=20_000, copy_rows=100_000, http_seconds=3.0, plan_recipients=200_000),
    "district": Sizes(messages=100_000, copy_rows=500_000, http_seconds=10.0, plan_recipients=200_000,
                      sync_timeout_seconds=2400.0, fanout_timeout_seconds=2400.0, inbound_seconds=30.0),
}


@dataclass
class Context:
    scale: str
    workdir: Path
    # The platform group's stages to measure (bench/metrics/platform.py); None: all of them.
    stages: tuple[str, ...] | None = None
    started: float = field(default_factory=time.monotonic)
    _package: Path | None = None

    @property
    def sizes(self) -> Sizes:
        return SIZES[self.scale]

    def measures(self, stage: str) -> bool:
        return self.stages is None or stage in self.stages

    def progress(self, message: str) -> None:
        print(f"[bench {time.monotonic() - self.started:6.1f}s] {message}", file=sys.stderr, flush=True)

    def package(self) -> Path:
        """The generated district for this scale, written once per run into the scratch folder."""
        if self._package is None:
            from services.rostering.adapters.sources.oneroster_csv.generator import SCALES, write_district

            out = self.workdir / f"district-{self.scale}"
            self.progress(f"generating the {self.scale} district package ({SCALES[self.scale]})")
            t0 = time.monotonic()
            write_district(out, scale=SCALES[self.scale], seed=SEED)
            self.progress(f"package written in {time.monotonic() - t0:.1f}s")
            self._package = out
        return self._package

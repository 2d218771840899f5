"""sync_*, search_*, search50_*, message_*, inbound_replies_*, fanout_*, *archive*, sync_classlink_*, sync_clever_*,
*_peak_rss_mb: the whole platform, as `make run` starts it, on scratch PostgreSQL databases.

One stack for the five stages, in order: the district is imported (full, unchanged, delta), viewers
sign in and a quarter of the students are enabled, departures are archived by a held and approved sync
and about 20,000 people by hand (and the district restored after each), then search runs under load (right
after the archive stage, then once the directory's database has settled: stages/search.py), then
conversation messages and texts back go through the idle stack, then the priority announcement goes
out with one and with two notify workers. `--stages` measures some of them only; the full import always
runs when any of them is measured, as every other stage needs the district.
Then (stages `classlink`, `clever`) the same district is synced from a loopback ClassLink tenant and a
loopback Clever district, each on a fresh stack of its own (stages/provider_sync.py).
Each process's peak resident set over the district stages is read from /proc (`*_peak_rss_mb`, notify workers
as one kind: the largest), after each stage and before the fan-out's workers stop.
A stage that fails keeps the rows of the stages before it; the services' logs are printed with the failure.
"""
from __future__ import annotations

import traceback

from bench.context import Context
from bench.platform_stack import Platform, running_platform
from bench.report import Row
from bench.stages import archive, conversations, fanout, people, provider_sync, search, sync

# The stages measured on one stack, the district imported from its CSV package first.
DISTRICT_STAGES = ("sync", "archive", "search", "conversations", "fanout")
STAGES = (*DISTRICT_STAGES, *provider_sync.PROVIDERS)


def run(ctx: Context) -> list[Row]:
    rows: list[Row] = []
    if any(ctx.measures(stage) for stage in DISTRICT_STAGES):
        rows += _district_stages(ctx)
    for provider in provider_sync.PROVIDERS:
        if ctx.measures(provider):
            try:
                rows += provider_sync.run(ctx, provider)
            except Exception:
                traceback.print_exc()
                raise PartialResult(rows)
    return rows


def _district_stages(ctx: Context) -> list[Row]:
    rows: list[Row] = []
    with running_platform(ctx, workers=0) as platform:
        try:
            if ctx.measures("sync"):
                rows += sync.run(ctx, platform)
            else:
                sync.timed_import(ctx, platform, ctx.package(), "full import, for the stages after it")
            platform.note_peak_rss()
            viewers = people.sign_in_viewers(ctx, platform, ctx.package())
            people.enable_quarter_of_students(ctx, platform, viewers["district_admin"])
            if ctx.measures("archive"):
                rows += archive.run(ctx, platform, viewers["district_admin"])
                platform.note_peak_rss()
            if ctx.measures("search"):
                rows += search.run(ctx, platform, viewers)
            if ctx.measures("conversations"):
                rows += conversations.run(ctx, platform, viewers["district_admin"])
            if ctx.measures("fanout"):
                rows += fanout.run(ctx, platform, viewers["district_admin"])
        except Exception:
            traceback.print_exc()
            print(platform.stack.logs())
            raise PartialResult(rows + peak_rss_rows(platform))
        return rows + peak_rss_rows(platform)


def peak_rss_rows(platform: Platform) -> list[Row]:
    """`<process>_peak_rss_mb`: each process's largest resident set over the district stages."""
    platform.note_peak_rss()
    return [Row(f"{kind}_peak_rss_mb", peak, "MB") for kind, peak in sorted(platform.peak_rss_mb.items())]


class PartialResult(Exception):
    """A stage failed; `rows` holds what the stages before it measured."""

    def __init__(self, rows: list[Row]) -> None:
        super().__init__(f"{len(rows)} rows measured before the failure")
        self.rows = rows

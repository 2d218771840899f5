"""sync_*, search_*, fanout_*, *archive*: the whole platform, as `make run` starts it, on scratch PostgreSQL
databases.

One stack for the four stages, in order: the district is imported (full, unchanged, delta), viewers
sign in and a quarter of the students are enabled, departures are archived by a held and approved sync
and about 20,000 people by hand (and the district restored after each), then search runs under load,
then the priority announcement goes out with one and with two notify workers.
A stage that fails keeps the rows of the stages before it; the services' logs are printed with the failure.
"""
from __future__ import annotations

import traceback

from bench.context import Context
from bench.platform_stack import running_platform
from bench.report import Row
from bench.stages import archive, fanout, people, search, sync


def run(ctx: Context) -> list[Row]:
    rows: list[Row] = []
    with running_platform(ctx, workers=0) as platform:
        try:
            rows += sync.run(ctx, platform)
            viewers = people.sign_in_viewers(ctx, platform, ctx.package())
            people.enable_quarter_of_students(ctx, platform, viewers["district_admin"])
            rows += archive.run(ctx, platform, viewers["district_admin"])
            rows += search.run(ctx, platform, viewers)
            rows += fanout.run(ctx, platform, viewers["district_admin"])
        except Exception:
            traceback.print_exc()
            print(platform.stack.logs())
            raise PartialResult(rows)
    return rows


class PartialResult(Exception):
    """A stage failed; `rows` holds what the stages before it measured."""

    def __init__(self, rows: list[Row]) -> None:
        super().__init__(f"{len(rows)} rows measured before the failure")
        self.rows = rows

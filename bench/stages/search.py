"""search_p50_ms, search_p95_ms, search_p99_ms, search_requests_per_s: gateway directory search under load, on a
settled directory; search50_*: the same with 50 clients; search_after_writes_*: the same 10 clients right after the
stage before.

First 10 clients search right after the stage before (in a district run: the archive stage, which archived and
put back some 50,000 people), while the directory may still be bringing its statistics and its index-only tables
up to date (search_after_writes_*, printed for information, no target). Then the bench waits until the
directory's database is settled (bench/database_settling.py: nothing due by its statistics keeper's rule, no
VACUUM or ANALYZE running), for at most BOUND_SECONDS: `search_settle_seconds` is the wait, and
`search_settle_still_due` what was still due or running when the measured runs began (0 once settled; a bound
hit shows as NOT met, and the figures after it were measured unsettled). Then 10 and 50 clients search for the
targets.

Each client is a thread with its own keep-alive connection, for the scale's search seconds. Each
request is one viewer (district administrator, school administrator or teacher, in turn) searching
for a name prefix taken from the package, first page of 25, as the directory screen asks. Every
answer must be a 200; anything else stops the stage.

The clients share the box's two cores with the platform, so they use the standard library's `http.client`
rather than `requests`: 0.25 to 0.29 ms of the client's CPU a request against 0.9 ms (a keep-alive loop against a
minimal local server, 2026-12-05), CPU that would otherwise be taken from the services under test.
"""
from __future__ import annotations

import csv
import http.client
import itertools
import statistics
import threading
import time
import urllib.parse
from pathlib import Path

from bench.context import Context
from bench.database_settling import BOUND_SECONDS, wait_until_database_settled
from bench.platform_stack import Platform, cpu_per_item
from bench.report import Row
from bench.stages.people import Viewer
from services.directory.adapters.tables import READ_INDEX_ONLY

# Clients searching at once -> the prefix of their rows, once the directory has settled.
LOADS = {10: "search", 50: "search50"}
# The same 10 clients right after the stage before, before the wait.
AFTER_WRITES = (10, "search_after_writes")


def run(ctx: Context, platform: Platform, viewers: dict[str, Viewer]) -> list[Row]:
    queries = name_prefixes(ctx.package())
    clients, prefix = AFTER_WRITES
    rows = searching(ctx, platform, viewers, queries, clients=clients, prefix=prefix)
    rows += settled_directory(ctx, platform)
    for clients, prefix in LOADS.items():
        rows += searching(ctx, platform, viewers, queries, clients=clients, prefix=prefix)
    return rows


def settled_directory(ctx: Context, platform: Platform) -> list[Row]:
    """Wait until the directory's database is settled (at most BOUND_SECONDS): search_settle_seconds, and
    search_settle_still_due, what was left when the bound was hit (0 once settled)."""
    ctx.progress(f"search: waiting until the directory's database is settled (at most {BOUND_SECONDS:.0f}s)")
    settling = wait_until_database_settled(platform.database_url("directory"), vacuumed=READ_INDEX_ONLY,
                                           bound=BOUND_SECONDS, progress=ctx.progress)
    if settling.left:
        ctx.progress(f"  NOT settled after {settling.seconds:.1f}s, searching anyway: {'; '.join(settling.left)}")
    else:
        ctx.progress(f"  settled after {settling.seconds:.1f}s")
    return [Row("search_settle_seconds", settling.seconds, "s"),
            Row("search_settle_still_due", len(settling.left), "items")]


def searching(ctx: Context, platform: Platform, viewers: dict[str, Viewer], queries: list[str], *,
              clients: int, prefix: str) -> list[Row]:
    seconds = ctx.sizes.search_seconds
    ctx.progress(f"search: {clients} clients for {seconds:.0f}s, {len(queries)} name prefixes, "
                 f"as {', '.join(viewers)}")
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures: list[str] = []
    stop_at = time.monotonic() + seconds
    gateway = urllib.parse.urlsplit(platform.stack.gateway_url)
    path = f"{gateway.path.rstrip('/')}/api/v1/directory/people?"

    def client(n: int) -> None:
        tokens = itertools.cycle([viewer.token for viewer in viewers.values()][n % len(viewers):]
                                 + [viewer.token for viewer in viewers.values()][:n % len(viewers)])
        terms = itertools.cycle(queries[n::clients] or queries)
        connection = http.client.HTTPConnection(gateway.hostname, gateway.port, timeout=30)
        try:
            while time.monotonic() < stop_at and not failures:
                headers = {"Authorization": f"Bearer {next(tokens)}", "Accept": "application/json"}
                started = time.perf_counter()
                connection.request("GET", path + urllib.parse.urlencode({"query": next(terms)}), headers=headers)
                response = connection.getresponse()
                body = response.read()
                latencies[n].append(time.perf_counter() - started)
                if response.status != 200:
                    failures.append(f"{response.status} {body[:300].decode(errors='replace')}")
        except (OSError, http.client.HTTPException) as error:
            failures.append(f"no answer: {error!r}")
        finally:
            connection.close()

    cpu_before = platform.cpu_seconds()
    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    elapsed = time.monotonic() - started
    if failures:
        raise RuntimeError(f"search answered {failures[0]}")
    every = sorted(itertools.chain.from_iterable(latencies))
    ctx.progress(f"  {len(every):,} searches in {elapsed:.1f}s; CPU ms per search: "
                 f"{cpu_per_item(cpu_before, platform.cpu_seconds(), len(every))}")
    cuts = statistics.quantiles(every, n=100, method="inclusive")
    return [Row(f"{prefix}_p50_ms", cuts[49] * 1000, "ms"),
            Row(f"{prefix}_p95_ms", cuts[94] * 1000, "ms"),
            Row(f"{prefix}_p99_ms", cuts[98] * 1000, "ms"),
            Row(f"{prefix}_requests_per_s", len(every) / elapsed, "requests/s")]


def name_prefixes(package: Path) -> list[str]:
    """Three-letter prefixes of the package's family and given names, as a person would type them."""
    prefixes: set[str] = set()
    with (package / "users.csv").open(newline="", encoding="utf-8") as users:
        for user in itertools.islice(csv.DictReader(users), 5000):
            for name in (user["familyName"], user["givenName"]):
                if len(name) >= 3:
                    prefixes.add(name[:3].lower())
    return sorted(prefixes)

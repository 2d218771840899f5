"""sync_classlink_*, sync_clever_*: the generated district synced from a loopback ClassLink tenant and Clever district.

Each provider gets a platform of its own, empty as the CSV full import finds it, and its loopback fake
serving the same district (provider_rosters.py). `rostering.sync_district` is asked for a first, full
run; then 1 % of the users are changed in the fake, as sync.delta_package changes them (ClassLink: a
newer `dateLastModified`, which the incremental run's filter asks for; Clever: an `updated` event each,
which the incremental run reads from the events API), and a second, incremental run is asked for. Each
run is timed as sync.py times an import: from the request until the run completed and notify's
projection took in what directory and identity published.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from bench.context import Context
from bench.platform_stack import Platform, cpu_spent, cpu_with_bench, operator_rpc, running_platform, wait_for
from bench.report import Row
from bench.stages.provider_rosters import classlink_roster, clever_roster
from bench.stages.sync import (DELTA_SHARE, RUN_POLL_SECONDS, TimedRun, change_of, finished_epoch, progress_of,
                               projected_at, reporting_progress, timed_run, wait_drained)
from schoolctl.broker import CLIENT_ID_VARIABLE
from shared.contracts import directory, rostering
from shared.contracts.callers import SERVICE_PRINCIPAL_PREFIX
from shared.messaging import cluster_rpc
from shared.testing.classlink_fake import FakeClassLink
from shared.testing.clever_fake import FakeClever

CLASSLINK, CLEVER = "classlink", "clever"
PROVIDERS = (CLASSLINK, CLEVER)
RPC_TIMEOUT_SECONDS = 60.0
FINISHED = ("completed", "failed", "rejected", "awaiting_approval")


def run(ctx: Context, provider: str) -> list[Row]:
    package = ctx.package()
    with _serving(provider, package) as fake, running_platform(ctx) as platform:
        try:
            district_id = configure_source(platform, provider, fake)
            full = timed_sync(ctx, platform, district_id, f"{provider}: first, full run")
            ctx.progress(f"{provider}: changing 1 % of the users")
            changed = change_users(provider, fake)
            delta = timed_sync(ctx, platform, district_id, f"{provider}: incremental run, {changed:,} users changed")
        except Exception:
            print(platform.stack.logs())
            raise
    return [Row(f"sync_{provider}_full_seconds", full.seconds, "s"),
            Row(f"sync_{provider}_full_cpu_seconds", full.cpu_seconds, "s"),
            Row(f"sync_{provider}_delta_seconds", delta.seconds, "s")]


@contextmanager
def _serving(provider: str, package: Path) -> Iterator[FakeClassLink | FakeClever]:
    fake = FakeClassLink() if provider == CLASSLINK else FakeClever()
    fake.roster.update(classlink_roster(package) if provider == CLASSLINK else clever_roster(package))
    with fake:
        yield fake


def configure_source(platform: Platform, provider: str, fake: FakeClassLink | FakeClever) -> str:
    """Point the district's sync settings at `fake` (its secret sealed by rostering, as an operator gives it);
    answers the directory's id of the district. The one place the bench says where a district syncs from.

    Settings are kept for a district the directory knows, so the district is made first under the sourcedId the
    provider gives it, as its first sync would."""
    if provider == CLASSLINK:
        district = next(org for org in fake.roster["orgs"] if org["type"] == "district")
        source_id, name = district["sourcedId"], district["name"]
        connection = {"tenant_id": "bench", "application_id": "bench", "server_url": fake.url, "version": "1.1",
                      "auth": "oauth1", "client_id": fake.client_id, "client_secret": fake.client_secret}
    else:
        district = fake.roster["districts"][0]
        source_id, name = district["id"], district["name"]
        connection = {"district_id": source_id, "api_url": fake.url, "token": fake.token}
    with platform.stack.rpc_as_platform(rostering.NAME, timeout=RPC_TIMEOUT_SECONDS) as rpc:
        district_id = rpc(directory.contract).upsert_district({"source_id": source_id, "name": name})["id"]
    with cluster_rpc(platform.vhost_uri, timeout=RPC_TIMEOUT_SECONDS,
                     credential=platform.stack.operator_token()) as rpc:
        rpc(rostering.contract).update_district_sync_settings({
            "district_id": district_id, "source": provider, "connection": connection,
            "changed_by": SERVICE_PRINCIPAL_PREFIX + platform.stack.operator_env[CLIENT_ID_VARIABLE]})
    return district_id


def change_users(provider: str, fake: FakeClassLink | FakeClever) -> int:
    """Change every 100th user in the fake, as the provider would show it; answers how many."""
    users = fake.roster["users"][::round(1 / DELTA_SHARE)]
    modified = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    for n, user in enumerate(users):
        if provider == CLASSLINK:
            field, value = change_of(n, user["givenName"], user.get("email", ""))
            user.update({field: value, "dateLastModified": modified})
        else:
            field, value = change_of(n, user["name"]["first"], user.get("email") or "")
            change = {"email": value} if field == "email" else {"name": {**user["name"], "first": value}}
            fake.update("users", user["id"], **change, last_modified=modified)
    return len(users)


def timed_sync(ctx: Context, platform: Platform, district_id: str, label: str) -> TimedRun:
    ctx.progress(f"sync: {label}")
    timeout = ctx.sizes.sync_timeout_seconds
    started_wall = time.time()
    cpu_before = cpu_with_bench(platform)
    with reporting_progress(ctx, platform), operator_rpc(platform, rostering.contract, RPC_TIMEOUT_SECONDS) as rostering_rpc:
        run = rostering_rpc().sync_district({"district": district_id, "region": "US"})
        latest = [run]

        def finished() -> bool:
            latest[0] = rostering_rpc().follow_sync_run({"run_id": run["run_id"]})
            return latest[0]["state"] in FINISHED

        wait_for(ctx, "the sync run", finished, timeout=timeout, every=RUN_POLL_SECONDS,
                 report=lambda: progress_of(latest[0]))
    run = latest[0]
    if run["state"] != "completed":
        raise RuntimeError(f"the sync run ended {run['state']}: {run.get('message')}")
    ctx.progress(f"  run completed after {time.time() - started_wall:.1f}s; waiting for the events to drain")
    wait_drained(ctx, platform, timeout)
    elapsed = max(finished_epoch(run), projected_at(platform)) - started_wall
    return timed_run(ctx, label, elapsed, run, cpu_spent(cpu_before, cpu_with_bench(platform)))


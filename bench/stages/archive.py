"""sync_archive_*, bulk_archive_*: archiving at district scale, by sync and by hand, and audiences after it.

Runs after the district is imported and before search and the fan-out, and puts the district back as it
found it after each measurement (the full package imported again unarchives the departures; the people
archived by hand are unarchived by hand), so the stages after it measure the same district as before.

sync_archive: a copy of the district package without 15 % of its students (their enrollments, the
guardians left with no child, and every agent link to them) is imported; the mass-change guard holds
it, an administrator approves it over RPC (as the gateway and `schoolctl roster approve` do), and the
approved run applies. `sync_archive_seconds` is the archiving: from the approval until the run completed
and notify's projection took the change in. `sync_archive_held_seconds` is the import before it, from the
call until the run is held (reading the package and checking what it would archive), and
`sync_archive_end_to_end_seconds` both together; the time the administrator takes to decide is not the
platform's.

bulk_archive: a district administrator archives everyone a directory search finds (`matching`, about
20,000 people at district scale) through the gateway; the job is followed until it completes and the
projections drained.

After each, every school's audience is checked: no archived person in it, and notify's projection
marks exactly the directory's archived people.
"""
from __future__ import annotations

import csv
import shutil
import time
from pathlib import Path

from bench.context import Context
from bench.platform_stack import Platform, operator_rpc, wait_for
from bench.report import Row
from bench.stages.people import Viewer
from bench.stages.sync import imported, projected_at, wait_drained
from shared.contracts import directory, rostering
from shared.messaging import cluster_rpc

# Students n with n % 20 in DEPARTING leave: 15 %.
DEPARTING = (0, 7, 13)
BULK_MATCHING = {"kind": "guardian", "query": "an"}
JOB_POLL_SECONDS = 0.5


def run(ctx: Context, platform: Platform, admin: Viewer) -> list[Row]:
    # Enabling students just before leaves projection events in flight: not archiving's work.
    wait_drained(ctx, platform, ctx.sizes.sync_timeout_seconds)
    rows = sync_departures(ctx, platform, admin)
    _restore_by_import(ctx, platform)
    rows += bulk_archive(ctx, platform, admin)
    _restore_by_hand(ctx, platform, admin)
    return rows


def sync_departures(ctx: Context, platform: Platform, admin: Viewer) -> list[Row]:
    package, departed = departures_package(ctx.package(), ctx.workdir / "departures")
    ctx.progress(f"archive: {len(departed):,} people leave (15 % of the students and the guardians left without "
                 "a child); importing")
    timeout = ctx.sizes.sync_timeout_seconds
    started = time.monotonic()
    with operator_rpc(platform, rostering.contract, timeout) as service:
        held = imported(ctx, platform, package, timeout)
        held_seconds = time.monotonic() - started
        if held["state"] != "awaiting_approval":
            raise RuntimeError(f"the departures were not held: {held['state']} {held.get('message')}")
        ctx.progress(f"  held after {held_seconds:.1f}s: {held['message']}")
        # The administrator decides with identity's assertion of them, as the gateway does (decided_by is checked).
        signed = platform.stack.assertion_of(admin.token)
        with cluster_rpc(platform.vhost_uri, timeout=timeout, credential=signed["assertion"]) as deciding:
            approved_at, approved_wall = time.monotonic(), time.time()
            deciding(rostering.contract).approve_sync_run(
                {"run_id": held["run_id"], "decided_by": signed["principal"]["person_id"]})

        def finished() -> bool:
            return service().follow_sync_run({"run_id": held["run_id"]})["state"] != "running"

        wait_for(ctx, "the approved run", finished, timeout=timeout, every=0.5,
                 report=lambda: "still running")
        run = service().get_sync_run({"run_id": held["run_id"]})
    ended_wall = time.time()
    ctx.progress(f"  the approved run ended {run['state']} {time.monotonic() - approved_at:.1f}s after the approval")
    if run["state"] != "completed":
        raise RuntimeError(f"the approved run ended {run['state']}: {run.get('message')}")
    wait_drained(ctx, platform, timeout)
    applied_seconds = max(ended_wall, projected_at(platform)) - approved_wall
    archived = _check_audiences(ctx, platform, admin)
    ctx.progress(f"  applied {applied_seconds:.1f}s after the approval; {archived:,} people archived in all")
    return [Row("sync_archive_seconds", applied_seconds, "s"),
            Row("sync_archive_held_seconds", held_seconds, "s"),
            Row("sync_archive_end_to_end_seconds", held_seconds + applied_seconds, "s"),
            Row("sync_archive_people", run["diff"]["archiving"]["people"], "people"),
            Row("sync_archive_enrollments", run["diff"]["archiving"]["enrollments"], "enrollments")]


def bulk_archive(ctx: Context, platform: Platform, admin: Viewer) -> list[Row]:
    ctx.progress(f"archive: everyone a search finds ({BULK_MATCHING}), by hand through the gateway")
    started = time.time()
    response = platform.stack.api("POST", "/api/v1/directory/people/archive", admin.token,
                                  json={"matching": BULK_MATCHING}, timeout=300)
    response.raise_for_status()
    job = response.json()
    ctx.progress(f"  {job['total']:,} people; job {job['state']}")

    def completed() -> bool:
        nonlocal job
        job = platform.stack.api("GET", f"/api/v1/directory/jobs/{job['job_id']}", admin.token, timeout=60).json()
        return job["state"] in ("completed", "failed")

    wait_for(ctx, "the bulk archive job", completed, timeout=ctx.sizes.sync_timeout_seconds, every=JOB_POLL_SECONDS,
             report=lambda: f"{job['processed']:,} of {job['total']:,}")
    if job["state"] != "completed":
        raise RuntimeError(f"the bulk archive job failed: {job.get('message')}")
    ended = time.time()
    wait_drained(ctx, platform, ctx.sizes.sync_timeout_seconds)
    elapsed = max(ended, projected_at(platform)) - started
    _check_audiences(ctx, platform, admin)
    ctx.progress(f"  {job['total']:,} people in {elapsed:.1f}s: {job['summary']}")
    return [Row("bulk_archive_20k_seconds", elapsed, "s"), Row("bulk_archive_20k_people", job["total"], "people")]


def _restore_by_import(ctx: Context, platform: Platform) -> None:
    """The whole package again: the departed reappear and are unarchived, as a returning student would be."""
    ctx.progress("archive: the full package again, so the departed come back for the stages after this one")
    run = imported(ctx, platform, ctx.package(), ctx.sizes.sync_timeout_seconds)
    if run["state"] != "completed":
        raise RuntimeError(f"restoring the district ended {run['state']}: {run.get('message')}")
    _wait_until_nobody_archived(ctx, platform)


def _restore_by_hand(ctx: Context, platform: Platform, admin: Viewer) -> None:
    ctx.progress("archive: unarchiving by hand everyone archived by hand")
    response = platform.stack.api("POST", "/api/v1/directory/people/unarchive", admin.token,
                                  json={"matching": {**BULK_MATCHING, "include_archived": True}}, timeout=300)
    response.raise_for_status()
    job = response.json()

    def completed() -> bool:
        nonlocal job
        job = platform.stack.api("GET", f"/api/v1/directory/jobs/{job['job_id']}", admin.token, timeout=60).json()
        return job["state"] == "completed"

    wait_for(ctx, "the unarchive job", completed, timeout=ctx.sizes.sync_timeout_seconds, every=JOB_POLL_SECONDS,
             report=lambda: f"{job['processed']:,} of {job['total']:,}")
    _wait_until_nobody_archived(ctx, platform)


def _wait_until_nobody_archived(ctx: Context, platform: Platform) -> None:
    def archived() -> tuple[int, int]:
        return (int(platform.scalar("directory", "SELECT count(*) FROM people WHERE archived")),
                int(platform.scalar("notify", "SELECT count(*) FROM recipients WHERE archived")))

    wait_for(ctx, "the district back as it was", lambda: archived() == (0, 0),
             timeout=ctx.sizes.sync_timeout_seconds, every=1.0, report=lambda: "archived (directory, notify): "
                                                                            f"{archived()}")
    wait_drained(ctx, platform, ctx.sizes.sync_timeout_seconds)


def _check_audiences(ctx: Context, platform: Platform, admin: Viewer) -> int:
    """Every school's audience holds no archived person; notify marks exactly the directory's archived people."""
    archived = {row[0] for row in platform.query("directory", "SELECT id FROM people WHERE archived")}
    schools = [row[0] for row in platform.query("directory", "SELECT id FROM schools ORDER BY id")]
    signed_in = platform.stack.assertion_of(admin.token)
    viewer = signed_in["principal"]
    with cluster_rpc(platform.vhost_uri, timeout=120, credential=signed_in["assertion"]) as rpc:
        for school_id in schools:
            after = None
            while True:
                page = rpc(directory.contract).resolve_audience({
                    "viewer": viewer, "after": after,
                    "audience": {"school_id": school_id, "include_staff": True}})
                leaked = archived.intersection(page["person_ids"])
                if leaked:
                    raise RuntimeError(f"school {school_id}'s audience holds {len(leaked)} archived people")
                after = page["next_after"]
                if after is None:
                    break
    projected = int(platform.scalar("notify", "SELECT count(*) FROM recipients WHERE archived"))
    if projected != len(archived):
        raise RuntimeError(f"notify marks {projected:,} people archived; the directory {len(archived):,}")
    ctx.progress(f"  audiences of {len(schools)} schools checked: no archived person in any")
    return len(archived)


def departures_package(package: Path, out: Path) -> tuple[Path, set[str]]:
    """A copy of `package` without the departing students, their enrollments and the guardians left childless."""
    shutil.copytree(package, out)
    with (package / "users.csv").open(newline="", encoding="utf-8") as source:
        reader = csv.DictReader(source)
        fieldnames, users = reader.fieldnames, list(reader)
    leaving = {user["sourcedId"] for user in users
               if user["role"] == "student" and int(user["sourcedId"].split("-")[1]) % 20 in DEPARTING}
    kept = []
    for user in users:
        if user["sourcedId"] in leaving:
            continue
        agents = [agent for agent in user["agentSourcedIds"].split(",") if agent and agent not in leaving]
        if user["role"] != "student" and user["agentSourcedIds"] and not agents:
            leaving.add(user["sourcedId"])  # a guardian whose every child left
            continue
        kept.append({**user, "agentSourcedIds": ",".join(agents)})
    with (out / "users.csv").open("w", newline="", encoding="utf-8") as target:
        writer = csv.DictWriter(target, fieldnames=fieldnames, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(kept)
    with (package / "enrollments.csv").open(newline="", encoding="utf-8") as source:
        reader = csv.DictReader(source)
        fieldnames, enrollments = reader.fieldnames, [row for row in reader if row["userSourcedId"] not in leaving]
    with (out / "enrollments.csv").open("w", newline="", encoding="utf-8") as target:
        writer = csv.DictWriter(target, fieldnames=fieldnames, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(enrollments)
    return out, leaving

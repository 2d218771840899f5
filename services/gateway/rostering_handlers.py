"""Sync runs and sync settings over HTTP, for Rostering Administrators: list and show runs, read what a run
archives row by row, approve or reject a run the mass-change guard held, read and change the district's sync
settings. Only the caller's own district's runs and settings exist for them; another district's answer 404."""
from __future__ import annotations

from services.gateway.api import ApiCall, Backends
from services.gateway.domain.communications import district_of
from services.gateway.lists import as_list, page_of
from shared.contracts.errors import NotFound

# The runs listed: rostering answers at most this many, newest first (a daily sync's three months).
LATEST_RUNS = 100
# A running run's progress is written about once a second; polling faster would show nothing new.
POLL_AFTER_SECONDS = 1.0


def list_sync_runs(call: ApiCall, backends: Backends) -> dict:
    runs = backends.rostering.list_sync_runs({"limit": LATEST_RUNS, "state": call.query["state"],
                                              "district_id": district_of(call.principal)})["runs"]
    return page_of(runs, call.query)


def show_sync_run(call: ApiCall, backends: Backends) -> dict:
    return _run_of_callers_district(call, backends)


def follow_sync_run(call: ApiCall, backends: Backends) -> dict:
    # The findings and the archive diff can be long: a client polling every second reads them once, at the end,
    # and rostering does not even read them for a poll.
    run = _of_callers_district(call, backends.rostering.follow_sync_run({"run_id": call.path["id"]}))
    return {**run, "poll_after_seconds": POLL_AFTER_SECONDS if run["state"] == "running" else None}


def list_sync_run_changes(call: ApiCall, backends: Backends) -> dict:
    run = _run_of_callers_district(call, backends)
    return as_list(backends.rostering.get_sync_run_changes({**call.query, "run_id": run["run_id"]}), "changes")


def approve_sync_run(call: ApiCall, backends: Backends) -> dict:
    run = _run_of_callers_district(call, backends)
    return backends.rostering.approve_sync_run({"run_id": run["run_id"], "decided_by": call.principal["person_id"],
                                                "reason": None})


def reject_sync_run(call: ApiCall, backends: Backends) -> dict:
    run = _run_of_callers_district(call, backends)
    return backends.rostering.reject_sync_run({"run_id": run["run_id"], "decided_by": call.principal["person_id"],
                                               "reason": call.body.get("reason")})


def show_sync_settings(call: ApiCall, backends: Backends) -> dict:
    return backends.rostering.get_district_sync_settings({"district_id": district_of(call.principal)})


def change_sync_settings(call: ApiCall, backends: Backends) -> dict:
    return backends.rostering.update_district_sync_settings({**call.body, "district_id": district_of(call.principal),
                                                             "changed_by": call.principal["person_id"]})


def _run_of_callers_district(call: ApiCall, backends: Backends) -> dict:
    return _of_callers_district(call, backends.rostering.get_sync_run({"run_id": call.path["id"]}))


def _of_callers_district(call: ApiCall, run: dict) -> dict:
    if run["district_id"] != district_of(call.principal):
        # Another district's run does not exist for this caller.
        raise NotFound("no such sync run", fields={"id": [f"{call.path['id']} is not a sync run of your district"]})
    return run

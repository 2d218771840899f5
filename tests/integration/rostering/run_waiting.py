"""Waiting, through the running service, for a run to reach a state."""
from __future__ import annotations

import time

WAIT_SECONDS = 30


def wait_for(rostering_rpc, run_id: str, state: str) -> dict:
    run = _polled(rostering_rpc, run_id, lambda run: run["state"] == state)
    assert run["state"] == state, run["message"]
    return run


def ended(rostering_rpc, run_id: str) -> dict:
    """The run once it is no longer running (completed, held, rejected, failed)."""
    run = _polled(rostering_rpc, run_id, lambda run: run["state"] != "running")
    assert run["state"] != "running", f"run {run_id} still running after {WAIT_SECONDS} s: {run['progress']}"
    return run


def imported(rostering_rpc, request: dict) -> dict:
    """Start an import and wait for its run to end, as `schoolctl roster import` does without --detach."""
    return ended(rostering_rpc, rostering_rpc.import_package(request)["run_id"])


def _polled(rostering_rpc, run_id: str, done) -> dict:
    deadline = time.monotonic() + WAIT_SECONDS
    run = rostering_rpc.get_sync_run({"run_id": run_id})
    while not done(run) and time.monotonic() < deadline:
        time.sleep(0.1)
        run = rostering_rpc.get_sync_run({"run_id": run_id})
    return run


def wait_until(condition, seconds: float = 10) -> None:
    """Until `condition()` holds (an event a listener records), or fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.05)

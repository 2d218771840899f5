"""Waiting, through the running service, for a run to reach a state."""
from __future__ import annotations

import time


def wait_for(rostering_rpc, run_id: str, state: str) -> dict:
    deadline = time.monotonic() + 30
    run = rostering_rpc.get_sync_run({"run_id": run_id})
    while run["state"] != state and time.monotonic() < deadline:
        time.sleep(0.1)
        run = rostering_rpc.get_sync_run({"run_id": run_id})
    assert run["state"] == state, run["message"]
    return run

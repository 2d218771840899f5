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


def wait_until(condition, seconds: float = 10) -> None:
    """Until `condition()` holds (an event a listener records), or fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.05)

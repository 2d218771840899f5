"""A test process that dies without stopping its stack (pytest-timeout's thread method, a kill from CI) takes the
stack's processes with it (shared/testing/parent_death.py): none is left running on the machine."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# A test process as far as the stack can tell: it starts one, says which processes it runs, and waits to be killed.
TEST_PROCESS = """
import eventlet
eventlet.monkey_patch()
import json, sys
from pathlib import Path
from shared.testing.stack import running_stack

amqp_uri, database_urls, log_dir = sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3])
with running_stack(amqp_uri, database_urls, log_dir, workers=1) as stack:
    print(json.dumps([process.pid for process in stack.processes.values()]), flush=True)
    sys.stdin.read()
"""
SECONDS_TO_END = 10


def test_the_stack_of_a_killed_test_process_ends_with_it(rabbit_config, sqlite_database_urls, tmp_path):
    test_process = subprocess.Popen(
        [sys.executable, "-c", TEST_PROCESS, rabbit_config["AMQP_URI"], json.dumps(sqlite_database_urls),
         str(tmp_path / "logs")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"})
    pids: list[int] = []
    try:
        started = test_process.stdout.readline()
        assert started, f"the stack did not start: {_logs(tmp_path / 'logs')}"
        pids = json.loads(started)
        assert pids and all(_running(pid) for pid in pids)

        # What a timeout's os._exit or CI's kill leaves: nothing of the test process's own code runs.
        test_process.kill()
        test_process.wait()

        deadline = time.monotonic() + SECONDS_TO_END
        while any(_running(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [pid for pid in pids if _running(pid)] == []
    finally:
        test_process.kill()
        for pid in pids:  # this test leaves nothing behind either, whatever it found
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


def _running(pid: int) -> bool:
    """True while the process exists and is not a zombie (an orphan killed in a container whose first process
    reaps nobody stays one)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _logs(log_dir: Path) -> str:
    return "\n".join(f"--- {path.name}\n{path.read_text()[-2000:]}" for path in sorted(log_dir.glob("*.log")))

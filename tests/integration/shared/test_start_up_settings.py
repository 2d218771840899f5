"""Each kind of process checks its settings before it connects to anything: a wrong value stops it with exit 78
and a line naming the variable, its value and why."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


@pytest.mark.parametrize("command, process, variable, wrong, reason", [
    (["school-service", "gateway"], "gateway", "GATEWAY_LOGIN_WINDOW_PER_LOGIN", "15m",
     "must be a whole number, 1 or more"),
    (["school-service", "identity"], "identity", "IDENTITY_TOKEN_TTL_SECONDS", "-5", "must be a whole number, 1 or more"),
    (["notify-worker"], "notify-worker", "NOTIFY_WORKER_HEARTBEAT", "often", "must be a whole number, 1 or more"),
    (["school-sandbox"], "sandbox", "SANDBOX_LISTEN", "8025", "must be host:port (e.g. 127.0.0.1:8000)"),
])
def test_a_process_with_a_wrong_setting_exits_78_naming_it(command, process, variable, wrong, reason, tmp_path):
    env = {**os.environ, variable: wrong, "IDENTITY_TOKEN_SECRET": "s" * 48, "SCHOOL_VAR_DIR": str(tmp_path),
           "AMQP_URI": "amqp://guest:guest@127.0.0.1:1/"}  # nothing answers there: the check comes first

    done = subprocess.run([str(BIN / command[0]), *command[1:]], env=env, capture_output=True, text=True, timeout=60)

    assert done.returncode == 78, done.stderr
    assert f"{process}: not starting, the environment is wrong" in done.stderr
    assert f"{variable}='{wrong}': {reason}" in done.stderr

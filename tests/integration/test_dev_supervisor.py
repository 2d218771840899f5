"""`make run`'s supervisor on small real processes: a crashed process is started again after its backoff and
the log says so; one that keeps crashing is given up on with a clear message; one that ends while the stack
is starting fails the start, quoting its last lines; stop() ends every process."""
import io
import os
import re
import signal
import sys
import time

import pytest

from schoolctl.restart_policy import RestartPolicy
from schoolctl.supervisor import ProcfileEntry, Supervisor, read_procfile

FAST = RestartPolicy(first_delay=0.2, max_delay=1, give_up_after=3, stable_after=30)
SLEEPER = f"{sys.executable} -c 'import time; print(\"up\", flush=True); time.sleep(600)'"
CRASHER = f"{sys.executable} -c 'import sys; print(\"no database here\", flush=True); sys.exit(3)'"


def supervisor(tmp_path, **entries) -> tuple[Supervisor, io.StringIO]:
    out = io.StringIO()
    procfile = tmp_path / "Procfile"
    procfile.write_text("".join(f"{name}: {command}\n" for name, command in entries.items()))
    return Supervisor(read_procfile(procfile), env=dict(os.environ), cwd=tmp_path, policy=FAST, out=out,
                      poll_seconds=0.05), out


def wait_for(condition, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_a_killed_process_is_started_again_after_its_backoff_and_the_log_names_it(tmp_path):
    stack, out = supervisor(tmp_path, worker=SLEEPER, other=SLEEPER)
    stack.start()
    try:
        wait_for(lambda: len(stack.pids()) == 2)
        stack.started()
        killed = stack.pids()["worker"]

        os.kill(killed, signal.SIGKILL)

        wait_for(lambda: stack.pids().get("worker") not in (None, killed))
        log = out.getvalue()
        assert (f"worker (pid {killed}) ended: killed by SIGKILL; starting it again in 0.2 s "
                "(crash 1 in a row; giving up at 3)") in log
        assert f"worker started (pid {stack.pids()['worker']})" in log
        assert stack.failure is None
    finally:
        stack.stop()
    assert stack.pids() == {}


def test_a_process_that_keeps_crashing_backs_off_then_is_given_up_on(tmp_path):
    stack, out = supervisor(tmp_path, crasher=CRASHER, other=SLEEPER)
    stack.started()  # as after the banner: crashes are restarted, not a failed start
    started = time.monotonic()
    stack.start()
    try:
        assert stack.wait(timeout=15)
        took = time.monotonic() - started
    finally:
        stack.stop()

    log = out.getvalue()
    assert "ended: exit status 3; starting it again in 0.2 s (crash 1 in a row; giving up at 3)" in log
    assert "ended: exit status 3; starting it again in 0.4 s (crash 2 in a row; giving up at 3)" in log
    assert re.search(r"crasher +\| no database here", log)
    assert stack.failure.startswith("crasher (pid ")
    assert stack.failure.endswith("ended: exit status 3; it crashed 3 times in a row, none of its runs lasting "
                                  "30 s: giving up on it")
    assert took >= 0.6  # both backoffs were waited
    assert stack.pids() == {}


def test_a_process_that_ends_while_the_stack_starts_fails_the_start_quoting_its_last_lines(tmp_path):
    stack, out = supervisor(tmp_path, crasher=CRASHER, other=SLEEPER)
    stack.start()
    try:
        assert stack.wait(timeout=15)
    finally:
        stack.stop()

    assert "starting it again" not in out.getvalue()
    assert stack.failure.startswith("crasher (pid ")
    assert "ended while the stack was starting: exit status 3. Its last lines:\n    no database here" in stack.failure


def test_each_process_gets_a_port_of_its_own_in_procfile_order(tmp_path):
    show_port = f"{sys.executable} -c 'import os, time; print(\"port\", os.environ[\"PORT\"], flush=True); time.sleep(600)'"
    stack, out = supervisor(tmp_path, first=show_port, second=show_port)
    stack.start()
    try:
        wait_for(lambda: out.getvalue().count("| port") == 2)
    finally:
        stack.stop()

    assert re.search(r"first +\| port 5000", out.getvalue())
    assert re.search(r"second +\| port 5100", out.getvalue())


def test_a_procfile_line_without_a_command_is_refused(tmp_path):
    (tmp_path / "Procfile").write_text("web: school-service gateway\nworker:\n")

    with pytest.raises(ValueError, match="Procfile line 2: expected `name: command`"):
        read_procfile(tmp_path / "Procfile")


def test_the_project_procfile_reads():
    from shared.config import PROJECT_ROOT

    names = [entry.name for entry in read_procfile(PROJECT_ROOT / "Procfile")]

    assert names[:2] == ["identity", "directory"] and "notify-worker-2" in names
    assert ProcfileEntry("sandbox", "school-sandbox") in read_procfile(PROJECT_ROOT / "Procfile")

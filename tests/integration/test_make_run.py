"""`make run` (schoolctl dev run): it explains a missing broker, and Ctrl-C or SIGTERM stops every process."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from schoolctl.main import app

SCHOOLCTL = str(Path(sys.executable).parent / "schoolctl")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_without_a_broker_it_says_how_to_start_one_and_exits_69(monkeypatch):
    monkeypatch.setenv("AMQP_URI", f"amqp://guest:guest@127.0.0.1:{free_port()}/")

    result = CliRunner().invoke(app, ["dev", "run"])

    assert result.exit_code == 69
    assert "RabbitMQ is not answering" in result.output
    assert "rabbitmq-server -detached" in result.output


@pytest.mark.e2e
@pytest.mark.parametrize("stop_with", [signal.SIGINT, signal.SIGTERM])
def test_stack_comes_up_with_the_demo_district_and_stops_on_a_signal(stop_with, rabbit_config, tmp_path):
    port = free_port()
    env = {**os.environ, "AMQP_URI": rabbit_config["AMQP_URI"], "GATEWAY_ADDRESS": f"127.0.0.1:{port}",
           "SCHOOL_VAR_DIR": str(tmp_path / "var")}
    for service in ("identity", "directory", "notify", "rostering"):
        env.pop(f"{service.upper()}_DATABASE_URL", None)
    log = open(tmp_path / "run.log", "w")
    process = subprocess.Popen([SCHOOLCTL, "dev", "run"], env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while "platform is running" not in (tmp_path / "run.log").read_text():
            assert process.poll() is None, (tmp_path / "run.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "run.log").read_text()
            time.sleep(0.5)
        banner = (tmp_path / "run.log").read_text()
        assert "admin@demo-district.example.org" in banner
        assert requests.get(f"http://127.0.0.1:{port}/health", timeout=5).json() == {"status": "ok"}
        assert sorted(p.name for p in (tmp_path / "var").glob("*.db")) == [
            "directory.db", "identity.db", "notify.db", "rostering.db"]

        process.send_signal(stop_with)
        process.wait(timeout=60)
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/health", timeout=2)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

"""`make run` (schoolctl dev run): it explains a missing broker, refuses a taken port and a process that dies at
start (non-zero, naming it), brings up every process (services, gateway, provider sandbox, two notify workers)
with the demo district, starts a killed process again with backoff, and Ctrl-C or SIGTERM stops every process."""
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from schoolctl.dev import provider_environment
from schoolctl.main import app
from services.notify.adapters.providers.deepl_translator import translation_settings_from_env
from services.notify.adapters.providers.settings import providers_from_env
from services.notify.domain.delivery import Channel
from services.notify.queue.topology import work_queue
from services.sandbox.client import SandboxClient
from services.sandbox.config import config_from
from services.sandbox.signing import public_key_base64, signing_key
from shared.testing.ports import free_port

SCHOOLCTL = str(Path(sys.executable).parent / "schoolctl")


def test_without_a_broker_it_says_how_to_start_one_and_exits_69(monkeypatch):
    monkeypatch.setenv("AMQP_URI", f"amqp://guest:guest@127.0.0.1:{free_port()}/")

    result = CliRunner().invoke(app, ["dev", "run"])

    assert result.exit_code == 69
    assert "RabbitMQ is not answering" in result.output
    assert "rabbitmq-server -detached" in result.output


def test_a_taken_gateway_port_stops_the_run_before_anything_starts_naming_it(rabbit_config, monkeypatch, tmp_path):
    monkeypatch.setenv("AMQP_URI", rabbit_config["AMQP_URI"])
    monkeypatch.setenv("SCHOOL_VAR_DIR", str(tmp_path / "var"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"

        result = CliRunner().invoke(app, ["dev", "run", "--gateway-address", address,
                                          "--sandbox-address", f"127.0.0.1:{free_port()}"])

    assert result.exit_code == 69
    assert (f"the gateway cannot listen on {address}: Address already in use (choose another with "
            "--gateway-address or GATEWAY_ADDRESS)") in result.output
    assert "Is another `make run` running?" in result.output
    assert not (tmp_path / "var").exists()  # nothing migrated, nothing started


def test_a_wrong_setting_stops_the_run_naming_it(monkeypatch, rabbit_config):
    monkeypatch.setenv("AMQP_URI", rabbit_config["AMQP_URI"])
    monkeypatch.setenv("NOTIFY_WORKER_PREFETCH", "lots")

    result = CliRunner().invoke(app, ["dev", "run", "--gateway-address", f"127.0.0.1:{free_port()}",
                                      "--sandbox-address", f"127.0.0.1:{free_port()}"])

    assert result.exit_code == 78
    assert "NOTIFY_WORKER_PREFETCH='lots': must be a whole number, 1 or more" in result.output


def test_the_provider_environment_points_notify_at_the_sandbox_and_the_sandbox_at_the_gateway():
    env = provider_environment(gateway_url="http://127.0.0.1:8000", sandbox_address="127.0.0.1:8025")

    providers = providers_from_env(env)
    sandbox = config_from([], env)
    assert providers.twilio.api_base == providers.sendgrid.api_base == "http://127.0.0.1:8025"
    assert (sandbox.host, sandbox.port) == ("127.0.0.1", 8025)
    assert (providers.twilio.account_sid, providers.twilio.auth_token) == (sandbox.twilio_account_sid,
                                                                           sandbox.twilio_auth_token)
    assert providers.sendgrid.api_key == sandbox.sendgrid_api_key
    # The sandbox signs SendGrid events with the private half of the key notify verifies with.
    assert public_key_base64(signing_key(sandbox.sendgrid_signing_key_pem)) == providers.sendgrid.webhook_public_key
    assert sandbox.sendgrid_events_url == "http://127.0.0.1:8000/webhooks/sendgrid/events"
    assert sandbox.twilio_inbound_url == "http://127.0.0.1:8000/webhooks/twilio/inbound"
    assert providers.webhook_base_url == "http://127.0.0.1:8000"
    translation = translation_settings_from_env(env)
    assert (translation.server_url, translation.auth_key) == ("http://127.0.0.1:8025", sandbox.deepl_auth_key)


def test_each_run_signs_sendgrid_events_with_a_key_of_its_own():
    first, second = (provider_environment(gateway_url="http://gw", sandbox_address="127.0.0.1:1")
                     for _ in range(2))

    assert first["SENDGRID_WEBHOOK_PUBLIC_KEY"] != second["SENDGRID_WEBHOOK_PUBLIC_KEY"]


def consumers_of(rabbit_manager, vhost: str, queue: str) -> int:
    try:
        return rabbit_manager.get_queue(vhost, queue).get("consumers", 0)
    except requests.HTTPError:  # not declared yet: no worker has connected
        return 0


@pytest.mark.e2e
@pytest.mark.parametrize("stop_with", [signal.SIGINT, signal.SIGTERM])
def test_stack_comes_up_with_the_demo_district_and_stops_on_a_signal(stop_with, rabbit_config, rabbit_manager,
                                                                     tmp_path):
    port, sandbox_port = free_port(), free_port()
    env = {**os.environ, "AMQP_URI": rabbit_config["AMQP_URI"], "GATEWAY_ADDRESS": f"127.0.0.1:{port}",
           "SANDBOX_LISTEN": f"127.0.0.1:{sandbox_port}", "SCHOOL_VAR_DIR": str(tmp_path / "var")}
    for service in ("identity", "directory", "notify", "rostering"):
        env.pop(f"{service.upper()}_DATABASE_URL", None)
    log = open(tmp_path / "run.log", "w")
    process = subprocess.Popen([SCHOOLCTL, "dev", "run"], env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        # The banner is printed a line at a time: wait for its last line, not its first.
        while "guardian, joined" not in (tmp_path / "run.log").read_text():
            assert process.poll() is None, (tmp_path / "run.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "run.log").read_text()
            time.sleep(0.5)
        banner = (tmp_path / "run.log").read_text()
        assert "admin@demo-district.example.org" in banner
        assert "parent@demo-district.example.org / demo-parent-2026" in banner
        assert "enabled students: 5 at Roosevelt Middle School" in banner
        assert f"http://127.0.0.1:{sandbox_port}/sandbox/messages" in banner
        assert requests.get(f"http://127.0.0.1:{port}/health", timeout=5).json() == {"status": "ok"}
        with SandboxClient(f"http://127.0.0.1:{sandbox_port}") as sandbox:
            assert sandbox.health()
        deadline = time.monotonic() + 30
        while consumers_of(rabbit_manager, rabbit_config["vhost"], work_queue(Channel.SMS)) < 2:
            assert time.monotonic() < deadline, "two notify workers are not consuming the delivery queue"
            time.sleep(0.5)
        assert sorted(p.name for p in (tmp_path / "var").glob("*.db")) == [
            "directory.db", "identity.db", "notify.db", "rostering.db"]

        # One more worker, the way the banner says: no settings copied, only where the stack runs from.
        assert "make add-worker" in banner
        extra = subprocess.Popen([SCHOOLCTL, "dev", "add-worker"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, env={**clean_environment(), "SCHOOL_VAR_DIR": env[
                                     "SCHOOL_VAR_DIR"]})
        try:
            deadline = time.monotonic() + 30
            while consumers_of(rabbit_manager, rabbit_config["vhost"], work_queue(Channel.SMS)) < 3:
                assert extra.poll() is None, "the added worker stopped"
                assert time.monotonic() < deadline, "the added worker is not consuming the SMS queue"
                time.sleep(0.5)
        finally:
            extra.terminate()
            assert extra.wait(timeout=30) == 0

        # A worker killed under the running stack is started again after its backoff, and the log says so.
        killed = int(re.search(r"notify-worker-1 started \(pid (\d+)\)", banner).group(1))
        os.kill(killed, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while not (restarted := re.findall(r"notify-worker-1 started \(pid (\d+)\)", read(tmp_path)))[1:]:
            assert time.monotonic() < deadline, read(tmp_path)
            time.sleep(0.5)
        assert (f"notify-worker-1 (pid {killed}) ended: killed by SIGKILL; starting it again in 1 s "
                "(crash 1 in a row; giving up at 5)") in read(tmp_path)
        assert int(restarted[-1]) != killed
        while consumers_of(rabbit_manager, rabbit_config["vhost"], work_queue(Channel.SMS)) < 2:
            assert time.monotonic() < deadline, "the restarted worker is not consuming the SMS queue"
            time.sleep(0.5)

        process.send_signal(stop_with)
        process.wait(timeout=60)
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/health", timeout=2)
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{sandbox_port}/sandbox/health", timeout=2)
        assert processes_of_run(env["SCHOOL_VAR_DIR"]) == []
    finally:
        stop_run(process, env["SCHOOL_VAR_DIR"])


@pytest.mark.e2e
def test_a_process_that_dies_at_start_fails_the_run_naming_it_and_stops_the_rest(rabbit_config, tmp_path):
    env = {**os.environ, "AMQP_URI": rabbit_config["AMQP_URI"], "GATEWAY_ADDRESS": f"127.0.0.1:{free_port()}",
           "SANDBOX_LISTEN": f"127.0.0.1:{free_port()}", "SCHOOL_VAR_DIR": str(tmp_path / "var"),
           "NOTIFY_PROVIDER_FACTORY": "no_such_module:channels"}
    for service in ("identity", "directory", "notify", "rostering"):
        env.pop(f"{service.upper()}_DATABASE_URL", None)
    process = subprocess.Popen([SCHOOLCTL, "dev", "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=180)
    finally:
        stop_run(process, env["SCHOOL_VAR_DIR"])

    assert process.returncode == 1, output
    assert re.search(r"the stack did not come up: notify-worker-\d \(pid \d+\) ended while the stack was "
                     r"starting: exit status 1\. Its last lines:", output), output
    assert "No module named 'no_such_module'" in output
    assert "platform is running" not in output
    assert processes_of_run(env["SCHOOL_VAR_DIR"]) == []


def read(tmp_path) -> str:
    return (tmp_path / "run.log").read_text()


def clean_environment() -> dict[str, str]:
    """This shell's environment without anything `make run` sets up for its own processes."""
    return {name: value for name, value in os.environ.items()
            if not name.startswith(("TWILIO_", "SENDGRID_", "FCM_", "NOTIFY_", "AMQP_"))}


def processes_of_run(var_dir: str) -> list[int]:
    """Every live process started for this run: the supervisor gives each child a session of its own,
    so they are found by the environment they inherited, not by process group."""
    marker = f"SCHOOL_VAR_DIR={var_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def stop_run(process: subprocess.Popen, var_dir: str) -> None:
    """Stop a run a failed test left behind, so no stack outlives the test."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # the graceful path stops the whole stack
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    for pid in processes_of_run(var_dir):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

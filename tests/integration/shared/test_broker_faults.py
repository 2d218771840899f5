"""A broker that refuses a process's credentials is named at start, at once; an unreachable one is tried again."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from shared.broker_faults import BROKER_REFUSED_CREDENTIALS, BROKER_UNREACHABLE, BrokerFault, check_broker
from shared.metrics import DEPENDENCY_FAILURES

WRONG_PASSWORD = "not-the-password"


def with_wrong_password(amqp_uri: str) -> str:
    scheme, rest = amqp_uri.split("://", 1)
    credentials, host = rest.split("@", 1)
    return f"{scheme}://{credentials.split(':')[0]}:{WRONG_PASSWORD}@{host}"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def counted(failure: str) -> float:
    return DEPENDENCY_FAILURES.labels("notify", "broker", failure)._value.get()


def test_a_broker_that_takes_the_login_lets_the_process_start(rabbit_config):
    check_broker(rabbit_config["AMQP_URI"], service="notify", sleep=pytest.fail)


def test_refused_credentials_are_named_at_once_with_the_user_and_never_the_password(rabbit_config, caplog):
    before = counted(BROKER_REFUSED_CREDENTIALS)

    with pytest.raises(BrokerFault) as fault:
        check_broker(with_wrong_password(rabbit_config["AMQP_URI"]), service="notify", sleep=pytest.fail)

    assert fault.value.failure == BROKER_REFUSED_CREDENTIALS
    assert "refused the login of user 'guest'" in str(fault.value) and "ACCESS_REFUSED" in str(fault.value)
    assert WRONG_PASSWORD not in str(fault.value) and WRONG_PASSWORD not in caplog.text
    assert counted(BROKER_REFUSED_CREDENTIALS) == before + 1


def test_an_unreachable_broker_is_tried_again_with_backoff_then_named():
    pauses: list[float] = []
    before = counted(BROKER_UNREACHABLE)

    with pytest.raises(BrokerFault) as fault:
        check_broker(f"amqp://guest:guest@127.0.0.1:{closed_port()}/", service="notify", pauses=(0.5, 1.0),
                     sleep=pauses.append)

    assert fault.value.failure == BROKER_UNREACHABLE and "did not answer in 3 tries" in str(fault.value)
    assert pauses == [0.5, 1.0]
    assert counted(BROKER_UNREACHABLE) == before + 3


def test_a_service_started_with_refused_credentials_exits_78_with_one_named_line_not_tracebacks(rabbit_config,
                                                                                                 tmp_path):
    environment = {**os.environ, "AMQP_URI": with_wrong_password(rabbit_config["AMQP_URI"]),
                   "NOTIFY_DATABASE_URL": f"sqlite:///{tmp_path / 'notify.db'}", "METRICS_ADDRESS": "", "PORT": ""}

    finished = subprocess.run([sys.executable, "-m", "shared.runner", "notify"], env=environment, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)

    output = finished.stdout + finished.stderr
    assert finished.returncode == 78, output
    assert BROKER_REFUSED_CREDENTIALS in output and "Traceback" not in output
    assert WRONG_PASSWORD not in output

"""The bench refuses to start, naming the command that fixes it, when an endpoint it needs is down."""
from __future__ import annotations

import socket

import pytest

from bench import preflight


@pytest.fixture
def listening_port():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


@pytest.fixture
def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def postgres_answers(monkeypatch):
    class Connection:
        def close(self):
            pass

    monkeypatch.setattr(preflight.psycopg2, "connect", lambda *args, **kwargs: Connection())


@pytest.fixture
def broker_answers(monkeypatch):
    monkeypatch.setattr(preflight, "broker_answers", lambda uri: True)


def test_nothing_to_report_when_the_broker_and_its_management_api_answer(monkeypatch, listening_port,
                                                                         broker_answers, postgres_answers):
    monkeypatch.setattr(preflight, "RABBIT_API", f"http://guest:secret@127.0.0.1:{listening_port}")
    assert preflight.problems() == []


def test_a_management_plugin_that_is_off_is_named_with_the_command_that_enables_it(
        monkeypatch, closed_port, broker_answers, postgres_answers):
    monkeypatch.setattr(preflight, "RABBIT_API", f"http://guest:secret@127.0.0.1:{closed_port}")
    [problem] = preflight.problems()
    assert "management API" in problem and "rabbitmq-plugins enable rabbitmq_management" in problem
    assert "secret" not in problem


def test_every_endpoint_that_does_not_answer_is_reported(monkeypatch, closed_port):
    monkeypatch.setattr(preflight, "AMQP_URI", f"amqp://guest:guest@127.0.0.1:{closed_port}/")
    monkeypatch.setattr(preflight, "RABBIT_API", f"http://guest:guest@127.0.0.1:{closed_port}")
    monkeypatch.setattr(preflight, "PG_DSN", f"host=127.0.0.1 port={closed_port} user=postgres dbname=postgres")
    found = preflight.problems()
    assert len(found) == 3
    assert "rabbitmq-server -detached" in found[0]
    assert "rabbitmq_management" in found[1]
    assert found[2].startswith("PostgreSQL is not answering") and "pg_ctlcluster" in found[2]

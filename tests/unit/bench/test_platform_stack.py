"""The bench's view of the running platform, without one: process names, CPU per item, the operator's renewed token."""
from __future__ import annotations

from contextlib import contextmanager
from types import SimpleNamespace

import pytest

from bench import platform_stack
from bench.platform_stack import cpu_per_item, cpu_spent, describe_cpu, operator_rpc, process_kind
from shared.contracts import rostering


def test_notify_workers_count_as_one_kind_and_names_become_metric_prefixes():
    assert [process_kind(name) for name in ("notify-worker-2", "bench-worker-1", "directory", "gateway")] == [
        "notify_worker", "notify_worker", "directory", "gateway"]


def test_cpu_per_item_names_the_busiest_process_first_and_leaves_out_the_idle():
    assert cpu_per_item({"gateway": 1.0, "directory": 2.0}, {"gateway": 1.3, "directory": 2.6, "sandbox": 0.0001},
                        100) == "directory 6.0 ms, gateway 3.0 ms"


def test_a_runs_cpu_is_each_process_since_the_first_reading_totalled_busiest_first():
    spent = cpu_spent({"rostering": 1.0, "directory": 2.0}, {"rostering": 4.0, "directory": 7.5, "bench": 0.02})
    assert spent == pytest.approx({"rostering": 3.0, "directory": 5.5, "bench": 0.02})
    assert describe_cpu(spent) == "8.5 s CPU (directory 5.5, rostering 3.0)"


def test_the_operators_token_is_renewed_before_identity_lets_it_expire(monkeypatch):
    clock, opened = [0.0], []

    @contextmanager
    def fake_cluster_rpc(uri, timeout, credential):
        opened.append(credential)
        yield lambda contract: (contract.name, credential)

    tokens = iter(f"token-{n}" for n in range(1, 10))
    platform = SimpleNamespace(vhost_uri="amqp://scratch", stack=SimpleNamespace(operator_token=lambda: next(tokens)))
    monkeypatch.setattr(platform_stack, "cluster_rpc", fake_cluster_rpc)
    monkeypatch.setattr(platform_stack.time, "monotonic", lambda: clock[0])

    with operator_rpc(platform, rostering.contract, timeout=60) as service:
        first = service()
        clock[0] = platform_stack.OPERATOR_TOKEN_RENEW_SECONDS - 1
        assert service() == first == ("rostering", "token-1")
        clock[0] = platform_stack.OPERATOR_TOKEN_RENEW_SECONDS
        assert service() == ("rostering", "token-2")
    assert opened == ["token-1", "token-2"]

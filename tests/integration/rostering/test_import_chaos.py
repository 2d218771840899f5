"""Faults survived mid-import, with figures: the rostering service in a real container, the directory and
identity stand-ins answering its pages, a run held inside a page of enrollments while

(d) the broker closes every connection of the test's vhost: rostering consumes again within 30 s, and the run
    ends (completed, or failed with its reason, never left running); nothing is lost;
(d) PostgreSQL terminates every connection rostering holds: the same.

"Nothing lost" is the platform's own count: a full import of the same package afterwards sends every row
again, and the owning services find none of them new.
"""
from __future__ import annotations

import time
import uuid

import pytest
from nameko.exceptions import RpcTimeout
from run_waiting import ended, imported

from shared.contracts import rostering
from shared.messaging import cluster_rpc
from shared.testing.faults import close_vhost_connections, terminate_backends, with_application_name

pytestmark = [pytest.mark.chaos, pytest.mark.postgres]

RESUME_BOUND_SECONDS = 30.0
APPLICATION_NAME = f"chaos-rostering-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def rostering_database_url(migrated_pg_url):
    """rostering's connections name themselves, so the test terminates only those."""
    return with_application_name(migrated_pg_url("rostering"), APPLICATION_NAME)


def answering_after(amqp_uri: str, started: float) -> float:
    """Seconds from `started` until rostering answers an RPC again, on a connection opened after the fault."""
    deadline = started + RESUME_BOUND_SECONDS
    while time.monotonic() < deadline:
        try:
            with cluster_rpc(amqp_uri, timeout=2) as rpc:
                rpc(rostering.contract).list_sync_runs({})
            return time.monotonic() - started
        except (RpcTimeout, OSError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError(f"rostering did not answer within {RESUME_BOUND_SECONDS} s of the fault")


def held_then_faulted(amqp_uri: str, recorder, package, fault) -> tuple[dict, float, str]:
    """Start an import, hold it inside its enrollments, inject `fault`, let it go; the run once it ended."""
    recorder.hold("upsert_enrollments")
    with cluster_rpc(amqp_uri, timeout=60) as rpc:
        run_id = rpc(rostering.contract).import_package({"path": str(package)})["run_id"]
    deadline = time.monotonic() + 30
    while not recorder.calls_to("upsert_enrollments"):
        assert time.monotonic() < deadline, "the import never reached its enrollments"
        time.sleep(0.05)
    detail = fault()
    faulted = time.monotonic()
    recorder.release()
    resumed = answering_after(amqp_uri, faulted)
    with cluster_rpc(amqp_uri, timeout=60) as rpc:
        run = ended(rpc(rostering.contract), run_id)
    return run, resumed, detail


def lost_after(amqp_uri: str, package, run: dict) -> int:
    """Rows a full import finds new: what the faulted run (and one plain retry if it failed) lost."""
    with cluster_rpc(amqp_uri, timeout=60) as rpc:
        proxy = rpc(rostering.contract)
        if run["state"] == "failed":
            assert imported(proxy, {"path": str(package)})["state"] == "completed"
        full = imported(proxy, {"path": str(package), "full": True})
    assert full["state"] == "completed", full["message"]
    return sum(counts["created"] for counts in full["counts"].values())


def test_broker_connections_closed_mid_import_rostering_answers_again_and_nothing_is_lost(
        rostering_config, rabbit_manager, running_services, recorder, package, chaos_figures):
    amqp_uri, vhost = rostering_config["AMQP_URI"], rostering_config["vhost"]

    run, resumed, closed = held_then_faulted(
        amqp_uri, recorder, package,
        # rostering and the stand-ins each hold at least one connection
        lambda: f"{len(close_vhost_connections(rabbit_manager, vhost, at_least=len(running_services)))} connections")
    lost = lost_after(amqp_uri, package, run)

    chaos_figures(f"closed {closed} of the vhost mid-import; rostering answering again after {resumed:.1f} s "
                  f"(bound {RESUME_BOUND_SECONDS:.0f} s); the run ended {run['state']}"
                  f"{': ' + run['message'] if run['state'] == 'failed' else ''}; lost {lost}")
    assert run["state"] in ("completed", "failed")
    assert lost == 0


def test_database_backends_terminated_mid_import_the_run_ends_cleanly_and_nothing_is_lost(
        rostering_config, running_services, recorder, package, chaos_figures):
    amqp_uri = rostering_config["AMQP_URI"]
    admin_url = rostering_config["DATABASES"]["rostering"]

    run, resumed, terminated = held_then_faulted(
        amqp_uri, recorder, package, lambda: f"{terminate_backends(admin_url, APPLICATION_NAME)} backends")
    lost = lost_after(amqp_uri, package, run)

    chaos_figures(f"terminated {terminated} of rostering mid-import; answering after {resumed:.1f} s; the run "
                  f"ended {run['state']}{': ' + run['message'] if run['state'] == 'failed' else ''}; lost {lost}")
    assert run["state"] in ("completed", "failed")
    assert lost == 0

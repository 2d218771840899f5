"""Sync runs through the gateway: only the caller's district's runs exist, and the caller decides as themselves."""
from unittest.mock import Mock

import pytest

from services.gateway import rostering_handlers as handlers
from services.gateway.api import ApiCall, Backends
from shared.contracts import identity
from shared.contracts.errors import NotFound

from gateway_builders import make_principal


def backends_with_run(district_id: str = "d1") -> Backends:
    backends = Backends(identity=Mock(), directory=Mock(), rostering=Mock(name="rostering"))
    backends.rostering.get_sync_run.return_value = {"run_id": "r1", "district_id": district_id,
                                                    "state": "awaiting_approval"}
    backends.rostering.follow_sync_run.return_value = {"run_id": "r1", "district_id": district_id,
                                                       "state": "awaiting_approval", "error_count": 0}
    return backends


def admin() -> dict:
    return make_principal(identity.DISTRICT_ADMIN, person_id="boss", district_id="d1")


def test_runs_are_listed_for_the_callers_district_only_page_by_page():
    backends = backends_with_run()
    backends.rostering.list_sync_runs.return_value = {"runs": [{"run_id": "r3"}, {"run_id": "r2"}, {"run_id": "r1"}]}

    listed = handlers.list_sync_runs(ApiCall(admin(), query={"state": "awaiting_approval", "page": 2, "per_page": 2}),
                                     backends)

    backends.rostering.list_sync_runs.assert_called_once_with(
        {"state": "awaiting_approval", "limit": handlers.LATEST_RUNS, "district_id": "d1"})
    assert listed == {"items": [{"run_id": "r1"}], "total": 3, "page": 2, "per_page": 2}


def test_a_run_of_another_district_does_not_exist_for_the_caller():
    backends = backends_with_run(district_id="d2")
    for handler in (handlers.show_sync_run, handlers.approve_sync_run, handlers.reject_sync_run,
                    handlers.list_sync_run_changes, handlers.follow_sync_run):
        with pytest.raises(NotFound):
            handler(ApiCall(admin(), path={"id": "r1"}, body={}, query={}), backends)
    backends.rostering.approve_sync_run.assert_not_called()
    backends.rostering.reject_sync_run.assert_not_called()


def test_the_caller_approves_and_rejects_as_themselves_never_as_the_body_says():
    backends = backends_with_run()
    handlers.approve_sync_run(ApiCall(admin(), path={"id": "r1"}), backends)
    handlers.reject_sync_run(ApiCall(admin(), path={"id": "r1"}, body={"reason": "cut short"}), backends)

    backends.rostering.approve_sync_run.assert_called_once_with({"run_id": "r1", "decided_by": "boss",
                                                                 "reason": None})
    backends.rostering.reject_sync_run.assert_called_once_with({"run_id": "r1", "decided_by": "boss",
                                                                "reason": "cut short"})


def test_following_a_run_asks_rostering_for_it_without_findings_and_says_when_to_ask_again():
    backends = backends_with_run()
    backends.rostering.follow_sync_run.return_value = {
        "run_id": "r1", "district_id": "d1", "state": "running", "error_count": 3, "warning_count": 0}

    followed = handlers.follow_sync_run(ApiCall(admin(), path={"id": "r1"}), backends)

    backends.rostering.follow_sync_run.assert_called_once_with({"run_id": "r1"})
    backends.rostering.get_sync_run.assert_not_called()
    assert (followed["error_count"], followed["warning_count"]) == (3, 0)
    assert followed["poll_after_seconds"] == handlers.POLL_AFTER_SECONDS
    backends.rostering.follow_sync_run.return_value = {**followed, "state": "completed"}
    assert handlers.follow_sync_run(ApiCall(admin(), path={"id": "r1"}), backends)["poll_after_seconds"] is None

"""issue_join_tokens over RPC, on a real broker and PostgreSQL."""
from __future__ import annotations

import pytest
from nameko.testing.services import entrypoint_waiter

from shared.contracts import identity

pytestmark = pytest.mark.postgres


def test_invitations_are_issued_to_invitees_and_announced(identity_rpc, identity_events, sync,
                                                           make_account_input, join):
    sync(make_account_input(person_id="guardian-1", email="g1@example.org", mobile_phone=None),
         make_account_input(person_id="guardian-2", email="g2@example.org", mobile_phone=None))
    join("g2@example.org")

    with entrypoint_waiter(identity_events, "on_join_tokens_issued") as issued:
        results = identity_rpc.issue_join_tokens({"person_ids": ["guardian-1", "guardian-2", "ghost"],
                                                  "issued_by": "admin-1"})["results"]

    by_person = {result["person_id"]: result for result in results}
    assert [by_person[p]["outcome"] for p in ("guardian-1", "guardian-2", "ghost")] == [
        "issued", "joined", "not_found"]
    assert by_person["guardian-1"]["token"] and by_person["guardian-1"]["join_code"]
    assert by_person["guardian-2"]["token"] is None
    event = identity.JOIN_TOKENS_ISSUED.load(issued.get())
    assert event["person_ids"] == ["guardian-1"]


def test_a_full_page_of_people_is_answered_in_one_call(identity_rpc, sync, make_account_input):
    sync(*(make_account_input(person_id=f"guardian-{i}", email=f"g{i}@example.org", mobile_phone=None)
           for i in range(50)))
    person_ids = [f"guardian-{i}" for i in range(5000)]

    results = identity_rpc.issue_join_tokens({"person_ids": person_ids, "issued_by": "admin-1"})["results"]

    assert [r["person_id"] for r in results] == person_ids
    assert sum(r["outcome"] == "issued" for r in results) == 50
    assert len({r["join_code"] for r in results if r["join_code"]}) == 50

"""Over RPC: a joined account's email or mobile phone is never handed to another account."""
from __future__ import annotations

import pytest
from nameko.testing.services import entrypoint_waiter

from shared.contracts.errors import Conflict

pytestmark = pytest.mark.postgres

IN_USE = "This email and phone can't be used at the same time"


def test_a_sync_saves_a_row_without_the_credential_of_a_joined_account_and_reports_the_field(
        identity_rpc, identity_events, sync, join, make_account_input):
    sync(make_account_input(person_id="owner", email="owner@example.org", mobile_phone="(415) 555-0123"),
         make_account_input(person_id="spouse", email="spouse@example.org", mobile_phone="(415) 555-0123"))
    join("owner@example.org")

    with entrypoint_waiter(identity_events, "on_accounts_upserted") as published:
        results = sync(make_account_input(person_id="newcomer", email="Owner@example.org",
                                          mobile_phone="415 555 0123", given_name="Nia"),
                       make_account_input(person_id="spouse", email="spouse@example.org",
                                          mobile_phone="(415) 555-0123"))

    assert results == [
        {"key": "newcomer", "id": "newcomer", "outcome": "created", "problems": [
            {"field": "email",
             "reason": f"{IN_USE}: owner@example.org already belongs to another account that has joined"},
            {"field": "mobile_phone",
             "reason": f"{IN_USE}: +14155550123 already belongs to another account that has joined"}]},
        # The spouse shared the phone before the owner joined, and keeps it.
        {"key": "spouse", "id": "spouse", "outcome": "unchanged", "problems": []}]
    assert [(a["person_id"], a["given_name"], a["email"], a["mobile_phone"])
            for a in published.get()["accounts"]] == [("newcomer", "Nia", None, None)]
    [spouse] = identity_rpc.get_accounts({"person_ids": ["spouse"]})["accounts"]
    assert spouse["credentials"][1] == {"kind": "mobile_phone", "value": "+14155550123", "shared": True}


def test_without_the_district_setting_a_sync_leaves_joined_accounts_contact_details_alone(
        identity_rpc, sync, join, make_account_input):
    sync(make_account_input(person_id="owner"), make_account_input(person_id="invitee", email="i@example.org",
                                                                   mobile_phone=None))
    join("dana.rivera@example.org")

    results = sync(make_account_input(person_id="owner", email="changed@example.org", mobile_phone=None,
                                      home_phone=None),
                   make_account_input(person_id="invitee", email="changed.too@example.org", mobile_phone=None),
                   update_contact_details_of_active_users=False)

    assert [(r["key"], r["outcome"], r["problems"]) for r in results] == [
        ("owner", "unchanged", []), ("invitee", "updated", [])]
    owner, invitee = identity_rpc.get_accounts({"person_ids": ["owner", "invitee"]})["accounts"]
    assert (owner["email"], owner["mobile_phone"], owner["home_phone"]) == (
        "dana.rivera@example.org", "+14155552671", "+14155550100")
    assert invitee["email"] == "changed.too@example.org"


def test_a_hand_edit_to_a_joined_accounts_credential_is_a_conflict_that_names_the_account_to_link(
        identity_rpc, sync, join, make_account_input):
    sync(make_account_input(person_id="owner", email="owner@example.org", mobile_phone=None),
         make_account_input(person_id="guardian", email="guardian@example.org", mobile_phone=None))
    join("owner@example.org")

    with pytest.raises(Conflict) as refused:
        identity_rpc.update_contact_details({"person_id": "guardian", "email": "OWNER@example.org",
                                             "changed_by": "admin-1"})

    assert str(refused.value) == IN_USE
    assert refused.value.fields == {"email": ["owner@example.org already belongs to another account that has joined"],
                                    "existing_person_id": ["owner"]}
    [guardian] = identity_rpc.get_accounts({"person_ids": ["guardian"]})["accounts"]
    assert guardian["email"] == "guardian@example.org"

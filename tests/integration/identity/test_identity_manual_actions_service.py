"""Over RPC: what directory calls when staff add and edit people by hand."""
from __future__ import annotations

import pytest
from nameko.testing.services import entrypoint_waiter
from shared.contracts.errors import InvalidRequest, NotFound

pytestmark = pytest.mark.postgres


def test_matching_credentials_lists_every_holder_and_whether_its_owner_joined(identity_rpc, sync, join,
                                                                              make_account_input):
    sync(make_account_input(person_id="owner", email="owner@example.org"),
         make_account_input(person_id="spouse", email=None))
    join("owner@example.org")

    answer = identity_rpc.match_credentials({"email": "Owner@Example.org ", "mobile_phone": "415.555.2671"})

    assert answer == {"email": "owner@example.org", "mobile_phone": "+14155552671", "holders": [
        {"person_id": "owner", "district_id": "district-1", "holds": ["email", "mobile_phone"], "joined": True,
         "status": "active"},
        {"person_id": "spouse", "district_id": "district-1", "holds": ["mobile_phone"], "joined": False,
         "status": "invitee"}]}


def test_matching_an_invalid_phone_is_refused_naming_the_field(identity_rpc):
    with pytest.raises(InvalidRequest) as refused:
        identity_rpc.match_credentials({"mobile_phone": "555-1234"})

    assert refused.value.fields == {"mobile_phone": ["not a valid phone number (read with region US)"]}


def test_a_person_added_by_hand_is_an_invitee_whose_hand_made_grants_survive_a_later_sync(
        identity_rpc, identity_events, stored, sync, make_account_input):
    [added] = sync(make_account_input(person_id="teacher-1", managed_by_sync=False,
                                      roles=[{"role": "teacher", "school_ids": ["school-1"]}]))
    with entrypoint_waiter(identity_events, "on_accounts_upserted") as published:
        granted = identity_rpc.grant_roles({"person_id": "teacher-1", "roles": [{"role": "guardian"}],
                                            "changed_by": "admin-1"})

    sync(make_account_input(person_id="teacher-1", roles=[{"role": "teacher", "school_ids": ["school-2"]}]))

    assert added["outcome"] == "created"
    both = [{"role": "teacher", "school_ids": ["school-1"]}, {"role": "guardian", "school_ids": []}]
    assert granted["roles"] == published.get()["accounts"][0]["roles"] == both
    [account] = identity_rpc.get_accounts({"person_ids": ["teacher-1"]})["accounts"]
    assert (account["status"], account["roles"]) == (
        "invitee", [{"role": "teacher", "school_ids": ["school-2"]}, {"role": "guardian", "school_ids": []}])
    [edit] = stored.edit_history("teacher-1")
    assert (edit.what, edit.changed_by, edit.current) == (
        "manual_roles", "admin-1", {"roles": [{"role": "guardian", "school_ids": []}]})


def test_granting_roles_to_an_unknown_person_is_not_found(identity_rpc):
    with pytest.raises(NotFound):
        identity_rpc.grant_roles({"person_id": "nobody", "roles": [{"role": "guardian"}], "changed_by": "admin-1"})


def test_a_hand_edit_sets_removes_and_leaves_contact_details_and_publishes_the_change(
        identity_rpc, identity_events, sync, make_account_input):
    sync(make_account_input(person_id="parent-1"))

    def the_edit(worker_ctx, result, exc_info) -> bool:
        # The sync above published too, and its event may reach the recorder after this waiter starts.
        return result["accounts"][0]["mobile_phone"] == "+447911123456"

    with entrypoint_waiter(identity_events, "on_accounts_upserted", timeout=15, callback=the_edit) as published:
        account = identity_rpc.update_contact_details({"person_id": "parent-1", "region": "GB",
                                                       "mobile_phone": "07911 123456", "home_phone": None,
                                                       "changed_by": "admin-1"})

    assert (account["email"], account["mobile_phone"], account["home_phone"]) == (
        "dana.rivera@example.org", "+447911123456", None)
    assert published.get()["accounts"][0]["mobile_phone"] == "+447911123456"


def test_a_hand_edit_with_an_invalid_email_is_refused_naming_the_field(identity_rpc, sync, make_account_input):
    sync(make_account_input(person_id="parent-1"))

    with pytest.raises(InvalidRequest) as refused:
        identity_rpc.update_contact_details({"person_id": "parent-1", "email": "dana@", "changed_by": "admin-1"})

    assert list(refused.value.fields) == ["email"]

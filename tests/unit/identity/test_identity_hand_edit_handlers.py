"""The RPCs directory calls when staff add or edit people by hand: match_credentials, grant_roles,
update_contact_details. Requests are loaded through the contract, as the service entrypoints load them."""
import pytest

from services.identity import handlers
from services.identity.domain.accounts import RoleGrant
from services.identity.domain.hand_edits import CONTACT_DETAILS, MANUAL_ROLES
from shared.contracts import identity
from shared.contracts.errors import Conflict, InvalidRequest, NotFound
from identity_builders import NOW, make_account, make_profile

IN_USE = "This email and phone can't be used at the same time"


def joined(person_id: str, **profile_overrides):
    return make_account(person_id=person_id, status="active", joined_at=NOW,
                        profile=make_profile(**profile_overrides))


def match(repo, **request):
    return handlers.match_credentials(identity.match_credentials.load_request(request), repo=repo)


def grant(repo, publish, clock, *roles, person_id="person-guardian-1"):
    request = identity.grant_roles.load_request({"person_id": person_id, "roles": list(roles),
                                                 "changed_by": "admin-1"})
    return handlers.grant_roles(request, repo=repo, publish=publish, clock=clock)


def edit(repo, publish, clock, person_id="person-guardian-1", **fields):
    request = identity.update_contact_details.load_request({"person_id": person_id, "changed_by": "admin-1",
                                                            **fields})
    return handlers.update_contact_details(request, repo=repo, publish=publish, clock=clock)


# --- match_credentials ------------------------------------------------------------------------

def test_matching_finds_every_account_holding_either_credential_in_any_district(repo):
    repo.accounts.update({
        "owner": joined("owner", email="dana.rivera@example.org", mobile_phone=None, district_id="district-2"),
        "spouse": make_account(person_id="spouse", profile=make_profile(email="spouse@example.org")),
        "both": make_account(person_id="both"),
        "stranger": make_account(person_id="stranger", profile=make_profile(email="x@example.org",
                                                                            mobile_phone="+14155550100")),
    })

    answer = match(repo, email=" Dana.Rivera@Example.org", mobile_phone="(415) 555-2671")

    assert answer == {"email": "dana.rivera@example.org", "mobile_phone": "+14155552671", "holders": [
        {"person_id": "both", "district_id": "district-1", "holds": ["email", "mobile_phone"], "joined": False,
         "status": "invitee"},
        {"person_id": "owner", "district_id": "district-2", "holds": ["email"], "joined": True, "status": "active"},
        {"person_id": "spouse", "district_id": "district-1", "holds": ["mobile_phone"], "joined": False,
         "status": "invitee"},
    ]}
    assert identity.CredentialMatches().validate(answer) == {}


def test_matching_reads_a_phone_with_the_requests_region(repo):
    repo.accounts["uk"] = make_account(person_id="uk", profile=make_profile(mobile_phone="+447911123456"))

    answer = match(repo, region="GB", mobile_phone="07911 123456")

    assert (answer["email"], answer["mobile_phone"], [h["person_id"] for h in answer["holders"]]) == (
        None, "+447911123456", ["uk"])


def test_matching_nothing_finds_nobody(repo):
    repo.accounts["a"] = make_account(person_id="a")

    assert match(repo, email=" ") == {"email": None, "mobile_phone": None, "holders": []}


def test_matching_an_invalid_credential_is_refused_naming_the_field_and_the_reason(repo):
    with pytest.raises(InvalidRequest) as refused:
        match(repo, email="dana@", mobile_phone="415 555 2671")

    assert list(refused.value.fields) == ["email"]
    assert refused.value.fields["email"][0].startswith("not a valid email address")
    assert str(refused.value).startswith("email: not a valid email address")


# --- grant_roles ------------------------------------------------------------------------------

def test_a_grant_by_hand_is_added_recorded_and_published_with_every_role_the_account_holds(repo, publish, clock):
    repo.accounts["person-guardian-1"] = make_account(profile=make_profile(roles=(RoleGrant("guardian"),)))

    account = grant(repo, publish, clock, {"role": "teacher", "school_ids": ["school-1"]})

    assert account["roles"] == [{"role": "teacher", "school_ids": ["school-1"]}, {"role": "guardian", "school_ids": []}]
    assert repo.account("person-guardian-1").manual_roles == (RoleGrant("teacher", ("school-1",)),)
    [(event, payload)] = publish.published
    assert (event, payload["accounts"][0]["roles"]) == ("accounts_upserted.v1", account["roles"])
    [recorded] = repo.edits
    assert (recorded.what, recorded.previous, recorded.current, recorded.changed_by, recorded.changed_at) == (
        MANUAL_ROLES, {"roles": []}, {"roles": [{"role": "teacher", "school_ids": ["school-1"]}]}, "admin-1", NOW)


def test_granting_a_role_the_sync_already_gives_keeps_it_by_hand_without_publishing(repo, publish, clock):
    repo.accounts["person-guardian-1"] = make_account(profile=make_profile(roles=(RoleGrant("guardian"),)))

    account = grant(repo, publish, clock, {"role": "guardian"})

    assert account["roles"] == [{"role": "guardian", "school_ids": []}]
    assert repo.account("person-guardian-1").manual_roles == (RoleGrant("guardian"),)
    assert publish.published == []


def test_granting_what_was_granted_by_hand_before_changes_and_records_nothing(repo, publish, clock):
    repo.accounts["person-guardian-1"] = make_account(manual_roles=(RoleGrant("teacher", ("school-1",)),))

    grant(repo, publish, clock, {"role": "teacher", "school_ids": ["school-1"]})

    assert (publish.published, repo.edits) == ([], [])


def test_granting_roles_to_an_unknown_person_is_not_found(repo, publish, clock):
    with pytest.raises(NotFound):
        grant(repo, publish, clock, {"role": "guardian"}, person_id="nobody")


def test_a_grant_without_roles_is_refused_by_the_contract():
    with pytest.raises(InvalidRequest) as refused:
        identity.grant_roles.load_request({"person_id": "p", "roles": [], "changed_by": "admin-1"})

    assert list(refused.value.fields) == ["roles"]


# --- update_contact_details -------------------------------------------------------------------

def test_an_edit_sets_removes_and_leaves_fields_as_asked_records_who_and_publishes(repo, publish, clock):
    repo.accounts["person-guardian-1"] = make_account(profile=make_profile(home_phone="+14155550100"))

    account = edit(repo, publish, clock, email="New@Example.org", home_phone=None)

    assert (account["email"], account["mobile_phone"], account["home_phone"]) == (
        "new@example.org", "+14155552671", None)
    [(event, payload)] = publish.published
    assert (event, payload["accounts"][0]["email"]) == ("accounts_upserted.v1", "new@example.org")
    [recorded] = repo.edits
    assert (recorded.what, recorded.previous, recorded.current) == (
        CONTACT_DETAILS,
        {"email": "dana.rivera@example.org", "mobile_phone": "+14155552671", "home_phone": "+14155550100"},
        {"email": "new@example.org", "mobile_phone": "+14155552671", "home_phone": None})


def test_an_edit_that_changes_nothing_records_and_publishes_nothing(repo, publish, clock):
    repo.accounts["person-guardian-1"] = make_account()

    edit(repo, publish, clock, email="DANA.RIVERA@example.org", mobile_phone="415-555-2671")

    assert (publish.published, repo.edits) == ([], [])


def test_an_edit_to_a_credential_of_a_joined_account_is_a_conflict_naming_the_account_to_link(repo, publish,
                                                                                             clock):
    repo.accounts.update({"person-guardian-1": make_account(),
                          "owner": joined("owner", email="owner@example.org", mobile_phone="+14155550123")})

    with pytest.raises(Conflict) as refused:
        edit(repo, publish, clock, email="owner@example.org", mobile_phone="415 555 0123")

    assert str(refused.value) == IN_USE
    assert refused.value.fields == {
        "email": ["owner@example.org already belongs to another account that has joined"],
        "mobile_phone": ["+14155550123 already belongs to another account that has joined"],
        "existing_person_id": ["owner"]}
    assert repo.account("person-guardian-1").profile.email == "dana.rivera@example.org"
    assert (publish.published, repo.edits) == ([], [])


def test_an_edit_may_share_a_credential_with_accounts_that_have_not_joined(repo, publish, clock):
    repo.accounts.update({"person-guardian-1": make_account(),
                          "spouse": make_account(person_id="spouse", profile=make_profile(email="s@example.org"))})

    account = edit(repo, publish, clock, email="s@example.org")

    assert account["credentials"][0] == {"kind": "email", "value": "s@example.org", "shared": True}


def test_an_edit_keeping_a_credential_already_shared_with_a_joined_account_is_no_conflict(repo, publish, clock):
    repo.accounts.update({"person-guardian-1": make_account(),
                          "owner": joined("owner", email="owner@example.org")})

    account = edit(repo, publish, clock, mobile_phone="+1 415 555 2671", home_phone="415 555 0100")

    assert account["home_phone"] == "+14155550100"


def test_an_edit_with_invalid_values_names_every_invalid_field_and_changes_nothing(repo, publish, clock):
    repo.accounts["person-guardian-1"] = make_account()

    with pytest.raises(InvalidRequest) as refused:
        edit(repo, publish, clock, email="dana@", home_phone="12", mobile_phone="415 555 0123")

    assert sorted(refused.value.fields) == ["email", "home_phone"]
    assert repo.account("person-guardian-1") == make_account()


def test_editing_an_unknown_person_is_not_found(repo, publish, clock):
    with pytest.raises(NotFound):
        edit(repo, publish, clock, person_id="nobody", email="a@example.org")

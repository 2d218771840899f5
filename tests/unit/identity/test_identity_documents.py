from dataclasses import replace
from datetime import datetime, timezone

from services.identity.domain.accounts import RoleGrant
from services.identity.domain.documents import (
    account_change_document,
    account_document,
    credential_holder_document,
    principal_document,
)
from shared.contracts import identity
from identity_builders import make_account, make_profile

JOINED_AT = datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc)


def test_a_principal_names_the_person_with_roles_and_permissions():
    account = make_account(status="active", permissions=("users_manager",), profile=make_profile(
        roles=(RoleGrant("teacher", ("school-1",)), RoleGrant("guardian"))))

    principal = principal_document(account)

    assert identity.Principal().validate(principal) == {}
    assert principal == {
        "person_id": "person-guardian-1", "district_id": "district-1", "display_name": "Dana Rivera",
        "status": "active",
        "roles": [{"role": "teacher", "school_ids": ["school-1"]}, {"role": "guardian", "school_ids": []}],
        "permissions": ["users_manager"], "language": "en",
    }


def test_stored_permissions_grant_nothing_once_the_person_is_no_longer_staff():
    account = make_account(permissions=("users_manager",), profile=make_profile(roles=(RoleGrant("guardian"),)))

    assert principal_document(account)["permissions"] == []
    assert account_document(account, email_shared=False, mobile_shared=False)["permissions"] == []


def test_an_account_lists_email_and_mobile_as_credentials_with_their_shared_flags():
    account = make_account(status="active", joined_at=JOINED_AT, profile=make_profile(home_phone="+14155550100"))

    document = account_document(account, email_shared=False, mobile_shared=True)

    assert identity.Account().validate(identity.Account().dump(document)) == {}
    assert document["credentials"] == [
        {"kind": "email", "value": "dana.rivera@example.org", "shared": False},
        {"kind": "mobile_phone", "value": "+14155552671", "shared": True},
    ]
    assert document["home_phone"] == "+14155550100"
    assert document["joined_at"] == JOINED_AT


def test_an_account_without_credentials_lists_none():
    account = make_account(profile=make_profile(email=None, mobile_phone=None, home_phone="+14155550100"))

    assert account_document(account, email_shared=False, mobile_shared=False)["credentials"] == []


def test_the_change_other_services_project_leaves_out_the_home_phone():
    document = account_change_document(make_account(profile=make_profile(home_phone="+14155550100")))

    assert "home_phone" not in document
    assert identity.AccountChange().validate(document) == {}


def test_every_shape_of_an_account_shows_its_synced_and_hand_made_grants_together():
    account = make_account(status="active", permissions=("users_manager",),
                           profile=make_profile(roles=(RoleGrant("guardian"), RoleGrant("teacher", ("school-2",)))),
                           manual_roles=(RoleGrant("teacher", ("school-1",)),))
    together = [{"role": "teacher", "school_ids": ["school-1", "school-2"]}, {"role": "guardian", "school_ids": []}]

    assert principal_document(account)["roles"] == together
    assert account_document(account, email_shared=False, mobile_shared=False)["roles"] == together
    assert account_change_document(account)["roles"] == together
    # A teacher by hand is staff, so their permissions count.
    assert principal_document(replace(account, profile=make_profile()))["permissions"] == ["users_manager"]


def test_an_account_says_whether_its_person_is_archived():
    assert account_document(make_account(archived=True), email_shared=False, mobile_shared=False)["archived"]
    assert not account_document(make_account(), email_shared=False, mobile_shared=False)["archived"]


def test_a_credential_holder_says_which_of_the_asked_credentials_it_holds_and_whether_its_owner_joined():
    account = make_account(status="active", joined_at=JOINED_AT)

    both = credential_holder_document(account, "dana.rivera@example.org", "+14155552671")
    phone_only = credential_holder_document(account, "someone@example.org", "+14155552671")
    email_only = credential_holder_document(make_account(), "dana.rivera@example.org", None)

    assert identity.CredentialHolder().validate(both) == {}
    assert both == {"person_id": "person-guardian-1", "district_id": "district-1",
                    "holds": ["email", "mobile_phone"], "joined": True, "status": "active"}
    assert phone_only["holds"] == ["mobile_phone"]
    assert (email_only["holds"], email_only["joined"], email_only["status"]) == (["email"], False, "invitee")

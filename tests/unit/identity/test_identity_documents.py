from datetime import datetime, timezone

from services.identity.domain.accounts import RoleGrant
from services.identity.domain.documents import account_change_document, account_document, principal_document
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
        "permissions": ["users_manager"],
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

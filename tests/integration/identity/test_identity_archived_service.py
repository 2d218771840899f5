"""Archived people cannot sign in: identity follows directory's PEOPLE_UPSERTED."""
from __future__ import annotations

import pytest

from shared.contracts.errors import InvalidRequest, NotAuthenticated

pytestmark = pytest.mark.postgres

PASSWORD = "a long enough password"


def test_an_archived_person_loses_sign_in_and_open_sessions_and_unarchiving_restores_them(
        identity_rpc, sync, join, people_changed, make_account_input):
    sync(make_account_input(person_id="parent-1"))
    session = join("dana.rivera@example.org", PASSWORD)

    assert people_changed(**{"parent-1": True}) == 1

    with pytest.raises(NotAuthenticated):
        identity_rpc.authenticate({"token": session["token"]})
    with pytest.raises(NotAuthenticated):
        identity_rpc.login({"login": "dana.rivera@example.org", "password": PASSWORD})
    with pytest.raises(InvalidRequest) as refused:
        identity_rpc.set_password({"login": "dana.rivera@example.org", "password": "another long password"})
    assert refused.value.fields["login"][0].startswith("the account is archived: ")
    [account] = identity_rpc.get_accounts({"person_ids": ["parent-1"]})["accounts"]
    assert account["archived"] is True

    people_changed(**{"parent-1": False})

    assert identity_rpc.authenticate({"token": session["token"]})["person_id"] == "parent-1"
    assert identity_rpc.login({"login": "dana.rivera@example.org", "password": PASSWORD})["principal"]
    [account] = identity_rpc.get_accounts({"person_ids": ["parent-1"]})["accounts"]
    assert account["archived"] is False


def test_a_person_archived_before_identity_has_their_account_cannot_sign_in_once_it_is_created(
        identity_rpc, sync, people_changed, make_account_input):
    people_changed(**{"parent-1": True, "parent-2": False})
    people_changed(**{"parent-1": True})
    sync(make_account_input(person_id="parent-1"))

    with pytest.raises(InvalidRequest):
        identity_rpc.set_password({"login": "dana.rivera@example.org", "password": PASSWORD})
    with pytest.raises(NotAuthenticated):
        identity_rpc.login({"login": "dana.rivera@example.org", "password": PASSWORD})

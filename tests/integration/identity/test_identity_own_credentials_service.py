"""A person's own credentials over RPC: identity on a real broker and PostgreSQL, notify a recording stand-in."""
from __future__ import annotations
from shared.testing.principals import make_principal

import pytest
from nameko.testing.services import entrypoint_waiter

from shared.contracts import identity
from shared.contracts.errors import Conflict, InvalidRequest, TooManyRequests
from shared.testing.fake_notify import RecordingNotify, fake_notify_service

pytestmark = pytest.mark.postgres


@pytest.fixture
def notify(identity_config, container_factory) -> RecordingNotify:
    recorder = RecordingNotify()
    container_factory(fake_notify_service(recorder), identity_config).start()
    return recorder


@pytest.fixture
def dana(identity_rpc, sync, make_account_input, join) -> str:
    """A guardian who joined: dana.rivera@example.org and (415) 555-2671."""
    sync(make_account_input())
    join("dana.rivera@example.org")
    return "person-guardian-1"


def test_a_mobile_phone_is_added_with_the_code_sent_to_it(identity_rpc, identity_events, notify, dana, sync,
                                                          make_account_input, stored):
    sync(make_account_input(mobile_phone=None))
    sent = identity_rpc.send_credential_code({"viewer": make_principal(person_id=dana), "kind": "mobile_phone", "value": "415 555 0199"})

    assert sent["address"] == "+14155550199"
    with entrypoint_waiter(identity_events, "on_accounts_upserted") as upserted:
        account = identity_rpc.confirm_credential({"viewer": make_principal(person_id=dana), "kind": "mobile_phone",
                                                   "code": notify.last_code("+14155550199")})

    assert account["mobile_phone"] == "+14155550199"
    assert upserted.get()["accounts"][0]["mobile_phone"] == "+14155550199"
    assert [(edit.changed_by, edit.current["mobile_phone"]) for edit in stored.edit_history(dana)] == [
        (dana, "+14155550199")]


def test_wrong_codes_are_counted_by_the_database_and_the_sixth_try_is_refused(identity_rpc, notify, dana):
    identity_rpc.send_credential_code({"viewer": make_principal(person_id=dana), "kind": "email", "value": "dana.new@example.org"})
    code = notify.last_code("dana.new@example.org")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        with pytest.raises(InvalidRequest):
            identity_rpc.confirm_credential({"viewer": make_principal(person_id=dana), "kind": "email", "code": wrong})

    with pytest.raises(TooManyRequests):
        identity_rpc.confirm_credential({"viewer": make_principal(person_id=dana), "kind": "email", "code": code})

    [account] = identity_rpc.get_accounts({"person_ids": [dana]})["accounts"]
    assert account["email"] == "dana.rivera@example.org"


def test_an_email_of_another_joined_account_is_refused_with_the_products_message(identity_rpc, notify, dana, sync,
                                                                                 make_account_input, join):
    sync(make_account_input(person_id="owner", email="owner@example.org", mobile_phone=None))
    join("owner@example.org")

    with pytest.raises(Conflict) as refused:
        identity_rpc.send_credential_code({"viewer": make_principal(person_id=dana), "kind": "email", "value": "Owner@example.org"})

    assert refused.value.message == identity.CREDENTIAL_OF_JOINED_ACCOUNT
    assert notify.codes_sent == []


def test_proving_a_bad_email_resets_it_in_notify_and_removing_keeps_one(identity_rpc, notify, dana):
    notify.bad.add(("email", "dana.rivera@example.org"))
    identity_rpc.send_credential_code({"viewer": make_principal(person_id=dana), "kind": "email", "value": "dana.rivera@example.org"})
    identity_rpc.confirm_credential({"viewer": make_principal(person_id=dana), "kind": "email",
                                     "code": notify.last_code("dana.rivera@example.org")})

    account = identity_rpc.remove_credential({"viewer": make_principal(person_id=dana), "kind": "mobile_phone"})

    assert [reset["reset_by"] for reset in notify.resets] == [dana]
    assert [c["kind"] for c in account["credentials"]] == ["email"]
    with pytest.raises(InvalidRequest):
        identity_rpc.remove_credential({"viewer": make_principal(person_id=dana), "kind": "email"})

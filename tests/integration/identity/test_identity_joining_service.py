"""Join Now and languages over RPC, on a real broker and PostgreSQL."""
from __future__ import annotations
from shared.testing.principals import make_principal

from datetime import datetime, timedelta, timezone

import eventlet
import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter

from services.identity.adapters.tokens import TokenSigner
from services.identity.domain.join_tokens import INVITATION_EXPIRED, JoinToken
from shared.contracts import identity
from shared.contracts.errors import Conflict, InvalidRequest

pytestmark = pytest.mark.postgres

PASSWORD = "maple kettle orbit"


@pytest.fixture
def invite(identity_rpc, sync, make_account_input):
    """invite(person_id="guardian-1"): the account (created if needed) and its new invitation."""

    def issue(person_id: str = "guardian-1") -> dict:
        sync(make_account_input(person_id=person_id, email=f"{person_id}@example.org", mobile_phone=None))
        [issued] = identity_rpc.issue_join_tokens({"person_ids": [person_id], "issued_by": "admin-1"})["results"]
        return issued

    return issue


def test_joining_activates_the_account_in_the_chosen_language_and_signs_it_in(identity_rpc, identity_events,
                                                                               invite):
    identity_rpc.set_district_languages({"district_id": "district-1", "languages": ["en", "es", "vi"],
                                         "changed_by": "admin-1"})
    invitation = invite()

    with entrypoint_waiter(identity_events, "on_user_joined") as joined:
        session = identity_rpc.join({"token": invitation["token"], "password": PASSWORD, "language": "vi"})

    assert joined.get()["person_id"] == "guardian-1"
    assert identity_rpc.authenticate({"token": session["token"]})["language"] == "vi"
    [account] = identity_rpc.get_accounts({"person_ids": ["guardian-1"]})["accounts"]
    assert (account["status"], account["language"]) == ("active", "vi")
    assert identity_rpc.login({"login": "guardian-1@example.org", "password": PASSWORD})["principal"]["status"] \
        == "active"


def test_the_second_of_two_joins_at_once_is_refused(identity_rpc, identity_config, invite):
    invitation = invite()
    body = {"join_code": invitation["join_code"], "password": PASSWORD}

    def attempt():
        # A proxy each: one proxy's reply queue is read by one green thread at a time.
        with ServiceRpcProxy(identity.NAME, identity_config, timeout=30) as proxy:
            try:
                return proxy.join(body)["principal"]["status"]
            except Conflict:
                return "refused"

    attempts = [eventlet.spawn(attempt) for _ in range(2)]

    assert sorted(attempt.wait() for attempt in attempts) == ["active", "refused"]


def test_an_expired_invitation_is_refused_and_changes_nothing(identity_rpc, invite, stored, token_secret):
    invite()
    issued_at = datetime.now(timezone.utc) - timedelta(days=11)
    digest = TokenSigner(token_secret, timedelta(hours=1)).digest
    stored.replace_join_tokens([JoinToken(person_id="guardian-1", token_hash=digest("old"), code_hash=digest("OLD"),
                                          issued_by="admin-1", issued_at=issued_at,
                                          expires_at=issued_at + timedelta(days=10))])

    with pytest.raises(InvalidRequest) as refused:
        identity_rpc.join({"token": "old", "password": PASSWORD})

    assert refused.value.fields == {"token": [INVITATION_EXPIRED]}
    [account] = identity_rpc.get_accounts({"person_ids": ["guardian-1"]})["accounts"]
    assert account["status"] == "invitee"


def test_a_language_outside_the_list_and_a_common_password_are_refused(identity_rpc, invite):
    invitation = invite()

    with pytest.raises(InvalidRequest) as language:
        identity_rpc.join({"token": invitation["token"], "password": PASSWORD, "language": "es"})
    with pytest.raises(InvalidRequest) as password:
        identity_rpc.join({"token": invitation["token"], "password": "iloveyou123"})

    assert list(language.value.fields) == ["language"] and list(password.value.fields) == ["password"]
    assert identity_rpc.join({"token": invitation["token"], "password": PASSWORD})["principal"]["language"] == "en"


def test_a_district_offers_languages_in_standard_form_and_people_choose_among_them(identity_rpc, sync,
                                                                                   make_account_input):
    sync(make_account_input())
    assert identity_rpc.get_district_languages({"district_id": "district-1"})["languages"] == ["en"]

    offered = identity_rpc.set_district_languages({"district_id": "district-1", "languages": ["en", "ES", "zh_hant"],
                                                   "changed_by": "admin-1"})
    account = identity_rpc.set_language({"viewer": make_principal(person_id="person-guardian-1"), "language": "zh-Hant"})

    assert offered["languages"] == ["en", "es", "zh-Hant"]
    assert account["language"] == "zh-Hant"
    with pytest.raises(InvalidRequest):
        identity_rpc.set_district_languages({"district_id": "district-1", "languages": ["en", "xx"],
                                             "changed_by": "admin-1"})
    assert identity_rpc.get_district_languages({"district_id": "district-1"})["languages"] == ["en", "es", "zh-Hant"]

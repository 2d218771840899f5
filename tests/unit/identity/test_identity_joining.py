"""Join Now: an invitation, a new password and a language make an invitee an active, signed-in account."""
from dataclasses import replace
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from services.identity import handlers, handlers_joining
from services.identity.adapters.tokens import TokenSigner
from services.identity.domain.accounts import DISABLED
from services.identity.domain.join_tokens import INVITATION_EXPIRED, INVITATION_NOT_VALID, INVITATION_USED
from services.identity.domain.password_policy import TOO_COMMON
from services.identity.domain.passwords import Argon2Passwords
from shared.contracts import identity
from shared.contracts.errors import Conflict, InvalidRequest
from identity_builders import NOW, make_account

PASSWORDS = Argon2Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
TOKENS = TokenSigner("k" * 40, timedelta(hours=12))
PASSWORD = "maple kettle orbit"


@pytest.fixture
def invitation(repo, publish, clock):
    """The invitation issued to an invitee guardian (person-guardian-1) at NOW; nothing published yet."""
    repo.accounts["person-guardian-1"] = make_account()
    request = {"person_ids": ["person-guardian-1"], "issued_by": "admin-1"}
    [issued] = handlers_joining.issue_join_tokens(request, repo=repo, tokens=TOKENS, publish=publish,
                                                  clock=clock)["results"]
    publish.published.clear()
    return issued


def join(body, *, repo, publish, clock):
    request = identity.join.load_request({"password": PASSWORD, **body})
    return handlers_joining.join(request, repo=repo, passwords=PASSWORDS, tokens=TOKENS, publish=publish,
                                 clock=clock)


def assert_nothing_changed(repo, publish):
    account = repo.accounts["person-guardian-1"]
    assert (account.status, account.joined_at, account.password_hash, account.language) == (
        "invitee", None, None, "en")
    assert repo.join_tokens["person-guardian-1"].used_at is None
    assert repo.sessions == {} and publish.published == []


def test_joining_with_the_link_activates_the_account_signs_it_in_and_announces_it(invitation, repo, publish,
                                                                                    clock):
    repo.district_languages_by_id["district-1"] = ("en", "es")
    clock.now += timedelta(days=2)

    session = join({"token": invitation["token"], "language": "ES"}, repo=repo, publish=publish, clock=clock)

    assert session["principal"]["person_id"] == "person-guardian-1"
    assert session["principal"]["status"] == "active" and session["principal"]["language"] == "es"
    assert handlers.authenticate({"token": session["token"]}, repo=repo, tokens=TOKENS,
                                 clock=clock)["person_id"] == "person-guardian-1"
    account = repo.accounts["person-guardian-1"]
    assert (account.status, account.joined_at, account.language) == ("active", clock.now, "es")
    assert PASSWORDS.matches(account.password_hash, PASSWORD)
    assert repo.join_tokens["person-guardian-1"].used_at == clock.now
    [(joined, joined_payload), (upserted, upserted_payload)] = publish.published
    assert (joined, joined_payload["person_id"]) == ("user_joined.v1", "person-guardian-1")
    assert upserted == "accounts_upserted.v1"
    assert [(a["status"], a["language"]) for a in upserted_payload["accounts"]] == [("active", "es")]


def test_the_printed_code_joins_however_it_is_typed(invitation, repo, publish, clock):
    typed = invitation["join_code"].lower().replace("-", " ")

    session = join({"join_code": typed}, repo=repo, publish=publish, clock=clock)

    assert session["principal"]["language"] == "en"
    assert repo.accounts["person-guardian-1"].status == "active"


def test_an_invitation_serves_once(invitation, repo, publish, clock):
    join({"token": invitation["token"]}, repo=repo, publish=publish, clock=clock)
    publish.published.clear()

    with pytest.raises(Conflict) as refused:
        join({"join_code": invitation["join_code"], "password": "another fine phrase"}, repo=repo,
             publish=publish, clock=clock)

    assert refused.value.fields == {"join_code": [INVITATION_USED]}
    assert PASSWORDS.matches(repo.accounts["person-guardian-1"].password_hash, PASSWORD)
    assert publish.published == []


def test_a_join_whose_invitation_was_used_meanwhile_changes_and_announces_nothing(invitation, repo, publish,
                                                                                  clock, monkeypatch):
    record_join = repo.record_join

    def used_meanwhile(stored_invitation, *args, **kwargs):
        repo.join_tokens["person-guardian-1"] = replace(repo.join_tokens["person-guardian-1"], used_at=clock.now)
        return record_join(stored_invitation, *args, **kwargs)

    monkeypatch.setattr(repo, "record_join", used_meanwhile)
    with pytest.raises(Conflict):
        join({"token": invitation["token"]}, repo=repo, publish=publish, clock=clock)

    assert repo.accounts["person-guardian-1"].status == "invitee"
    assert publish.published == publish.staged == []


def test_an_invitation_ten_days_old_has_expired_and_changes_nothing(invitation, repo, publish, clock):
    clock.now = NOW + timedelta(days=identity.JOIN_TOKEN_DAYS)

    with pytest.raises(InvalidRequest) as refused:
        join({"token": invitation["token"]}, repo=repo, publish=publish, clock=clock)

    assert refused.value.fields == {"token": [INVITATION_EXPIRED]}
    assert_nothing_changed(repo, publish)


@pytest.mark.parametrize("body", [{"token": "forged-token"}, {"join_code": "0000-0000-0000"}])
def test_a_forged_invitation_changes_nothing(body, invitation, repo, publish, clock):
    with pytest.raises(InvalidRequest) as refused:
        join(body, repo=repo, publish=publish, clock=clock)

    assert refused.value.fields == {next(iter(body)): [INVITATION_NOT_VALID]}
    assert_nothing_changed(repo, publish)


def test_a_resent_invitation_voids_the_earlier_one(invitation, repo, publish, clock):
    handlers_joining.issue_join_tokens({"person_ids": ["person-guardian-1"], "issued_by": "admin-1"}, repo=repo,
                                       tokens=TOKENS, publish=publish, clock=clock)
    publish.published.clear()

    with pytest.raises(InvalidRequest):
        join({"token": invitation["token"]}, repo=repo, publish=publish, clock=clock)

    assert repo.accounts["person-guardian-1"].status == "invitee" and publish.published == []


def test_a_common_password_is_refused_and_the_invitation_stays_usable(invitation, repo, publish, clock):
    with pytest.raises(InvalidRequest) as refused:
        join({"token": invitation["token"], "password": "Password123!"}, repo=repo, publish=publish, clock=clock)

    assert refused.value.fields == {"password": [TOO_COMMON]}
    assert_nothing_changed(repo, publish)
    assert join({"token": invitation["token"]}, repo=repo, publish=publish, clock=clock)["principal"]


def test_a_language_the_district_does_not_offer_is_refused(invitation, repo, publish, clock):
    repo.district_languages_by_id["district-1"] = ("en", "es")

    for language in ("fr", "es-MX", "klingon"):
        with pytest.raises(InvalidRequest) as refused:
            join({"token": invitation["token"], "language": language}, repo=repo, publish=publish, clock=clock)
        assert list(refused.value.fields) == ["language"]

    assert_nothing_changed(repo, publish)


def test_an_account_disabled_since_the_invitation_cannot_join(invitation, repo, publish, clock):
    repo.accounts["person-guardian-1"] = make_account(status=DISABLED)

    with pytest.raises(InvalidRequest) as refused:
        join({"token": invitation["token"]}, repo=repo, publish=publish, clock=clock)

    assert refused.value.fields == {"token": ["the account is disabled"]}
    assert repo.sessions == {} and publish.published == []


@pytest.mark.parametrize("body", [{}, {"token": "t", "join_code": "c"}])
def test_a_join_names_exactly_one_invitation(body):
    with pytest.raises(InvalidRequest) as refused:
        identity.join.load_request({"password": PASSWORD, **body})

    assert "token" in refused.value.fields


def test_the_join_page_learns_the_name_expiry_and_languages_and_nothing_changes(invitation, repo, publish, clock):
    repo.district_languages_by_id["district-1"] = ("en", "es")

    page = handlers_joining.check_join_invitation({"token": invitation["token"]}, repo=repo, tokens=TOKENS,
                                                  clock=clock)

    assert page == {"given_name": "Dana", "expires_at": NOW + timedelta(days=identity.JOIN_TOKEN_DAYS),
                    "languages": ["en", "es"]}
    assert_nothing_changed(repo, publish)


def test_the_join_page_refuses_what_joining_would(invitation, repo, publish, clock):
    join({"token": invitation["token"]}, repo=repo, publish=publish, clock=clock)

    with pytest.raises(Conflict):
        handlers_joining.check_join_invitation({"token": invitation["token"]}, repo=repo, tokens=TOKENS, clock=clock)
    with pytest.raises(InvalidRequest):
        handlers_joining.check_join_invitation({"join_code": "ZZZZ-ZZZZ-ZZZZ"}, repo=repo, tokens=TOKENS,
                                               clock=clock)

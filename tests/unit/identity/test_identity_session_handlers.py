"""Sessions after sign-in: refresh tokens that rotate and betray their reuse, signing out, changing the password."""
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.identity import handlers, handlers_sessions
from services.identity.domain import sessions
from services.identity.domain.password_policy import TOO_SHORT
from shared.contracts import identity
from shared.contracts.errors import InvalidRequest, NotAuthenticated, PermissionDenied
from identity_builders import NOW
from identity_fakes import PASSWORDS, TOKENS, Clock, InMemoryAccounts, with_password

PASSWORD = "secret password"
DANA = "dana.rivera@example.org"


@pytest.fixture
def dana(repo):
    repo.accounts["person-guardian-1"] = with_password(PASSWORD)
    return "person-guardian-1"


def sign_in(*, repo, clock, password=PASSWORD) -> dict:
    return handlers.login({"login": DANA, "password": password}, repo=repo, passwords=PASSWORDS, tokens=TOKENS,
                          publish=repo.outbox, clock=clock)


def refresh(refresh_token, *, repo, clock) -> dict:
    return handlers_sessions.refresh_session({"refresh_token": refresh_token}, repo=repo, tokens=TOKENS, clock=clock)


def authenticates(token, *, repo, clock) -> bool:
    try:
        handlers.authenticate({"token": token}, repo=repo, tokens=TOKENS, clock=clock)
    except NotAuthenticated:
        return False
    return True


def change_password(token, current, new, *, repo, clock) -> dict:
    return handlers_sessions.change_password({"token": token, "current_password": current, "new_password": new},
                                             repo=repo, passwords=PASSWORDS, tokens=TOKENS, clock=clock)


def refused(call) -> str:
    with pytest.raises(NotAuthenticated) as refusal:
        call()
    return str(refusal.value)


def test_a_sign_in_answers_an_access_token_and_a_refresh_token_stored_only_as_its_hash(repo, clock, dana):
    session = sign_in(repo=repo, clock=clock)

    assert identity.LoginResult().validate(identity.login.dump_response(session)) == {}
    assert session["refresh_expires_at"] == NOW + TOKENS.refresh_ttl
    [stored] = repo.refresh_tokens.values()
    assert stored.token_hash == sessions.refresh_token_hash(session["refresh_token"]) != session["refresh_token"]
    assert authenticates(session["token"], repo=repo, clock=clock)


def test_a_refresh_answers_new_tokens_and_uses_up_the_refresh_token(repo, clock, dana):
    first = sign_in(repo=repo, clock=clock)
    clock.now = NOW + timedelta(hours=1)

    renewed = refresh(first["refresh_token"], repo=repo, clock=clock)

    assert renewed["principal"]["person_id"] == dana
    assert renewed["refresh_token"] != first["refresh_token"] and renewed["token"] != first["token"]
    assert renewed["refresh_expires_at"] == clock.now + TOKENS.refresh_ttl
    assert authenticates(renewed["token"], repo=repo, clock=clock)
    assert repo.refresh_tokens[sessions.refresh_token_hash(first["refresh_token"])].used_at == clock.now


def test_each_refresh_keeps_the_session_open_past_the_first_refresh_tokens_expiry(repo, clock, dana):
    token = sign_in(repo=repo, clock=clock)["refresh_token"]
    for day in (10, 20, 30):
        clock.now = NOW + timedelta(days=day)
        renewed = refresh(token, repo=repo, clock=clock)
        token = renewed["refresh_token"]

    assert authenticates(renewed["token"], repo=repo, clock=clock)


def test_a_refresh_token_used_twice_ends_its_whole_session_and_answers_401(repo, clock, dana):
    stolen = sign_in(repo=repo, clock=clock)
    renewed = refresh(stolen["refresh_token"], repo=repo, clock=clock)

    message = refused(lambda: refresh(stolen["refresh_token"], repo=repo, clock=clock))

    assert message == sessions.REFRESH_TOKEN_USED
    [session] = repo.sessions.values()
    assert (session.revoked_at, session.revoked_reason) == (NOW, sessions.REFRESH_TOKEN_REUSED)
    # Every token descended from that sign-in stops working, the newest included.
    assert not authenticates(renewed["token"], repo=repo, clock=clock)
    assert not authenticates(stolen["token"], repo=repo, clock=clock)
    assert refused(lambda: refresh(renewed["refresh_token"], repo=repo, clock=clock)) == sessions.SESSION_ENDED


def test_a_reused_refresh_token_ends_only_its_own_sign_in(repo, clock, dana):
    phone, laptop = sign_in(repo=repo, clock=clock), sign_in(repo=repo, clock=clock)
    refresh(phone["refresh_token"], repo=repo, clock=clock)

    refused(lambda: refresh(phone["refresh_token"], repo=repo, clock=clock))

    assert authenticates(laptop["token"], repo=repo, clock=clock)
    assert refresh(laptop["refresh_token"], repo=repo, clock=clock)["principal"]["person_id"] == dana


def test_two_refreshes_with_one_token_at_the_same_moment_count_as_a_reuse(repo, clock, dana):
    session = sign_in(repo=repo, clock=clock)
    rotate = repo.rotate_refresh_token

    def another_request_rotates_it_first(used_hash, successor, now):
        rotate(used_hash, replace(successor, token_hash="the other request's"), now)
        return rotate(used_hash, successor, now)

    repo.rotate_refresh_token = another_request_rotates_it_first

    assert refused(lambda: refresh(session["refresh_token"], repo=repo, clock=clock)) == sessions.REFRESH_TOKEN_USED
    assert not authenticates(session["token"], repo=repo, clock=clock)


@pytest.mark.parametrize("forged", ["", "not-a-token", "x" * 43, "\ud800 lone surrogate"])
def test_a_forged_refresh_token_is_refused_and_changes_nothing(repo, clock, dana, forged):
    session = sign_in(repo=repo, clock=clock)
    before = (dict(repo.sessions), dict(repo.refresh_tokens))

    assert refused(lambda: refresh(forged, repo=repo, clock=clock)) == sessions.REFRESH_TOKEN_UNKNOWN
    assert (repo.sessions, repo.refresh_tokens) == before
    assert authenticates(session["token"], repo=repo, clock=clock)


def test_an_expired_refresh_token_is_refused_without_ending_anything_else(repo, clock, dana):
    session = sign_in(repo=repo, clock=clock)
    clock.now = NOW + TOKENS.refresh_ttl

    assert refused(lambda: refresh(session["refresh_token"], repo=repo, clock=clock)) == sessions.REFRESH_TOKEN_EXPIRED
    [stored] = repo.refresh_tokens.values()
    assert stored.used_at is None


def test_the_refresh_token_of_an_account_disabled_since_renews_nothing(repo, clock, dana):
    session = sign_in(repo=repo, clock=clock)
    repo.accounts[dana] = replace(repo.accounts[dana], status="disabled")

    refused(lambda: refresh(session["refresh_token"], repo=repo, clock=clock))

    [stored] = repo.refresh_tokens.values()
    assert stored.used_at is None


def test_signing_out_ends_this_session_only_at_once(repo, clock, dana):
    phone, laptop = sign_in(repo=repo, clock=clock), sign_in(repo=repo, clock=clock)

    ended = handlers_sessions.sign_out({"token": phone["token"]}, repo=repo, tokens=TOKENS, clock=clock)

    assert ended == {"sessions_ended": 1}
    assert not authenticates(phone["token"], repo=repo, clock=clock)
    assert refused(lambda: refresh(phone["refresh_token"], repo=repo, clock=clock)) == sessions.SESSION_ENDED
    assert authenticates(laptop["token"], repo=repo, clock=clock)


def test_signing_out_everywhere_ends_every_session_of_the_person_and_no_one_elses(repo, clock, dana):
    repo.accounts["person-2"] = with_password(PASSWORD, person_id="person-2", profile=replace(
        repo.accounts[dana].profile, email="lee@example.org"))
    mine = [sign_in(repo=repo, clock=clock) for _ in range(3)]
    theirs = handlers.login({"login": "lee@example.org", "password": PASSWORD}, repo=repo, passwords=PASSWORDS,
                            tokens=TOKENS, publish=repo.outbox, clock=clock)

    ended = handlers_sessions.sign_out_everywhere({"token": mine[0]["token"]}, repo=repo, tokens=TOKENS, clock=clock)

    assert ended == {"sessions_ended": 3}
    assert not any(authenticates(session["token"], repo=repo, clock=clock) for session in mine)
    assert authenticates(theirs["token"], repo=repo, clock=clock)


@pytest.mark.parametrize("act", [handlers_sessions.sign_out, handlers_sessions.sign_out_everywhere])
def test_signing_out_with_a_token_that_is_not_valid_is_not_authenticated_and_ends_nothing(repo, clock, dana, act):
    session = sign_in(repo=repo, clock=clock)

    refused(lambda: act({"token": "garbage"}, repo=repo, tokens=TOKENS, clock=clock))

    assert authenticates(session["token"], repo=repo, clock=clock)


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(repo, clock, dana):
    here, elsewhere = sign_in(repo=repo, clock=clock), sign_in(repo=repo, clock=clock)

    ended = change_password(here["token"], PASSWORD, "a new long password", repo=repo, clock=clock)

    assert ended == {"sessions_ended": 1}
    assert authenticates(here["token"], repo=repo, clock=clock)
    assert refresh(here["refresh_token"], repo=repo, clock=clock)["principal"]["person_id"] == dana
    assert not authenticates(elsewhere["token"], repo=repo, clock=clock)
    assert refused(lambda: refresh(elsewhere["refresh_token"], repo=repo, clock=clock)) == sessions.SESSION_ENDED
    assert {s.revoked_reason for s in repo.sessions.values()} == {None, sessions.PASSWORD_CHANGED}
    refused(lambda: sign_in(repo=repo, clock=clock))
    assert sign_in(repo=repo, clock=clock, password="a new long password")["principal"]["person_id"] == dana


def test_a_wrong_current_password_is_refused_naming_the_field_and_changes_nothing(repo, clock, dana):
    here, elsewhere = sign_in(repo=repo, clock=clock), sign_in(repo=repo, clock=clock)
    stored_hash = repo.accounts[dana].password_hash

    with pytest.raises(PermissionDenied) as refusal:
        change_password(here["token"], "not my password", "a new long password", repo=repo, clock=clock)

    assert list(refusal.value.fields) == ["current_password"]
    assert repo.accounts[dana].password_hash == stored_hash
    assert authenticates(elsewhere["token"], repo=repo, clock=clock)


def test_a_new_password_that_breaks_the_rule_is_refused_naming_the_field_and_changes_nothing(repo, clock, dana):
    here = sign_in(repo=repo, clock=clock)
    stored_hash = repo.accounts[dana].password_hash

    with pytest.raises(InvalidRequest) as refusal:
        change_password(here["token"], PASSWORD, "short", repo=repo, clock=clock)

    assert refusal.value.fields == {"new_password": [TOO_SHORT]}
    assert repo.accounts[dana].password_hash == stored_hash


def test_a_password_change_needs_a_valid_session(repo, clock, dana):
    session = sign_in(repo=repo, clock=clock)
    handlers_sessions.sign_out({"token": session["token"]}, repo=repo, tokens=TOKENS, clock=clock)
    stored_hash = repo.accounts[dana].password_hash

    refused(lambda: change_password(session["token"], PASSWORD, "a new long password", repo=repo, clock=clock))

    assert repo.accounts[dana].password_hash == stored_hash


def test_an_operator_setting_the_password_ends_every_session_and_its_refresh_tokens(repo, clock, dana):
    session = sign_in(repo=repo, clock=clock)

    handlers.set_password({"login": DANA, "password": "set by the office"}, repo=repo, passwords=PASSWORDS,
                          clock=clock)

    assert not authenticates(session["token"], repo=repo, clock=clock)
    assert refused(lambda: refresh(session["refresh_token"], repo=repo, clock=clock)) == sessions.SESSION_ENDED
    assert {s.revoked_reason for s in repo.sessions.values()} == {sessions.PASSWORD_SET}


# --- rotation as a whole: whatever order the tokens of one sign-in are used in ---------------------------

@settings(max_examples=60, deadline=None)
@given(uses=st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=8))
def test_only_the_newest_refresh_token_renews_and_any_older_one_ends_the_sign_in(uses):
    """Model: the tokens handed out so far, in order; using the newest while the sign-in is open renews it,
    using any other ends the sign-in for good."""
    repo, clock = InMemoryAccounts([with_password(PASSWORD)]), Clock(NOW)
    issued = [sign_in(repo=repo, clock=clock)]
    open_ = True
    for pick in uses:
        chosen = issued[min(pick, len(issued) - 1)]
        clock.now += timedelta(minutes=1)
        if open_ and chosen is issued[-1]:
            issued.append(refresh(chosen["refresh_token"], repo=repo, clock=clock))
        else:
            refused(lambda: refresh(chosen["refresh_token"], repo=repo, clock=clock))
            open_ = False
        assert authenticates(issued[-1]["token"], repo=repo, clock=clock) == open_
        assert sum(t.used_at is None for t in repo.refresh_tokens.values()) == 1

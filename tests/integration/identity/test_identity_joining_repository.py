"""Invitations, joins, verification codes and district languages in identity's store, on SQLite and PostgreSQL."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from services.identity.domain.join_tokens import JoinToken
from services.identity.domain.sessions import LoginSession, RefreshToken
from services.identity.domain.verification import PendingVerification
from test_identity_repository import NOW, count_statements, engine, make_account, repo  # noqa: F401 (fixtures)


def make_token(person_id: str, **overrides) -> JoinToken:
    fields = {"person_id": person_id, "token_hash": f"token-{person_id}", "code_hash": f"code-{person_id}",
              "issued_by": "admin-1", "issued_at": NOW, "expires_at": NOW + timedelta(days=10)}
    return JoinToken(**{**fields, **overrides})


def test_a_page_of_invitations_is_stored_in_one_statement_and_found_by_either_secret(engine, repo):
    repo.save_accounts([make_account(f"p{i}") for i in range(300)], [], NOW)
    inserts = count_statements(engine, "INSERT")

    repo.replace_join_tokens([make_token(f"p{i}") for i in range(300)])

    assert len(inserts) == 1
    assert repo.join_token(token_hash="token-p7") == make_token("p7")
    assert repo.join_token(code_hash="code-p299").person_id == "p299"
    assert repo.join_token(token_hash="code-p7") is None


def test_a_new_invitation_replaces_the_earlier_one_even_a_used_one(repo):
    repo.save_accounts([make_account("p1")], [], NOW)
    repo.replace_join_tokens([make_token("p1", used_at=NOW)])

    later = make_token("p1", token_hash="token-2", code_hash="code-2", issued_at=NOW + timedelta(days=1),
                       expires_at=NOW + timedelta(days=11))
    repo.replace_join_tokens([later])

    assert repo.join_token(token_hash="token-p1") is None
    assert repo.join_token(code_hash="code-2") == later


def session_for(person_id: str) -> LoginSession:
    return LoginSession(jti=f"jti-{person_id}", person_id=person_id, issued_at=NOW, expires_at=NOW + timedelta(hours=1))


def refresh_for(session: LoginSession) -> RefreshToken:
    return RefreshToken(token_hash=f"refresh-{session.jti}", session_id=session.jti, issued_at=NOW,
                        expires_at=session.expires_at)


def test_a_join_uses_the_invitation_activates_the_account_and_stores_the_session_once(repo):
    repo.save_accounts([make_account("p1")], [], NOW)
    repo.replace_join_tokens([make_token("p1")])

    first = repo.record_join(make_token("p1"), session_for("p1"), refresh_for(session_for("p1")),
                             password_hash="hash", language="es", now=NOW)
    second_session = replace(session_for("p1"), jti="jti-2")
    again = repo.record_join(make_token("p1"), second_session, refresh_for(second_session), password_hash="other",
                             language="en", now=NOW)

    assert (first, again) == (True, False)
    account = repo.account("p1")
    assert (account.status, account.joined_at, account.password_hash, account.language) == ("active", NOW, "hash",
                                                                                              "es")
    assert repo.join_token(token_hash="token-p1").used_at == NOW
    assert repo.session_with_account("jti-2") is None and repo.session_with_account("jti-p1") is not None
    assert repo.refresh_token_with_session("refresh-jti-p1") is not None
    assert repo.refresh_token_with_session("refresh-jti-2") is None


def test_an_expired_or_replaced_invitation_joins_nobody_and_stores_nothing(repo):
    repo.save_accounts([make_account("p1")], [], NOW)
    repo.replace_join_tokens([make_token("p1")])

    expired = repo.record_join(make_token("p1"), session_for("p1"), refresh_for(session_for("p1")),
                               password_hash="hash", language="en", now=NOW + timedelta(days=10))
    replaced = repo.record_join(make_token("p1", token_hash="older"), session_for("p1"), refresh_for(session_for("p1")),
                                password_hash="hash", language="en", now=NOW)

    assert (expired, replaced) == (False, False)
    assert repo.account("p1").status == "invitee" and repo.session_with_account("jti-p1") is None


def test_a_code_is_tried_at_most_its_limit_and_a_new_code_starts_again(repo):
    repo.save_accounts([make_account("p1")], [], NOW)
    pending = PendingVerification(person_id="p1", kind="email", address="new@example.org", code_hash="h1",
                                  sent_at=NOW, expires_at=NOW + timedelta(minutes=10))
    repo.replace_verification(pending)

    claims = [repo.claim_try(pending, max_tries=5) for _ in range(6)]
    repo.replace_verification(replace(pending, code_hash="h2"))

    assert claims == [True] * 5 + [False]
    assert repo.verification("p1", "email").tries == 0
    assert repo.claim_try(pending, max_tries=5) is False  # the replaced code is no longer tried


def test_a_completed_verification_is_gone_and_the_district_keeps_its_languages(repo):
    repo.save_accounts([make_account("p1")], [], NOW)
    pending = PendingVerification(person_id="p1", kind="email", address="new@example.org", code_hash="h1",
                                  sent_at=NOW, expires_at=NOW + timedelta(minutes=10))
    repo.replace_verification(pending)
    repo.complete_verification(pending, None, None)
    repo.replace_district_languages("district-1", ["en", "es"], "es", changed_by="admin-1", now=NOW)
    repo.replace_district_languages("district-1", ["en", "vi"], "vi", changed_by="admin-1", now=NOW)

    assert repo.verification("p1", "email") is None
    assert repo.district_languages("district-1") == ("en", "vi")
    assert repo.district_default_language("district-1") == "vi"
    assert repo.district_languages("district-2") is None and repo.district_default_language("district-2") is None

"""Invitations in identity's store, on SQLite and PostgreSQL: replaced whole, a page in one statement."""
from __future__ import annotations

from datetime import timedelta

from services.identity.domain.join_tokens import JoinToken
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

"""identity's login and join events commit in the transaction that joins the account, on PostgreSQL: a process
killed right after that commit still has them in the outbox, a commit the database refuses leaves neither the
join nor its events, and a join that finds its invitation used meanwhile leaves no event for a later commit."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from services.identity import handlers, handlers_joining
from services.identity.adapters.repository import AccountRepository
from services.identity.adapters.tables import accounts, join_tokens
from services.identity.adapters.tokens import TokenSigner
from services.identity.domain.accounts import Account, Profile, RoleGrant
from services.identity.domain.join_tokens import new_invitation
from services.identity.domain.passwords import Argon2Passwords
from shared.contracts import identity
from shared.contracts.errors import Conflict
from shared.testing.transaction_faults import DiesAfter, ProcessKilled, commits_refused, outbox_events

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)
PASSWORDS = Argon2Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
TOKENS = TokenSigner("k" * 40, timedelta(hours=12))
PASSWORD = "maple kettle orbit"
EMAIL = "dana@example.org"
SERVICE_CONTRACT = identity.contract  # tests/conftest.py: service_engine, worker_session, staged_publish


@pytest.fixture
def repo(worker_session):
    return AccountRepository(worker_session)


@pytest.fixture
def dana(repo):
    """An invitee guardian with a password set, who has not joined."""
    profile = Profile(district_id="district-1", given_name="Dana", family_name="Rivera", email=EMAIL,
                      mobile_phone=None, home_phone=None, roles=(RoleGrant("guardian"),), managed_by_sync=True)
    repo.save_accounts([Account(person_id="dana", profile=profile)], [], NOW)
    repo.replace_password("dana", PASSWORDS.hash(PASSWORD), NOW)
    return "dana"


def status(service_engine) -> str:
    with service_engine.connect() as connection:
        return connection.execute(select(accounts.c.status).where(accounts.c.person_id == "dana")).scalar()


def login(repo, publish):
    return handlers.login({"login": EMAIL, "password": PASSWORD}, repo=repo, passwords=PASSWORDS, tokens=TOKENS,
                          publish=publish, clock=lambda: NOW)


def test_a_first_login_whose_process_dies_after_its_commit_has_its_join_in_the_outbox(
        service_engine, repo, staged_publish, dana):
    with pytest.raises(ProcessKilled):
        login(DiesAfter(repo, "record_login"), staged_publish)

    assert status(service_engine) == "active"
    assert outbox_events(service_engine) == [
        (identity.USER_JOINED.name, {"person_id": "dana", "joined_at": NOW.isoformat()})]


def test_a_first_login_whose_commit_is_refused_leaves_neither_the_join_nor_its_event(
        service_engine, worker_session, repo, staged_publish, dana):
    with commits_refused(service_engine, worker_session), pytest.raises(OperationalError):
        login(repo, staged_publish)

    assert status(service_engine) == "invitee" and outbox_events(service_engine) == []


@pytest.fixture
def invitation(repo, dana):
    issued = new_invitation("dana", issued_by="admin-1", now=NOW, digest=TOKENS.digest)
    repo.replace_join_tokens([issued.stored])
    return issued


def join(repo, publish, invitation):
    request = identity.join.load_request({"token": invitation.token, "password": PASSWORD})
    return handlers_joining.join(request, repo=repo, passwords=PASSWORDS, tokens=TOKENS, publish=publish,
                                 clock=lambda: NOW)


def test_a_join_whose_process_dies_after_its_commit_has_both_its_events_in_the_outbox(
        service_engine, repo, staged_publish, invitation):
    with pytest.raises(ProcessKilled):
        join(DiesAfter(repo, "record_join"), staged_publish, invitation)

    assert status(service_engine) == "active"
    assert [event for event, _ in outbox_events(service_engine)] == [identity.USER_JOINED.name,
                                                             identity.ACCOUNTS_UPSERTED.name]


class UsedMeanwhile:
    """The repository, but another join uses the invitation up just before this one's write."""

    def __init__(self, repository: AccountRepository, service_engine) -> None:
        self._repository, self._engine = repository, service_engine

    def __getattr__(self, name: str):
        return getattr(self._repository, name)

    def record_join(self, *args, **kwargs) -> bool:
        with self._engine.begin() as other:
            other.execute(update(join_tokens).values(used_at=NOW))
        return self._repository.record_join(*args, **kwargs)


def test_a_join_whose_invitation_was_used_meanwhile_leaves_no_event_for_a_later_commit(
        service_engine, worker_session, repo, staged_publish, invitation):
    with pytest.raises(Conflict):
        join(UsedMeanwhile(repo, service_engine), staged_publish, invitation)
    repo.replace_password("dana", PASSWORDS.hash("another fine phrase"), NOW)  # the worker_session's next commit

    assert status(service_engine) == "invitee" and outbox_events(service_engine) == []


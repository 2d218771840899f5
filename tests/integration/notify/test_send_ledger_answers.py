"""The send ledger keeps each provider answer as it comes, on SQLite and PostgreSQL: a job's next run finds
the answers its dead run kept, and the page's record settles them like any claim."""
from __future__ import annotations

import uuid

import psycopg2.extensions
import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from services.notify.adapters.delivery_repository import DeliveryRepository
from services.notify.adapters.tables import send_ledger
from services.notify.domain.delivery import Channel, DeliveryStatus, Outcome, ProviderReceipt
from services.notify.queue.jobs import DeliveryJob
from services.notify.ports import JobRecord, LedgerAction
from shared.db import make_engine
from shared.testing.faults import terminate_backends, with_application_name
from tests.integration.notify.test_delivery_repository import (
    NOW,
    count_statements,
    phones,
    planned,
    result,
    rows,
)


@pytest.fixture
def repository(notify_engine):
    session = Session(notify_engine, expire_on_commit=False)
    yield DeliveryRepository(session)
    session.close()


def claimed_page(repository: DeliveryRepository, count: int, *, job_id: str = "job-a"):
    communication_id, ids = planned(repository, phones(count))
    page = repository.load_page(DeliveryJob(communication_id, Channel.SMS, tuple(ids))).deliveries
    assert repository.claim_sends(communication_id, Channel.SMS, page, job_id=job_id, now=NOW) == set(ids)
    return communication_id, ids, page


def ledger(engine) -> list:
    return rows(engine, select(send_ledger.c.person_id, send_ledger.c.state, send_ledger.c.job_id,
                               send_ledger.c.outcome, send_ledger.c.provider_message_id)
                .order_by(send_ledger.c.person_id))


def test_an_answer_is_kept_on_its_claim_and_found_by_the_same_job_only(repository, notify_engine):
    communication_id, ids, page = claimed_page(repository, 3)

    repository.record_answers(communication_id, Channel.SMS, {
        "p-00000": ProviderReceipt(ids[0], Outcome.ACCEPTED, "SM0"),
        "p-00001": ProviderReceipt(ids[1], Outcome.HARD_BOUNCE, "SM1", "21614", "not a mobile number")},
        job_id="job-a", now=NOW)

    assert ledger(notify_engine) == [("p-00000", "answered", "job-a", "accepted", "SM0"),
                                     ("p-00001", "answered", "job-a", "hard_bounce", "SM1"),
                                     ("p-00002", "sending", "job-a", None, None)]
    assert repository.answered_sends(communication_id, Channel.SMS, page, job_id="job-a") == {
        ids[0]: ProviderReceipt(ids[0], Outcome.ACCEPTED, "SM0"),
        ids[1]: ProviderReceipt(ids[1], Outcome.HARD_BOUNCE, "SM1", "21614", "not a mobile number")}
    assert repository.answered_sends(communication_id, Channel.SMS, page, job_id="job-b") == {}
    # The job's next run claims again only the key it never heard back about.
    assert repository.claim_sends(communication_id, Channel.SMS, page, job_id="job-a", now=NOW) == {ids[2]}


def test_an_answer_for_another_jobs_claim_changes_nothing(repository, notify_engine):
    communication_id, ids, _ = claimed_page(repository, 1, job_id="job-a")

    repository.record_answers(communication_id, Channel.SMS, {"p-00000": ProviderReceipt(ids[0], Outcome.ACCEPTED)},
                              job_id="job-b", now=NOW)

    assert ledger(notify_engine) == [("p-00000", "sending", "job-a", None, None)]


def test_the_pages_record_settles_answered_keys_sent_or_released(repository, notify_engine):
    communication_id, ids, page = claimed_page(repository, 2)
    repository.record_answers(communication_id, Channel.SMS, {
        "p-00000": ProviderReceipt(ids[0], Outcome.ACCEPTED, "SM0"),
        "p-00001": ProviderReceipt(ids[1], Outcome.TRANSIENT, reason="provider answered HTTP 503")},
        job_id="job-a", now=NOW)

    repository.record_job(JobRecord(communication_id, Channel.SMS, (
        result(ids[0], "p-00000", DeliveryStatus.SENT, provider_message_id="SM0"),
        result(ids[1], "p-00001", DeliveryStatus.QUEUED, outcome=Outcome.TRANSIENT, ledger=LedgerAction.RELEASE))),
        now=NOW)

    assert [row[:3] for row in ledger(notify_engine)] == [("p-00000", "sent", "job-a")]
    assert repository.claim_sends(communication_id, Channel.SMS, page, job_id="job-b", now=NOW) == {ids[1]}


def test_keeping_one_answer_is_one_statement(repository, notify_engine):
    communication_id, ids, _ = claimed_page(repository, 2)
    keep = lambda n: repository.record_answers(  # noqa: E731
        communication_id, Channel.SMS, {f"p-0000{n}": ProviderReceipt(ids[n], Outcome.ACCEPTED, f"SM{n}")},
        job_id="job-a", now=NOW)
    keep(0)  # PostgreSQL: opens the worker's connection for answers

    if notify_engine.dialect.name != "postgresql":
        assert count_statements(notify_engine, lambda: keep(1)) == 1
    else:
        # One round trip: the statement straight to the driver's cursor, in autocommit, so no BEGIN or COMMIT
        # (adapters/ledger_answers.py), and no transaction left open after it.
        answers = repository._answers
        counted = _CountingCursor(answers._cursor)
        answers._cursor = counted
        keep(1)
        assert counted.statements == ["UPDATE send_ledger"]
        assert counted.connection.autocommit
        assert counted.connection.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE
    assert [row[1] for row in ledger(notify_engine)] == ["answered", "answered"]
    repository.close()


class _CountingCursor:
    def __init__(self, cursor) -> None:
        self._cursor, self.connection, self.statements = cursor, cursor.connection, []

    def execute(self, statement, parameters=None):
        self.statements.append(" ".join(statement.split()[:2]))
        return self._cursor.execute(statement, parameters)


def test_a_terminated_connection_fails_one_answer_and_the_next_opens_a_new_one(notify_database_url):
    name = f"answers-{uuid.uuid4().hex[:12]}"
    engine = make_engine(with_application_name(notify_database_url, name))
    repository = DeliveryRepository(Session(engine, expire_on_commit=False))
    try:
        communication_id, ids, _ = claimed_page(repository, 2)
        answer = lambda n: {f"p-0000{n}": ProviderReceipt(ids[n], Outcome.ACCEPTED)}  # noqa: E731
        repository.record_answers(communication_id, Channel.SMS, answer(0), job_id="job-a", now=NOW)
        assert terminate_backends(notify_database_url, name) >= 1

        with pytest.raises(OperationalError):
            repository.record_answers(communication_id, Channel.SMS, answer(1), job_id="job-a", now=NOW)
        repository.record_answers(communication_id, Channel.SMS, answer(1), job_id="job-a", now=NOW)

        assert [row[1] for row in ledger(engine)] == ["answered", "answered"]
    finally:
        repository.close()
        repository.session.close()
        engine.dispose()

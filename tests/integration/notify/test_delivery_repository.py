"""The delivery repository on SQLite and PostgreSQL: ledger claims, receipts that never move a status
backwards, credential health, fallbacks, the inbox, reports — each a fixed number of statements."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from services.notify.adapters.delivery_repository import DeliveryRepository
from services.notify.adapters.tables import (
    credential_health,
    deliveries,
    delivery_events,
    district_settings,
    preferences,
    recipients,
    send_ledger,
)
from services.notify.domain.delivery import (
    Channel,
    Communication,
    CredentialKind,
    CredentialState,
    DeliveryStatus,
    NewDelivery,
    Outcome,
    Preference,
)
from services.notify.domain.retry import SOFT_FAILURES_BEFORE_BAD
from services.notify.queue.jobs import DeliveryJob
from services.notify.ports import (
    CredentialChange,
    DeliveryResult,
    EventSource,
    Fallback,
    HealthChange,
    JobRecord,
    LedgerAction,
)

NOW = datetime(2025, 9, 1, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def repository(notify_engine):
    session = Session(notify_engine, expire_on_commit=False)
    yield DeliveryRepository(session)
    session.close()


def new_communication(repository: DeliveryRepository, **overrides) -> str:
    fields = {"district_id": "district-1", "kind": Communication.ANNOUNCEMENT, "subject": "Snow day",
              "body": "School is closed today.", "now": NOW, "sender_id": "staff-1"}
    return repository.create_communication(**{**fields, **overrides})


def emails(count: int, *, start: int = 0) -> list[NewDelivery]:
    return [NewDelivery(f"p-{n:05d}", Channel.EMAIL, f"p{n}@example.org") for n in range(start, start + count)]


def planned(repository: DeliveryRepository, rows: list[NewDelivery], **communication) -> tuple[str, list[str]]:
    communication_id = new_communication(repository, **communication)
    return communication_id, repository.create_deliveries(communication_id, rows, now=NOW)


def result(delivery_id: str, person_id: str, status: DeliveryStatus, **fields) -> DeliveryResult:
    defaults = {"outcome": Outcome.ACCEPTED, "attempted": True, "ledger": LedgerAction.MARK_SENT}
    return DeliveryResult(delivery_id, person_id, status, **{**defaults, **fields})


def person(person_id: str, given_name: str, **overrides) -> dict:
    """A row of notify's recipient projection."""
    row = {"person_id": person_id, "given_name": given_name, "email": None, "mobile_phone": None,
           "kinds": ["guardian"], "joined": False, "student_account_enabled": False, "archived": False}
    return {**row, **overrides}


def rows(engine, query) -> list:
    with engine.connect() as connection:
        return connection.execute(query).all()


def count_statements(engine, work) -> int:
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def test_creating_a_page_of_deliveries_twice_makes_them_once_and_returns_the_same_ids(repository, notify_engine):
    communication_id, ids = planned(repository, emails(3))

    again = repository.create_deliveries(communication_id, emails(3), now=NOW)

    assert again == ids and len(set(ids)) == 3
    assert rows(notify_engine, select(deliveries.c.status).where(deliveries.c.communication_id == communication_id)) \
        == [("planned",)] * 3


def test_a_page_loads_with_its_communication_and_each_credentials_health(repository, notify_engine):
    communication_id, ids = planned(repository, emails(2))
    with notify_engine.begin() as connection:
        connection.execute(insert(credential_health).values(
            kind="email", address="p1@example.org", state="bad", reason="mailbox unknown", updated_at=NOW))

    page = repository.load_page(DeliveryJob(communication_id, Channel.EMAIL, (*ids, "not-a-delivery")))

    assert page.communication.body == "School is closed today."
    assert {d.address: (d.credential_state, d.credential_reason) for d in page.deliveries} == {
        "p0@example.org": (CredentialState.GOOD, None), "p1@example.org": (CredentialState.BAD, "mailbox unknown")}


def test_a_page_of_another_communication_or_channel_loads_nothing(repository):
    communication_id, ids = planned(repository, emails(2))

    assert repository.load_page(DeliveryJob(communication_id, Channel.SMS, tuple(ids))).deliveries == ()
    assert repository.load_page(DeliveryJob("other", Channel.EMAIL, tuple(ids))).communication is None
    other_id, other_ids = planned(repository, emails(1, start=2))
    assert repository.load_page(DeliveryJob(other_id, Channel.EMAIL, tuple(ids))).deliveries == ()
    assert [d.id for d in repository.load_page(DeliveryJob(other_id, Channel.EMAIL, (*ids, *other_ids))).deliveries] \
        == other_ids


def test_the_ledger_lets_one_job_claim_a_key_and_only_that_job_claim_it_again_while_sending(repository):
    communication_id, ids = planned(repository, emails(3))
    page = repository.load_page(DeliveryJob(communication_id, Channel.EMAIL, tuple(ids))).deliveries

    first = repository.claim_sends(communication_id, Channel.EMAIL, page, job_id="job-a", now=NOW)
    by_another = repository.claim_sends(communication_id, Channel.EMAIL, page, job_id="job-b", now=NOW)
    by_itself_after_a_crash = repository.claim_sends(communication_id, Channel.EMAIL, page, job_id="job-a", now=NOW)

    assert first == set(ids) and by_another == set() and by_itself_after_a_crash == set(ids)


def test_a_key_marked_sent_is_never_claimed_again_and_a_released_one_is(repository, notify_engine):
    communication_id, ids = planned(repository, emails(2))
    page = repository.load_page(DeliveryJob(communication_id, Channel.EMAIL, tuple(ids))).deliveries
    repository.claim_sends(communication_id, Channel.EMAIL, page, job_id="job-a", now=NOW)

    repository.record_job(JobRecord(communication_id, Channel.EMAIL, (
        result(ids[0], "p-00000", DeliveryStatus.SENT),
        result(ids[1], "p-00001", DeliveryStatus.QUEUED, outcome=Outcome.TRANSIENT, ledger=LedgerAction.RELEASE))),
        now=NOW)

    assert repository.claim_sends(communication_id, Channel.EMAIL, page, job_id="job-a", now=NOW) == {ids[1]}
    assert rows(notify_engine, select(send_ledger.c.person_id, send_ledger.c.state, send_ledger.c.job_id)
                .order_by(send_ledger.c.person_id)) == [("p-00000", "sent", "job-a"), ("p-00001", "sending", "job-a")]


def test_receipts_record_status_provider_ids_attempts_and_history(repository, notify_engine):
    communication_id, [delivery_id] = planned(repository, emails(1))

    repository.record_job(JobRecord(communication_id, Channel.EMAIL, (
        result(delivery_id, "p-00000", DeliveryStatus.SENT, provider_message_id="sg-1", provider_code="202"),)),
        now=NOW)

    assert rows(notify_engine, select(deliveries.c.status, deliveries.c.provider_message_id, deliveries.c.provider_code,
                                      deliveries.c.attempts)) == [("sent", "sg-1", "202", 1)]
    assert rows(notify_engine, select(delivery_events.c.status, delivery_events.c.outcome,
                                      delivery_events.c.source)) == [("sent", "accepted", "worker")]


def test_a_page_of_webhook_reports_is_recorded_in_the_history_as_the_webhooks(repository, notify_engine):
    communication_id, [delivery_id] = planned(repository, emails(1))

    repository.record_job(JobRecord(communication_id, Channel.EMAIL, (
        result(delivery_id, "p-00000", DeliveryStatus.DELIVERED, outcome=Outcome.DELIVERED,
               attempted=False, ledger=LedgerAction.NONE),), source=EventSource.WEBHOOK), now=NOW)

    assert rows(notify_engine, select(deliveries.c.status, deliveries.c.attempts)) == [("delivered", 0)]
    assert rows(notify_engine, select(delivery_events.c.status, delivery_events.c.source)) == [
        ("delivered", "webhook")]


def test_a_late_sent_never_moves_a_delivered_delivery_backwards(repository, notify_engine):
    communication_id, [delivery_id] = planned(repository, emails(1))
    repository.record_job(JobRecord(communication_id, Channel.EMAIL, (
        result(delivery_id, "p-00000", DeliveryStatus.DELIVERED, outcome=Outcome.DELIVERED),)), now=NOW)

    repository.record_job(JobRecord(communication_id, Channel.EMAIL, (
        result(delivery_id, "p-00000", DeliveryStatus.SENT, provider_message_id="sg-1", reason="late"),)), now=NOW)

    assert rows(notify_engine, select(deliveries.c.status, deliveries.c.reason, deliveries.c.provider_message_id)) \
        == [("delivered", None, "sg-1")]


def test_a_bad_credential_is_bad_for_everyone_and_opted_out_outlasts_a_later_bounce(repository, notify_engine):
    phone = "+15555550101"
    repository.apply_credential_changes([
        CredentialChange(CredentialKind.MOBILE_PHONE, phone, HealthChange.OPTED_OUT, Outcome.OPT_OUT, "texted STOP"),
        CredentialChange(CredentialKind.EMAIL, "a@example.org", HealthChange.BAD, Outcome.HARD_BOUNCE, "no mailbox"),
    ], now=NOW)

    repository.apply_credential_changes([
        CredentialChange(CredentialKind.MOBILE_PHONE, phone, HealthChange.BAD, Outcome.HARD_BOUNCE, "landline")],
        now=NOW + timedelta(minutes=1))

    assert sorted(rows(notify_engine, select(credential_health.c.kind, credential_health.c.state,
                                             credential_health.c.reason, credential_health.c.last_outcome))) == [
        ("email", "bad", "no mailbox", "hard_bounce"),
        ("mobile_phone", "opted_out", "texted STOP", "hard_bounce")]


def test_soft_failures_add_up_until_the_credential_turns_bad(repository, notify_engine):
    def soft(reason: str) -> CredentialChange:
        return CredentialChange(CredentialKind.EMAIL, "a@example.org", HealthChange.SOFT_FAILURE,
                                Outcome.SOFT_BOUNCE, reason)

    for number in range(SOFT_FAILURES_BEFORE_BAD - 1):
        repository.apply_credential_changes([soft(f"mailbox full {number}")], now=NOW)
    assert rows(notify_engine, select(credential_health.c.state, credential_health.c.soft_failures)) == [
        ("good", SOFT_FAILURES_BEFORE_BAD - 1)]

    repository.apply_credential_changes([soft("mailbox full again")], now=NOW)

    [(state, reason, count)] = rows(notify_engine, select(
        credential_health.c.state, credential_health.c.reason, credential_health.c.soft_failures))
    assert (state, count) == ("bad", SOFT_FAILURES_BEFORE_BAD)
    assert reason.endswith("mailbox full again") and "soft failures in a row" in reason


def test_enough_soft_failures_on_one_shared_phone_in_one_page_turn_it_bad_at_once(repository, notify_engine):
    changes = [CredentialChange(CredentialKind.MOBILE_PHONE, "+15555550101", HealthChange.SOFT_FAILURE,
                                Outcome.TRANSIENT, "handset unreachable")] * SOFT_FAILURES_BEFORE_BAD

    repository.apply_credential_changes(changes, now=NOW)

    assert rows(notify_engine, select(credential_health.c.state, credential_health.c.soft_failures)) == [
        ("bad", SOFT_FAILURES_BEFORE_BAD)]


def test_a_delivery_breaks_the_pattern_of_soft_failures(repository, notify_engine):
    address = ("a@example.org", CredentialKind.EMAIL)
    repository.apply_credential_changes([CredentialChange(
        address[1], address[0], HealthChange.SOFT_FAILURE, Outcome.SOFT_BOUNCE, "mailbox full")], now=NOW)

    repository.apply_credential_changes([CredentialChange(
        address[1], address[0], HealthChange.DELIVERED, Outcome.DELIVERED, None)], now=NOW)

    assert rows(notify_engine, select(credential_health.c.state, credential_health.c.soft_failures,
                                      credential_health.c.last_outcome)) == [("good", 0, "delivered")]


def test_deliveries_in_one_batch_clear_each_credential_they_reached_and_add_no_rows(repository, notify_engine):
    email, phone = CredentialKind.EMAIL, CredentialKind.MOBILE_PHONE
    repository.apply_credential_changes([
        CredentialChange(kind, address, HealthChange.SOFT_FAILURE, Outcome.SOFT_BOUNCE, "busy")
        for kind, address in ((email, "b@example.org"), (phone, "+15555550102"), (email, "c@example.org"))], now=NOW)

    repository.apply_credential_changes([
        CredentialChange(kind, address, HealthChange.DELIVERED, Outcome.DELIVERED, None)
        for kind, address in ((phone, "+15555550102"), (email, "b@example.org"), (email, "nobody@example.org"),
                              (email, "b@example.org"))], now=NOW)

    assert sorted(rows(notify_engine, select(credential_health.c.address, credential_health.c.soft_failures,
                                             credential_health.c.last_outcome))) == [
        ("+15555550102", 0, "delivered"), ("b@example.org", 0, "delivered"), ("c@example.org", 1, "soft_bounce")]


def test_a_failed_delivery_with_a_fallback_becomes_fell_back_and_the_fallback_is_planned(repository, notify_engine):
    communication_id, [delivery_id] = planned(repository, emails(1))

    created = repository.record_job(JobRecord(
        communication_id, Channel.EMAIL,
        (result(delivery_id, "p-00000", DeliveryStatus.FAILED, outcome=Outcome.HARD_BOUNCE, reason="no mailbox"),),
        fallbacks=(Fallback(delivery_id, "p-00000", Channel.SMS, "+15555550101", "For Dana:"),)), now=NOW)

    [(fallback_id, channel)] = created
    assert channel is Channel.SMS
    by_id = {row.id: row for row in rows(notify_engine, select(deliveries))}
    assert (by_id[delivery_id].status, by_id[delivery_id].reason) == ("fell_back", "no mailbox")
    assert (by_id[fallback_id].status, by_id[fallback_id].fallback_of, by_id[fallback_id].label) == (
        "planned", delivery_id, "For Dana:")
    repository.mark_queued([fallback_id], now=NOW)
    assert rows(notify_engine, select(deliveries.c.status).where(deliveries.c.id == fallback_id)) == [("queued",)]


def test_a_fallback_onto_a_channel_the_communication_already_used_is_not_made_twice(repository, notify_engine):
    communication_id, [email_id, sms_id] = planned(repository, [
        NewDelivery("p-1", Channel.EMAIL, "a@example.org"), NewDelivery("p-1", Channel.SMS, "+15555550101")])

    created = repository.record_job(JobRecord(
        communication_id, Channel.EMAIL, (result(email_id, "p-1", DeliveryStatus.FAILED, outcome=Outcome.COMPLAINT),),
        fallbacks=(Fallback(email_id, "p-1", Channel.SMS, "+15555550101", None),)), now=NOW)

    assert created == []
    assert rows(notify_engine, select(deliveries.c.status).where(deliveries.c.id == email_id)) == [("failed",)]


def test_a_redelivered_page_finds_the_fallbacks_it_never_queued(repository):
    communication_id, [delivery_id] = planned(repository, emails(1))
    [(fallback_id, _)] = repository.record_job(JobRecord(
        communication_id, Channel.EMAIL, (result(delivery_id, "p-00000", DeliveryStatus.FAILED),),
        fallbacks=(Fallback(delivery_id, "p-00000", Channel.SMS, "+15555550101", None),)), now=NOW)

    page = repository.load_page(DeliveryJob(communication_id, Channel.EMAIL, (delivery_id,)))

    assert page.unqueued_fallbacks == ((fallback_id, Channel.SMS),)
    repository.mark_queued([fallback_id], now=NOW)
    assert repository.load_page(DeliveryJob(communication_id, Channel.EMAIL, (delivery_id,))).unqueued_fallbacks == ()


def test_the_fallback_context_carries_preference_health_sharing_and_channels_used(repository, notify_engine):
    communication_id, _ = planned(repository, [NewDelivery("p-1", Channel.EMAIL, "dana@example.org")],
                                  kind=Communication.MESSAGE)
    phone = "+15555550101"
    with notify_engine.begin() as connection:
        connection.execute(insert(recipients), [
            person("p-1", "Dana", email="dana@example.org", mobile_phone=phone, joined=True),
            person("p-2", "Dennis", mobile_phone=phone),
            person("s-1", "Sam", email="sam@example.org", kinds=["student"], student_account_enabled=True)])
        connection.execute(insert(preferences).values(person_id="p-1", preference="sms_app", chosen_at=NOW))
        connection.execute(insert(district_settings).values(district_id="district-1", default_preference="sms_app",
                                                            updated_at=NOW))
        connection.execute(insert(credential_health).values(kind="email", address="dana@example.org", state="bad",
                                                            updated_at=NOW))
    communication = repository.load_page(DeliveryJob(communication_id, Channel.EMAIL, ("x",))).communication

    context = repository.load_fallback_context(communication, ["p-1", "s-1", "unknown"])

    dana, sam = context.recipients["p-1"], context.recipients["s-1"]
    assert (dana.given_name, dana.preference, dana.joined, dana.email_state, dana.mobile_state,
            dana.mobile_shared_with) == ("Dana", Preference.SMS_APP, True, CredentialState.BAD, CredentialState.GOOD, 1)
    assert (sam.is_student, sam.student_account_enabled, sam.preference) == (True, True, None)
    assert "unknown" not in context.recipients
    assert context.channels_used == {"p-1": frozenset({Channel.EMAIL})}
    assert (context.request.communication, context.request.district_default) == (
        Communication.MESSAGE, Preference.SMS_APP)


def test_the_inbox_takes_each_person_once_and_marks_the_app_delivery_delivered(repository, notify_engine):
    communication_id, ids = planned(repository, [NewDelivery(f"p-{n}", Channel.APP, None) for n in range(3)])
    page = repository.load_page(DeliveryJob(communication_id, Channel.APP, tuple(ids))).deliveries

    assert repository.deliver_to_inbox(communication_id, page, now=NOW) == 3
    assert repository.deliver_to_inbox(communication_id, page, now=NOW) == 0
    assert repository.delivery_report(communication_id) == {Channel.APP: {DeliveryStatus.DELIVERED: 3}}


def test_a_communication_completes_when_nothing_is_left_to_send(repository):
    communication_id, ids = planned(repository, emails(2) + [NewDelivery("p-00000", Channel.APP, None)])
    repository.mark_communication_queued(communication_id, now=NOW)
    repository.record_job(JobRecord(communication_id, Channel.EMAIL, (
        result(ids[0], "p-00000", DeliveryStatus.SENT),
        result(ids[1], "p-00001", DeliveryStatus.FAILED, outcome=Outcome.HARD_BOUNCE))), now=NOW)
    assert repository.communication_state(communication_id) == "queued"

    page = repository.load_page(DeliveryJob(communication_id, Channel.APP, (ids[2],))).deliveries
    repository.deliver_to_inbox(communication_id, page, now=NOW)

    assert repository.communication_state(communication_id) == "completed"
    assert repository.delivery_report(communication_id) == {
        Channel.EMAIL: {DeliveryStatus.SENT: 1, DeliveryStatus.FAILED: 1},
        Channel.APP: {DeliveryStatus.DELIVERED: 1}}


def test_claiming_and_recording_a_page_costs_the_same_statements_whatever_its_size(repository, notify_engine):
    def process(size: int, start: int) -> int:
        communication_id, ids = planned(repository, emails(size, start=start))

        def work():
            job = DeliveryJob(communication_id, Channel.EMAIL, tuple(ids))
            page = repository.load_page(job).deliveries
            repository.claim_sends(communication_id, Channel.EMAIL, page, job_id="job", now=NOW)
            repository.record_job(JobRecord(communication_id, Channel.EMAIL, tuple(
                result(d.id, d.person_id, DeliveryStatus.SENT) for d in page)), now=NOW)

        return count_statements(notify_engine, work)

    assert process(10, 0) == process(1000, 10)


def phones(count: int, *, start: int = 0) -> list[NewDelivery]:
    return [NewDelivery(f"p-{n:05d}", Channel.SMS, f"+1555555{n:04d}") for n in range(start, start + count)]


def test_a_page_of_sms_receipts_keeps_each_message_id_on_its_own_delivery_and_never_moves_back(
        repository, notify_engine):
    communication_id, ids = planned(repository, phones(5))
    page = repository.load_page(DeliveryJob(communication_id, Channel.SMS, tuple(ids))).deliveries
    assert repository.claim_sends(communication_id, Channel.SMS, page, job_id="job-a", now=NOW) == set(ids)
    repository.record_job(JobRecord(communication_id, Channel.SMS, (  # a webhook got there first
        result(ids[4], "p-00004", DeliveryStatus.DELIVERED, outcome=Outcome.DELIVERED, attempted=False,
               ledger=LedgerAction.NONE),), source=EventSource.WEBHOOK), now=NOW)

    repository.record_job(JobRecord(communication_id, Channel.SMS, tuple(
        result(d.id, d.person_id, DeliveryStatus.SENT, provider_message_id=f"SM{d.person_id}", provider_code="201")
        for d in page)), now=NOW)

    assert rows(notify_engine, select(deliveries.c.person_id, deliveries.c.status, deliveries.c.provider_message_id,
                                      deliveries.c.attempts).order_by(deliveries.c.person_id)) == [
        ("p-00000", "sent", "SMp-00000", 1), ("p-00001", "sent", "SMp-00001", 1),
        ("p-00002", "sent", "SMp-00002", 1), ("p-00003", "sent", "SMp-00003", 1),
        ("p-00004", "delivered", "SMp-00004", 1)]
    # Every key is marked sent once, and no job may claim any of them again.
    assert rows(notify_engine, select(send_ledger.c.state).distinct()) == [("sent",)]
    assert repository.claim_sends(communication_id, Channel.SMS, page, job_id="job-a", now=NOW) == set()


def test_a_page_of_sms_each_with_its_own_message_id_costs_the_same_statements_whatever_its_size(
        repository, notify_engine):
    def process(size: int, start: int) -> int:
        communication_id, ids = planned(repository, phones(size, start=start))

        def work():
            job = DeliveryJob(communication_id, Channel.SMS, tuple(ids))
            page = repository.load_page(job).deliveries
            repository.claim_sends(communication_id, Channel.SMS, page, job_id="job", now=NOW)
            repository.record_job(JobRecord(communication_id, Channel.SMS, tuple(
                result(d.id, d.person_id, DeliveryStatus.SENT, provider_message_id=f"SM-{d.id}") for d in page)),
                now=NOW)

        return count_statements(notify_engine, work)

    assert process(2, 0) == process(50, 10)

"""Deliveries in SQL: a page of rows per statement, never a statement per delivery.

What the workers need (services.notify.ports.DeliveryStore) and what the
notify service needs to create a communication's deliveries and report on them.
Every method is its own unit of work. A delivery's status never moves
backwards: every status write is guarded by STATUS_RANK in SQL, so a worker's
late "sent" cannot undo a webhook's "delivered".
"""
from __future__ import annotations

import uuid
from contextlib import nullcontext
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Table, and_, bindparam, case, func, literal, or_, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from services.notify.adapters.bulk_insert import insert_rows
from services.notify.adapters.devices_repository import forget_tokens, tokens_of
from services.notify.adapters.ledger_settle import SENT, settle_ledgers
from services.notify.adapters.ledger_settle import disjoint_rounds as _disjoint_rounds
from services.notify.adapters.ledger_answers import ANSWERED, KEEP_ANSWER, SENDING, AnswerConnection, answer_rows
from services.notify.adapters.tables import (
    communication_personal,
    communications,
    conversation_messages,
    credential_health,
    deliveries,
    delivery_events,
    district_settings,
    inbox_items,
    preferences,
    recipients,
    send_ledger,
)
from services.notify.adapters.translations_repository import PageLanguages
from services.notify.domain.delivery import (
    CREDENTIAL_OF_CHANNEL,
    SENDABLE_STATUSES,
    STATUS_RANK,
    WITH_PERSONAL_VALUES,
    Channel,
    Communication,
    CredentialKind,
    CredentialState,
    DeliveryStatus,
    NewDelivery,
    Outcome,
    Preference,
    ProviderReceipt,
)
from services.notify.domain.planner import PlanRecipient, PlanRequest
from services.notify.domain.preferences import parse_district_default
from services.notify.domain.recipients import is_student
from services.notify.domain.retry import SOFT_FAILURES_BEFORE_BAD
from services.notify.queue.jobs import DeliveryJob
from services.notify.ports import (
    CommunicationContent,
    CredentialChange,
    DeliveryResult,
    EventSource,
    Fallback,
    FallbackContext,
    HealthChange,
    JobPage,
    JobRecord,
    LedgerAction,
    PageDelivery,
)
from shared.db import dialect_insert

_SENDABLE = [status.value for status in SENDABLE_STATUSES]


def new_id() -> str:
    return uuid.uuid4().hex


def _rank(status_column):
    return case({status.value: rank for status, rank in STATUS_RANK.items()}, value=status_column, else_=-1)


def _status_update(message_id=None):
    """Set a delivery's outcome, guarded so its status never moves backwards (STATUS_RANK).

    `message_id`: where each row's provider message id comes from; a bound `b_message_id` by default.
    """
    advances = _rank(deliveries.c.status) < bindparam("b_rank")
    not_behind = _rank(deliveries.c.status) <= bindparam("b_rank")
    message_id = bindparam("b_message_id") if message_id is None else message_id
    return update(deliveries).values(
        status=case((advances, bindparam("b_status")), else_=deliveries.c.status),
        reason=case((not_behind, func.coalesce(bindparam("b_reason"), deliveries.c.reason)),
                    else_=deliveries.c.reason),
        provider_code=case((not_behind, func.coalesce(bindparam("b_code"), deliveries.c.provider_code)),
                           else_=deliveries.c.provider_code),
        provider_message_id=func.coalesce(message_id, deliveries.c.provider_message_id),
        attempts=deliveries.c.attempts + bindparam("b_attempted"),
        updated_at=bindparam("b_now"))


def _status_update_from_pairs():
    """PostgreSQL: the same, for many rows that differ only in their provider message id, in ONE
    statement: UPDATE ... FROM unnest(ids, message ids). An executemany would send a statement per
    row (a page of SMS has a message id each), each parsed and planned on its own."""
    pairs = func.unnest(bindparam("b_ids", type_=ARRAY(Text)), bindparam("b_message_ids", type_=ARRAY(Text))) \
        .table_valued("id", "message_id").render_derived()
    return _status_update(pairs.c.message_id).where(deliveries.c.id == pairs.c.id)


_STATUS_UPDATE = _status_update()
_STATUS_UPDATE_FROM_PAIRS = _status_update_from_pairs()


class DeliveryRepository:
    def __init__(self, session: Session):
        self.session = session
        self._answers: AnswerConnection | None = None  # a worker's, once it keeps a provider answer

    def close(self) -> None:
        """The worker's connection for provider answers, if it opened one; the session is the caller's."""
        if self._answers is not None:
            self._answers.close()

    # --- The notify service: create, queue and report. ---

    def create_communication(self, *, district_id: str, kind: Communication, body: str, now: datetime,
                             subject: str | None = None, priority: bool = False, with_call: bool = False,
                             sender_id: str | None = None, audience: Mapping | None = None,
                             communication_id: str | None = None) -> str:
        communication_id = communication_id or new_id()
        with self.session.begin():
            self.session.execute(communications.insert().values(
                id=communication_id, district_id=district_id, kind=Communication(kind).value, subject=subject,
                body=body, priority=priority, with_call=with_call, sender_id=sender_id,
                audience=dict(audience or {}), state="planning", created_at=now))
        return communication_id

    def create_deliveries(self, communication_id: str, rows: Sequence[NewDelivery], *, now: datetime) -> list[str]:
        """The ids of these deliveries, in order: created as planned, or found if a replayed page made them."""
        if not rows:
            return []
        with self.session.begin():
            self.session.execute(
                self._insert(deliveries).on_conflict_do_nothing(
                    index_elements=["communication_id", "person_id", "channel"]),
                [{"id": new_id(), "communication_id": communication_id, "person_id": row.person_id,
                  "channel": row.channel.value, "address": row.address, "label": row.label,
                  "status": DeliveryStatus.PLANNED.value, "created_at": now, "updated_at": now} for row in rows])
            stored = self.session.execute(
                select(deliveries.c.id, deliveries.c.person_id, deliveries.c.channel).where(
                    deliveries.c.communication_id == communication_id,
                    deliveries.c.person_id.in_({row.person_id for row in rows})))
            ids = {(person_id, channel): delivery_id for delivery_id, person_id, channel in stored}
        return [ids[(row.person_id, row.channel.value)] for row in rows]

    def mark_queued(self, delivery_ids: Sequence[str], *, now: datetime) -> None:
        if not delivery_ids:
            return
        with self.session.begin():
            self.session.execute(
                update(deliveries)
                .where(deliveries.c.id.in_(delivery_ids), deliveries.c.status == DeliveryStatus.PLANNED.value)
                .values(status=DeliveryStatus.QUEUED.value, updated_at=now))

    def mark_communication_queued(self, communication_id: str, *, now: datetime) -> None:
        """Every job of the communication is on the queue; it completes once nothing is outstanding."""
        self.mark_communications_queued([communication_id], now=now)

    def mark_communications_queued(self, communication_ids: Sequence[str], *, now: datetime) -> None:
        """mark_communication_queued for several communications: a statement for them all, then the
        completing one (its own transaction, as _complete_if_done says why; correlated per communication)."""
        if not communication_ids:
            return
        ids = sorted(set(communication_ids))
        with self.session.begin():
            planned = select(func.count()).where(deliveries.c.communication_id == communications.c.id)
            self.session.execute(
                update(communications)
                .where(communications.c.id.in_(ids), communications.c.state == "planning")
                .values(state="queued", queued_at=now, planned_count=planned.scalar_subquery()))
        complete_if_nothing_outstanding(self.session, ids, now)

    def delivery_report(self, communication_id: str) -> dict[Channel, dict[DeliveryStatus, int]]:
        with self.session.begin():
            counts = self.session.execute(
                select(deliveries.c.channel, deliveries.c.status, func.count())
                .where(deliveries.c.communication_id == communication_id)
                .group_by(deliveries.c.channel, deliveries.c.status))
            report: dict[Channel, dict[DeliveryStatus, int]] = {}
            for channel, status, count in counts:
                report.setdefault(Channel(channel), {})[DeliveryStatus(status)] = count
        return report

    def communication_state(self, communication_id: str) -> str | None:
        with self.session.begin():
            return self.session.execute(
                select(communications.c.state).where(communications.c.id == communication_id)).scalar()

    # --- The workers. ---

    def load_page(self, job: DeliveryJob) -> JobPage:
        with self.session.begin():
            row = self.session.execute(
                select(communications.c.id, communications.c.district_id, communications.c.kind,
                       communications.c.subject, communications.c.body, communications.c.priority,
                       communications.c.with_call)
                .where(communications.c.id == job.communication_id)).one_or_none()
            if row is None:
                return JobPage(None, ())
            page = tuple(self._page_deliveries(job))
            kind = Communication(row.kind)
            if kind in WITH_PERSONAL_VALUES and page:
                page = self._with_personal(job.communication_id, page)
            languages = PageLanguages(self.session).of(job.communication_id, page)
            if languages is not None:
                page = languages.page
            fell_back = [delivery.id for delivery in page if delivery.status is DeliveryStatus.FELL_BACK]
            unqueued = self._unqueued_fallbacks(fell_back) if fell_back else ()
        content = CommunicationContent(row.id, row.district_id, kind, row.subject, row.body,
                                       row.priority, row.with_call)
        if languages is not None:
            content = replace(content, original_language=languages.original_language,
                              translations=languages.translations)
        return JobPage(content, page, unqueued)

    def claim_sends(self, communication_id: str, channel: Channel, page: Sequence[PageDelivery], *,
                    job_id: str, now: datetime) -> set[str]:
        if not page:
            return set()
        upsert = self._insert(send_ledger)
        # A key already in the ledger is skipped, except one this same job left 'sending': the worker
        # that wrote it died before the provider answered, so at-least-once says send it again.
        claim = upsert.on_conflict_do_update(
            index_elements=["communication_id", "person_id", "channel"],
            set_={"written_at": upsert.excluded.written_at},
            where=and_(send_ledger.c.state == SENDING, send_ledger.c.job_id == upsert.excluded.job_id),
        ).returning(send_ledger.c.delivery_id)
        # Executemany: SQLAlchemy sends it as a few multi-row statements, compiled once and cached.
        with self.session.begin():
            return set(self.session.execute(claim, [
                {"communication_id": communication_id, "person_id": delivery.person_id, "channel": channel.value,
                 "delivery_id": delivery.id, "state": SENDING, "job_id": job_id, "written_at": now}
                for delivery in page]).scalars())

    def record_answers(self, communication_id: str, channel: Channel, answers: Mapping[str, ProviderReceipt], *,
                       job_id: str, now: datetime) -> None:
        """One statement, on PostgreSQL one round trip (adapters.ledger_answers): it runs between two SMS."""
        rows = answer_rows(communication_id, channel, answers, job_id=job_id, now=now)
        if not rows:
            return
        if self.session.get_bind().dialect.name == "postgresql":
            if self._answers is None:
                self._answers = AnswerConnection(self.session.get_bind())
            self._answers.keep(rows)
            return
        with self.session.begin():
            self.session.execute(KEEP_ANSWER, rows)

    def answered_sends(self, communication_id: str, channel: Channel, page: Sequence[PageDelivery], *,
                       job_id: str) -> dict[str, ProviderReceipt]:
        with self.session.begin():
            rows = self.session.execute(
                select(send_ledger.c.delivery_id, send_ledger.c.outcome, send_ledger.c.provider_message_id,
                       send_ledger.c.provider_code, send_ledger.c.reason)
                .where(send_ledger.c.communication_id == communication_id, send_ledger.c.channel == channel.value,
                       send_ledger.c.person_id.in_([delivery.person_id for delivery in page]),
                       send_ledger.c.state == ANSWERED, send_ledger.c.job_id == job_id)).all()
        return {row.delivery_id: ProviderReceipt(row.delivery_id, Outcome(row.outcome), row.provider_message_id,
                                                 row.provider_code, row.reason) for row in rows}

    def deliver_to_inbox(self, communication_id: str, page: Sequence[PageDelivery], *, now: datetime) -> int:
        """The inbox's unique (person, communication) is this channel's ledger: a replay adds nothing."""
        if not page:
            return 0
        with self.session.begin():
            added = self.session.execute(
                self._insert(inbox_items).on_conflict_do_nothing(index_elements=["person_id", "communication_id"])
                .returning(inbox_items.c.person_id),
                [{"id": new_id(), "person_id": delivery.person_id, "communication_id": communication_id,
                  "created_at": now} for delivery in page]).scalars().all()
            results = [DeliveryResult(delivery.id, delivery.person_id, DeliveryStatus.DELIVERED, None,
                                      attempted=True, ledger=LedgerAction.NONE) for delivery in page]
            self._update_deliveries(results, now)
            self._insert_events([_event(result) for result in results], now)
        self._complete_if_done(communication_id, now)
        return len(added)

    def device_tokens(self, person_ids: Sequence[str]) -> dict[str, list[str]]:
        with self.session.begin():
            return tokens_of(self.session, person_ids)

    def forget_device_tokens(self, tokens: Sequence[str]) -> None:
        with self.session.begin():
            forget_tokens(self.session, tokens)

    def load_fallback_context(self, communication: CommunicationContent,
                              person_ids: Sequence[str]) -> FallbackContext:
        """Its own transaction, or the caller's when one is open (a webhook's). A conversation message a
        moderator hid has nobody to fall back to: what failed is not sent again on another channel."""
        hidden = select(conversation_messages.c.id).where(
            conversation_messages.c.communication_id == communication.id,
            conversation_messages.c.hidden_at.is_not(None)).exists()
        with self._unit():
            people = self.session.execute(
                select(recipients.c.person_id, recipients.c.given_name, recipients.c.kinds,
                       recipients.c.student_account_enabled, recipients.c.joined, recipients.c.email,
                       recipients.c.mobile_phone, preferences.c.preference)
                .outerjoin(preferences, preferences.c.person_id == recipients.c.person_id)
                .where(recipients.c.person_id.in_(person_ids), ~hidden)).all()
            emails = {person.email for person in people if person.email}
            phones = {person.mobile_phone for person in people if person.mobile_phone}
            health = self._health(emails, phones)
            sharing = dict(self.session.execute(
                select(recipients.c.mobile_phone, func.count())
                .where(recipients.c.mobile_phone.in_(phones), recipients.c.archived.is_(False))
                .group_by(recipients.c.mobile_phone)).all()) if phones else {}
            used: dict[str, set[Channel]] = {}
            for person_id, channel in self.session.execute(
                    select(deliveries.c.person_id, deliveries.c.channel).where(
                        deliveries.c.communication_id == communication.id, deliveries.c.person_id.in_(person_ids))):
                used.setdefault(person_id, set()).add(Channel(channel))
            district_default = self.session.execute(
                select(district_settings.c.default_preference)
                .where(district_settings.c.district_id == communication.district_id)).scalar()
        plan_recipients = {
            person.person_id: PlanRecipient(
                person_id=person.person_id,
                given_name=person.given_name or "",
                is_student=is_student(person.kinds),
                student_account_enabled=person.student_account_enabled,
                joined=person.joined,
                preference=Preference(person.preference) if person.preference else None,
                email=person.email,
                email_state=health.get((CredentialKind.EMAIL, person.email), CredentialState.GOOD),
                mobile_phone=person.mobile_phone,
                mobile_state=health.get((CredentialKind.MOBILE_PHONE, person.mobile_phone), CredentialState.GOOD),
                mobile_shared_with=max(0, sharing.get(person.mobile_phone, 1) - 1),
            )
            for person in people
        }
        request = PlanRequest(communication.kind, priority=communication.priority, with_call=communication.with_call,
                              district_default=parse_district_default(district_default))
        return FallbackContext(request, plan_recipients,
                               {person_id: frozenset(channels) for person_id, channels in used.items()})

    def record_job(self, record: JobRecord, *, now: datetime) -> list[tuple[str, Channel]]:
        with self.session.begin():
            created = self.write_record(record, now=now)
        self._complete_if_done(record.communication_id, now)
        return created

    def write_record(self, record: JobRecord, *, now: datetime) -> list[tuple[str, Channel]]:
        """record_job's writes inside the caller's open transaction; the caller then calls
        complete_if_done once that transaction has committed (never from inside it)."""
        return self.write_records([record], now=now)[0]

    def write_records(self, records: Sequence[JobRecord], *, now: datetime) -> list[list[tuple[str, Channel]]]:
        """write_record for many pages in the caller's open transaction, with one statement per kind for every
        page of a round (the fallbacks aside, rare and per page): pages that share no delivery and no credential
        go in one round, so writing them together is writing them one after the other. A page that shares one
        with an earlier page starts the next round and sees what that page wrote. Each page's created fallbacks,
        in the order of `records`."""
        created: list[list[tuple[str, Channel]]] = []
        for round_ in _disjoint_rounds(records):
            results_of = []
            events: dict[EventSource, list[dict]] = {}
            for record in round_:
                fallbacks = self._insert_fallbacks(record.communication_id, record.fallbacks, now)
                replaced = {failed_id for _, _, failed_id in fallbacks}
                results = [replace(result, status=DeliveryStatus.FELL_BACK)
                           if result.delivery_id in replaced else result for result in record.results]
                results_of.append((record, results))
                events.setdefault(record.source, []).extend([_event(result) for result in results] + [
                    {"delivery_id": fallback_id, "status": DeliveryStatus.PLANNED.value, "outcome": None,
                     "provider_code": None, "reason": f"fallback after {record.channel.value} failed"}
                    for fallback_id, _, _ in fallbacks])
                created.append([(fallback_id, channel) for fallback_id, channel, _ in fallbacks])
            self._update_deliveries([result for _, results in results_of for result in results], now)
            settle_ledgers(self.session, [(record.communication_id, record.channel, results)
                                          for record, results in results_of], fallback=self._settle_ledger)
            for source, rows in events.items():
                self._insert_events(rows, now, source=source)
            self._apply_credential_changes([change for record in round_ for change in record.credentials], now)
        return created

    def complete_if_done(self, communication_id: str, *, now: datetime) -> None:
        self._complete_if_done(communication_id, now)

    def communication_content(self, communication_id: str) -> CommunicationContent | None:
        """Its own transaction, or the caller's when one is open (a webhook's)."""
        with self._unit():
            row = self.session.execute(
                select(communications.c.id, communications.c.district_id, communications.c.kind,
                       communications.c.subject, communications.c.body, communications.c.priority,
                       communications.c.with_call)
                .where(communications.c.id == communication_id)).one_or_none()
        if row is None:
            return None
        return CommunicationContent(row.id, row.district_id, Communication(row.kind), row.subject, row.body,
                                    row.priority, row.with_call)

    def apply_credential_changes(self, changes: Sequence[CredentialChange], *, now: datetime) -> None:
        """Mark credentials bad or opted out, count soft failures (bad after SOFT_FAILURES_BEFORE_BAD in a
        row), clear the count on a delivery. Opted out stays opted out: only START clears it."""
        with self.session.begin():
            self._apply_credential_changes(changes, now)

    # --- SQL pieces. ---

    def _apply_credential_changes(self, changes: Sequence[CredentialChange], now: datetime) -> None:
        # Rows go out sorted by key, so two workers touching the same credentials lock them in the
        # same order and cannot deadlock.
        marks: dict[tuple[str, str], CredentialChange] = {}
        soft: Counter[tuple[str, str]] = Counter()
        last_soft: dict[tuple[str, str], CredentialChange] = {}
        delivered: set[tuple[str, str]] = set()
        for change in changes:
            key = (change.kind.value, change.address)
            if change.change in (HealthChange.BAD, HealthChange.OPTED_OUT):
                if key not in marks or change.change is HealthChange.OPTED_OUT:
                    marks[key] = change
            elif change.change is HealthChange.SOFT_FAILURE:
                soft[key] += 1
                last_soft[key] = change
            else:
                delivered.add(key)
        if marks:
            self._mark_credentials(marks, now)
        if soft:
            self._count_soft_failures(soft, last_soft, now)
        if delivered and self.session.get_bind().dialect.name == "postgresql":
            # Nearly every delivery reports one, and most credentials have no row: one statement for the
            # batch, not one each (PostgreSQL ~24 -> 2 us a key, this process ~17 -> 2).
            keys = sorted(delivered)
            self.session.execute(_CLEAR_DELIVERED, {"b_kinds": [kind for kind, _ in keys],
                                                    "b_addresses": [address for _, address in keys], "b_now": now})
        elif delivered:
            self.session.execute(
                update(credential_health)
                .where(credential_health.c.kind == bindparam("b_kind"),
                       credential_health.c.address == bindparam("b_address"))
                .values(soft_failures=0, last_outcome="delivered", updated_at=now),
                [{"b_kind": kind, "b_address": address} for kind, address in sorted(delivered)])

    def _page_deliveries(self, job: DeliveryJob) -> Iterable[PageDelivery]:
        kind = CREDENTIAL_OF_CHANNEL.get(job.channel)
        query = select(deliveries.c.id, deliveries.c.person_id, deliveries.c.channel, deliveries.c.address,
                       deliveries.c.label, deliveries.c.status, deliveries.c.attempts,
                       credential_health.c.state, credential_health.c.reason)
        query = query.select_from(deliveries.outerjoin(credential_health, and_(
            credential_health.c.kind == (kind.value if kind else None),
            credential_health.c.address == deliveries.c.address)))
        # By primary key only, the job's communication and channel checked here: with those in the WHERE,
        # PostgreSQL planned a fresh district-wide announcement (statistics not yet analysed) as a walk of
        # the communication's whole index range: 88 ms for a page of 50, against under 1 ms by key.
        rows = self.session.execute(query.add_columns(deliveries.c.communication_id)
                                    .where(deliveries.c.id.in_(job.delivery_ids)))
        for row in rows:
            if row.communication_id != job.communication_id or row.channel != job.channel.value:
                continue
            yield PageDelivery(row.id, row.person_id, Channel(row.channel), row.address, row.label,
                               DeliveryStatus(row.status), row.attempts,
                               CredentialState(row.state) if row.state else CredentialState.GOOD, row.reason)

    def _with_personal(self, communication_id: str, page: tuple[PageDelivery, ...]) -> tuple[PageDelivery, ...]:
        """The page's deliveries, each with what the message says to its person only (an invitation's link)."""
        values = dict(self.session.execute(
            select(communication_personal.c.person_id, communication_personal.c.content).where(
                communication_personal.c.communication_id == communication_id,
                communication_personal.c.person_id.in_(sorted({delivery.person_id for delivery in page})))).all())
        return tuple(replace(delivery, personal=values.get(delivery.person_id)) for delivery in page)

    def _unqueued_fallbacks(self, failed_ids: Sequence[str]) -> tuple[tuple[str, Channel], ...]:
        rows = self.session.execute(select(deliveries.c.id, deliveries.c.channel).where(
            deliveries.c.fallback_of.in_(failed_ids), deliveries.c.status == DeliveryStatus.PLANNED.value))
        return tuple((delivery_id, Channel(channel)) for delivery_id, channel in rows)

    def _health(self, emails: set[str], phones: set[str]) -> dict[tuple[CredentialKind, str], CredentialState]:
        if not emails and not phones:
            return {}
        rows = self.session.execute(
            select(credential_health.c.kind, credential_health.c.address, credential_health.c.state).where(or_(
                and_(credential_health.c.kind == CredentialKind.EMAIL.value, credential_health.c.address.in_(emails)),
                and_(credential_health.c.kind == CredentialKind.MOBILE_PHONE.value,
                     credential_health.c.address.in_(phones)))))
        return {(CredentialKind(kind), address): CredentialState(state) for kind, address, state in rows}

    def _insert_fallbacks(self, communication_id: str, fallbacks: Sequence[Fallback],
                          now: datetime) -> list[tuple[str, Channel, str]]:
        if not fallbacks:
            return []
        # A fallback that collides with a delivery this communication already has is not created, and
        # the failed delivery then stays failed rather than fell_back.
        created = self.session.execute(
            self._insert(deliveries).on_conflict_do_nothing(index_elements=["communication_id", "person_id", "channel"])
            .returning(deliveries.c.id, deliveries.c.channel, deliveries.c.fallback_of),
            [{"id": new_id(), "communication_id": communication_id, "person_id": fallback.person_id,
              "channel": fallback.channel.value, "address": fallback.address, "label": fallback.label,
              "status": DeliveryStatus.PLANNED.value, "fallback_of": fallback.failed_delivery_id,
              "created_at": now, "updated_at": now} for fallback in fallbacks])
        return [(delivery_id, Channel(channel), failed_id) for delivery_id, channel, failed_id in created]

    def _update_deliveries(self, results: Sequence[DeliveryResult], now: datetime) -> None:
        # Most of a page ends the same way (an email batch shares even its provider message id), and
        # one UPDATE ... WHERE id IN (...) per outcome costs far less than one row each, which is
        # what psycopg2 does with an executemany UPDATE. On PostgreSQL, rows that differ only in their
        # message id (a page of SMS) go as one UPDATE ... FROM unnest(); elsewhere as executemany.
        pairs_in_one = self.session.get_bind().dialect.name == "postgresql"
        groups: dict[tuple, list[tuple[str, str | None]]] = {}
        for result in results:
            key = (result.status, result.reason, result.provider_code, int(result.attempted))
            if not pairs_in_one:
                key += (result.provider_message_id,)
            groups.setdefault(key, []).append((result.delivery_id, result.provider_message_id))
        alone = []
        for (status, reason, code, attempted, *_), rows in groups.items():
            values = {"b_rank": STATUS_RANK[status], "b_status": status.value, "b_reason": reason, "b_code": code,
                      "b_attempted": attempted, "b_now": now}
            message_ids = {message_id for _, message_id in rows}
            if pairs_in_one and len(message_ids) > 1:
                self.session.execute(_STATUS_UPDATE_FROM_PAIRS, {
                    **values, "b_ids": [delivery_id for delivery_id, _ in rows],
                    "b_message_ids": [message_id for _, message_id in rows]})
            elif len(rows) == 1:
                alone.append({**values, "b_id": rows[0][0], "b_message_id": rows[0][1]})
            else:
                self.session.execute(_STATUS_UPDATE.where(deliveries.c.id.in_(bindparam("b_ids", expanding=True))),
                                     {**values, "b_message_id": message_ids.pop(),
                                      "b_ids": [delivery_id for delivery_id, _ in rows]})
        if alone:
            self.session.execute(_STATUS_UPDATE.where(deliveries.c.id == bindparam("b_id")), alone)

    def _settle_ledger(self, communication_id: str, channel: Channel, results: Sequence[DeliveryResult]) -> None:
        key = and_(send_ledger.c.communication_id == communication_id, send_ledger.c.channel == channel.value)
        sent = [result.person_id for result in results if result.ledger is LedgerAction.MARK_SENT]
        released = [result.person_id for result in results if result.ledger is LedgerAction.RELEASE]
        if sent:
            self.session.execute(update(send_ledger).where(key, send_ledger.c.person_id.in_(sent)).values(state=SENT))
        if released:
            self.session.execute(send_ledger.delete().where(
                key, send_ledger.c.person_id.in_(released), send_ledger.c.state.in_((SENDING, ANSWERED))))

    def _insert_events(self, events: Sequence[dict], now: datetime,
                       source: EventSource = EventSource.WORKER) -> None:
        # A row per delivery of a page or a webhook batch: as arrays on PostgreSQL (adapters/bulk_insert.py),
        # where SQLAlchemy's executemany spent ~15 us of the process's CPU on each row.
        if events:
            insert_rows(self.session, delivery_events, {"source": source.value, "occurred_at": now}, {
                "id": [new_id() for _ in events],
                **{name: [event[name] for event in events] for name in _EVENT_COLUMNS}})

    def _mark_credentials(self, marks: Mapping[tuple[str, str], CredentialChange], now: datetime) -> None:
        upsert = self._insert(credential_health)
        opted_out = credential_health.c.state == CredentialState.OPTED_OUT.value
        self.session.execute(upsert.on_conflict_do_update(
            index_elements=["kind", "address"],
            set_={"state": case((opted_out, credential_health.c.state), else_=upsert.excluded.state),
                  "reason": case((opted_out, credential_health.c.reason), else_=upsert.excluded.reason),
                  "last_outcome": upsert.excluded.last_outcome, "updated_at": upsert.excluded.updated_at}),
            [{"kind": kind, "address": address, "state": change.change.value, "reason": change.reason,
              "last_outcome": change.outcome.value if change.outcome else None, "soft_failures": 0,
              "updated_at": now} for (kind, address), change in sorted(marks.items())])

    def _count_soft_failures(self, counts: Mapping[tuple[str, str], int],
                             last: Mapping[tuple[str, str], CredentialChange], now: datetime) -> None:
        upsert = self._insert(credential_health)
        total = credential_health.c.soft_failures + upsert.excluded.soft_failures
        turns_bad = and_(credential_health.c.state == CredentialState.GOOD.value, total >= SOFT_FAILURES_BEFORE_BAD)
        still_good = credential_health.c.state == CredentialState.GOOD.value
        # The inserted row's reason carries the "turned bad" prefix only when this page alone turned it bad.
        already_prefixed = upsert.excluded.state == CredentialState.BAD.value
        self.session.execute(upsert.on_conflict_do_update(
            index_elements=["kind", "address"],
            set_={"soft_failures": total,
                  "state": case((turns_bad, CredentialState.BAD.value), else_=credential_health.c.state),
                  "reason": case((and_(turns_bad, already_prefixed), upsert.excluded.reason),
                                 (turns_bad, literal(_REPEATED) + func.coalesce(upsert.excluded.reason, "")),
                                 (still_good, upsert.excluded.reason), else_=credential_health.c.reason),
                  "last_outcome": upsert.excluded.last_outcome, "updated_at": upsert.excluded.updated_at}),
            [{"kind": kind, "address": address,
              "state": (CredentialState.BAD if count >= SOFT_FAILURES_BEFORE_BAD else CredentialState.GOOD).value,
              "reason": _soft_reason(last[(kind, address)].reason, turned_bad=count >= SOFT_FAILURES_BEFORE_BAD),
              "last_outcome": last[(kind, address)].outcome.value if last[(kind, address)].outcome else None,
              "soft_failures": count, "updated_at": now} for (kind, address), count in sorted(counts.items())])

    def _complete_if_done(self, communication_id: str, now: datetime) -> None:
        """Its own transaction, after the caller's committed: two workers finishing the last two pages
        at once would each see the other's page still outstanding from inside their transactions; the
        one that commits last sees both from here."""
        outstanding = select(deliveries.c.id).where(
            deliveries.c.communication_id == communication_id, deliveries.c.status.in_(_SENDABLE)).exists()
        with self.session.begin():
            self.session.execute(
                update(communications)
                .where(communications.c.id == communication_id, communications.c.state == "queued", ~outstanding)
                .values(state="completed", completed_at=now))

    def _unit(self):
        return nullcontext() if self.session.in_transaction() else self.session.begin()

    def _insert(self, table: Table):
        return dialect_insert(self.session, table)


def complete_if_nothing_outstanding(session: Session, communication_ids: Sequence[str], now: datetime) -> None:
    """Complete the queued ones of these communications with nothing left to send, in a transaction of its own
    after the caller's committed (DeliveryRepository._complete_if_done says why)."""
    outstanding = select(deliveries.c.id).where(
        deliveries.c.communication_id == communications.c.id, deliveries.c.status.in_(_SENDABLE)).exists()
    with session.begin():
        session.execute(
            update(communications)
            .where(communications.c.id.in_(sorted(set(communication_ids))), communications.c.state == "queued",
                   ~outstanding)
            .values(state="completed", completed_at=now))


_REPEATED = f"{SOFT_FAILURES_BEFORE_BAD} soft failures in a row; last: "


def _soft_reason(reason: str | None, *, turned_bad: bool) -> str | None:
    return _REPEATED + (reason or "") if turned_bad else reason


# The rows that exist, locked in key order (byte order, as Python sorts the keys for every other write of
# credential_health), so two transactions touching the same credentials cannot deadlock; then cleared.
_CLEAR_DELIVERED = text("""
    WITH locked AS (
        SELECT c.kind, c.address FROM credential_health c
        JOIN unnest(:b_kinds, :b_addresses) AS k(kind, address) ON c.kind = k.kind AND c.address = k.address
        ORDER BY c.kind COLLATE "C", c.address COLLATE "C"
        FOR UPDATE OF c)
    UPDATE credential_health c SET soft_failures = 0, last_outcome = 'delivered', updated_at = :b_now
    FROM locked WHERE c.kind = locked.kind AND c.address = locked.address
""").bindparams(bindparam("b_kinds", type_=ARRAY(Text)), bindparam("b_addresses", type_=ARRAY(Text)))

_EVENT_COLUMNS = ("delivery_id", "status", "outcome", "provider_code", "reason")


def _event(result: DeliveryResult) -> dict:
    return {"delivery_id": result.delivery_id, "status": result.status.value,
            "outcome": result.outcome.value if result.outcome else None,
            "provider_code": result.provider_code, "reason": result.reason}

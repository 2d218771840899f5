"""The recipient repository on SQLite and PostgreSQL: one unit of work per page, a fixed number of
statements whatever the page size, and concurrent pages that wait for each other."""
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import eventlet
import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from services.notify import handlers
from services.notify.adapters.repository import RecipientRepository
from services.notify.adapters.tables import recipient_schools, recipients
from shared.contracts import directory, identity
from shared.db import make_engine
from tests.unit.notify.notify_factories import make_account_change, make_person_change

NOW = datetime(2025, 9, 1, 8, 0, tzinfo=timezone.utc)


def accounts_upserted(person_ids) -> dict:
    return identity.ACCOUNTS_UPSERTED.load(
        {"accounts": [make_account_change(person_id=person_id) for person_id in person_ids]})


def people_upserted(person_ids, **overrides) -> dict:
    return directory.PEOPLE_UPSERTED.load(
        {"people": [make_person_change(person_id=person_id, **overrides) for person_id in person_ids]})


def person_ids(count: int) -> list[str]:
    return [f"p-{number:05d}" for number in range(count)]


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


def test_a_page_costs_the_same_number_of_statements_whatever_its_size(recipients_repository, notify_engine):
    def project(page_size: int, prefix: str) -> int:
        ids = [f"{prefix}-{person_id}" for person_id in person_ids(page_size)]
        return count_statements(notify_engine, lambda: handlers.project_people_upserted(
            people_upserted(ids), recipients=recipients_repository, clock=lambda: NOW))

    assert project(5, "small") == project(900, "large")


def test_a_whole_page_of_new_people_is_stored_and_found(recipients_repository):
    ids = person_ids(1200)

    stored = handlers.project_accounts_upserted(accounts_upserted(ids), recipients=recipients_repository,
                                                clock=lambda: NOW)

    assert stored == 1200
    assert {recipient.person_id for recipient in recipients_repository.find(ids)} == set(ids)


def test_changing_a_persons_schools_replaces_their_school_rows(recipients_repository, notify_engine):
    for schools in (["s-1", "s-2"], ["s-2", "s-3"]):
        handlers.project_people_upserted(people_upserted(["p-1", "p-2"], school_ids=schools),
                                         recipients=recipients_repository, clock=lambda: NOW)

    with notify_engine.connect() as connection:
        rows = connection.execute(select(recipient_schools).order_by("person_id", "school_id")).all()
    assert [tuple(row) for row in rows] == [("p-1", "s-2"), ("p-1", "s-3"), ("p-2", "s-2"), ("p-2", "s-3")]
    assert recipients_repository.find(["p-1"])[0].school_ids == ("s-2", "s-3")


def test_a_redelivered_page_leaves_rows_and_their_updated_at_alone(recipients_repository, notify_engine):
    page = people_upserted(["p-1", "p-2"])
    handlers.project_people_upserted(page, recipients=recipients_repository, clock=lambda: NOW)

    redelivered = handlers.project_people_upserted(page, recipients=recipients_repository,
                                                   clock=lambda: NOW + timedelta(hours=1))

    assert redelivered == 0
    with notify_engine.connect() as connection:
        stamps = connection.execute(select(recipients.c.updated_at)).scalars().all()
    assert {stamp.replace(tzinfo=None) for stamp in stamps} == {NOW.replace(tzinfo=None)}


def test_a_page_that_fails_midway_leaves_nothing_behind(recipients_repository):
    def fail(current):
        raise RuntimeError("the merge broke")

    with pytest.raises(RuntimeError):
        recipients_repository.update_page(["p-1", "p-2"], fail, now=NOW)

    assert recipients_repository.find(["p-1", "p-2"]) == []


def test_a_page_waits_for_a_concurrent_page_on_the_same_people_instead_of_overwriting_it(
        notify_database_url):
    # People notify already knows: new rows are serialized by their insert, known ones by the lock.
    engine = make_engine(notify_database_url)
    handlers.project_accounts_upserted(accounts_upserted(["p-1", "p-2"]),
                                       recipients=RecipientRepository(Session(engine)), clock=lambda: NOW)
    first_holds_its_rows = eventlet.event.Event()

    def identity_page_that_lingers(current):
        first_holds_its_rows.send()
        # Long enough for the directory page to read the rows, were they not locked.
        eventlet.sleep(0.3)
        return [replace(recipient, email="new@example.org") for recipient in current.values()]

    def directory_page_while_the_first_is_open():
        first_holds_its_rows.wait()
        handlers.project_people_upserted(people_upserted(["p-1", "p-2"]),
                                         recipients=RecipientRepository(Session(engine)), clock=lambda: NOW)

    try:
        second = eventlet.spawn(directory_page_while_the_first_is_open)
        RecipientRepository(Session(engine)).update_page(["p-1", "p-2"], identity_page_that_lingers, now=NOW)
        second.wait()
        found = RecipientRepository(Session(engine)).find(["p-1", "p-2"])
    finally:
        engine.dispose()

    assert [(recipient.email, recipient.kinds) for recipient in found] == [
        ("new@example.org", ("guardian",)), ("new@example.org", ("guardian",))]


def test_two_pages_creating_the_same_new_people_at_once_both_count(notify_database_url):
    # The page that inserts second finds the people created meanwhile and applies itself over them.
    engine = make_engine(notify_database_url)
    first_has_read = eventlet.event.Event()

    def identity_page_that_lingers(current):
        # Called again when the page is applied over the people the other created.
        if not first_has_read.ready():
            first_has_read.send()
            # Long enough for the directory page to create the people and commit.
            eventlet.sleep(0.3)
        return [replace(recipient, email="new@example.org") for recipient in current.values()]

    def directory_page_while_the_first_is_open():
        first_has_read.wait()
        handlers.project_people_upserted(people_upserted(["p-1", "p-2"], school_ids=["s-1"]),
                                         recipients=RecipientRepository(Session(engine)), clock=lambda: NOW)

    try:
        second = eventlet.spawn(directory_page_while_the_first_is_open)
        stored = RecipientRepository(Session(engine)).update_page(["p-1", "p-2"], identity_page_that_lingers,
                                                                  now=NOW)
        second.wait()
        found = RecipientRepository(Session(engine)).find(["p-1", "p-2"])
    finally:
        engine.dispose()

    assert stored == 2
    assert [(recipient.email, recipient.kinds, recipient.school_ids) for recipient in found] == [
        ("new@example.org", ("guardian",), ("s-1",)), ("new@example.org", ("guardian",), ("s-1",))]

"""notify's events commit in the transaction of the change they describe, on PostgreSQL: a process killed right
after the change's commit still has its event in the outbox (no later commit is needed), and a commit the
database refuses leaves neither the change nor its event. A repeated flag, which changes nothing, announces
nothing."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import OperationalError

from services.notify.adapters.store import NotifyStore
from services.notify.adapters.tables import (
    communications,
    conversation_messages,
    conversation_participants,
    conversations,
    invitation_jobs,
    message_flags,
    status_resets,
)
from services.notify.handlers_announcements import send_announcement
from services.notify.handlers_credentials import reset_credential_status
from services.notify.handlers_invitations import start_invitations
from services.notify.handlers_moderation import flag_message, hide_message
from shared.contracts import identity, moderation, notify
from shared.testing.principals import make_principal
from shared.testing.transaction_faults import DiesAfter, ProcessKilled, commits_refused, outbox_events
from tests.integration.notify.notify_service_world import NOW, add_people, make_person, mark

GINA_EMAIL = "gina@example.org"
ADA = make_principal(person_id="ada", display_name="Ada", roles=[{"role": identity.DISTRICT_ADMIN, "school_ids": []}])
AUDIENCE = {"school_id": None, "classroom_id": None, "person_ids": ["gina"], "include_students": True,
            "include_guardians": True, "include_staff": False}
SERVICE_CONTRACT = notify.contract  # tests/conftest.py: service_engine, worker_session, staged_publish


@pytest.fixture
def service_engine(engine):
    return engine


@pytest.fixture
def store(worker_session):
    return NotifyStore(worker_session)


@pytest.fixture
def gina(engine):
    add_people(engine, [make_person("gina", "Gina", "Lopez", email=GINA_EMAIL)])
    mark(engine, "email", GINA_EMAIL, "bad", "address bounced")


def rows(engine, table) -> list:
    with engine.connect() as connection:
        return connection.execute(select(table)).all()


def reset_gina(credentials, publish):
    return reset_credential_status({"person_id": "gina", "kind": "email", "reset_by": "ada", "reason": "fixed"},
                                   credentials=credentials, suppressions=None, publish=publish, clock=lambda: NOW)


def test_a_reset_whose_process_dies_after_its_commit_has_its_status_change_in_the_outbox(
        engine, store, staged_publish, gina):
    with pytest.raises(ProcessKilled):
        reset_gina(DiesAfter(store.credentials, "reset"), staged_publish)

    assert len(rows(engine, status_resets)) == 1
    assert outbox_events(engine) == [(notify.CREDENTIAL_STATUS_CHANGED.name, {
        "kind": "email", "address": GINA_EMAIL, "state": "good", "reason": None})]


def test_a_reset_whose_commit_is_refused_leaves_neither_the_reset_nor_its_event(
        engine, worker_session, store, staged_publish, gina):
    with commits_refused(engine, worker_session), pytest.raises(OperationalError):
        reset_gina(store.credentials, staged_publish)

    assert rows(engine, status_resets) == [] and outbox_events(engine) == []


class GinasDirectory:
    """The directory of a district whose every audience is Gina."""

    def resolve_audience(self, payload: dict) -> dict:
        return {"person_ids": ["gina"], "next_after": None, "refused": []}

    def get_district(self, payload: dict) -> dict:
        return {"id": "district-1", "name": "Springfield"}


def announce(communications, publish):
    return send_announcement({"sender": ADA, "audience": AUDIENCE, "subject": "Snow day", "body": "Closed.",
                              "priority": False, "with_call": False},
                             directory_rpc=GinasDirectory(), communications=communications, publish=publish,
                             clock=lambda: NOW, new_id=lambda: "comm-1")


def test_an_announcement_whose_process_dies_after_its_commit_is_requested_in_the_outbox(
        engine, store, staged_publish, gina):
    with pytest.raises(ProcessKilled):
        announce(DiesAfter(store.communications, "create_announcement"), staged_publish)

    assert [row.id for row in rows(engine, communications)] == ["comm-1"]
    assert outbox_events(engine) == [(notify.ANNOUNCEMENT_REQUESTED.name, {"communication_id": "comm-1"})]


def test_an_announcement_whose_commit_is_refused_leaves_neither_it_nor_its_request(
        engine, worker_session, store, staged_publish, gina):
    with commits_refused(engine, worker_session), pytest.raises(OperationalError):
        announce(store.communications, staged_publish)

    assert rows(engine, communications) == [] and outbox_events(engine) == []


@dataclass
class InvitationPorts:
    invitations: object
    publish: object
    directory_rpc: GinasDirectory = field(default_factory=GinasDirectory)
    clock: object = lambda: NOW


def test_an_invitation_job_whose_process_dies_after_its_commit_is_requested_in_the_outbox(
        engine, store, staged_publish, gina):
    ports = InvitationPorts(DiesAfter(store.invitations, "create_communication"), staged_publish)

    with pytest.raises(ProcessKilled):
        start_invitations({"inviter": ADA, "audience": {"school_id": "school-1", "classroom_id": None,
                                                        "kinds": ["guardians"]}},
                          ports=ports, new_id=iter(["job-1", "comm-1"]).__next__)

    assert [row.id for row in rows(engine, invitation_jobs)] == ["job-1"]
    assert outbox_events(engine) == [(notify.INVITATIONS_REQUESTED.name, {"job_id": "job-1"})]


@pytest.fixture
def conversation(engine):
    """Tess wrote to Gina; Gina may flag it, Ada (the district's administrator) may hide it."""
    add_people(engine, [make_person("tess", "Tess", "Hale", kinds=["staff"], roles=["teacher"])])
    with engine.begin() as connection:
        connection.execute(insert(conversations).values(id="conv-1", district_id="district-1", started_by="tess",
                                                        created_at=NOW, last_message_at=NOW))
        connection.execute(insert(conversation_participants), [
            {"conversation_id": "conv-1", "person_id": "tess", "position": 0, "role": "staff"},
            {"conversation_id": "conv-1", "person_id": "gina", "position": 1, "role": "family"}])
        connection.execute(insert(conversation_messages).values(
            id="msg-1", conversation_id="conv-1", author_id="tess", possible_author_ids=[], via="app",
            text="Please see me.", attachments=[], created_at=NOW))


GINA = make_principal(person_id="gina", display_name="Gina",
                      roles=[{"role": identity.GUARDIAN, "school_ids": ["school-1"]}])


def flag(moderation, publish):
    return flag_message({"viewer": GINA, "conversation_id": "conv-1", "message_id": "msg-1", "reason": "rude"},
                        store=moderation, publish=publish, clock=lambda: NOW)


def test_a_hidden_message_whose_process_dies_after_its_commit_has_its_decision_in_the_outbox(
        engine, store, staged_publish, gina, conversation):
    with pytest.raises(ProcessKilled):
        hide_message({"viewer": ADA, "message_id": "msg-1", "reason": "unkind"},
                     store=DiesAfter(store.moderation, "set_hidden"), publish=staged_publish, clock=lambda: NOW)

    with engine.connect() as connection:
        assert connection.execute(select(conversation_messages.c.hidden_by)).scalar() == "ada"
    [(event, payload)] = outbox_events(engine)
    assert (event, payload["action"], payload["hidden_after"]) == (
        notify.CONTENT_MODERATED.name, moderation.HIDDEN, True)


def test_a_flag_is_announced_with_its_commit_and_a_repeat_flag_announces_nothing(
        engine, worker_session, store, staged_publish, gina, conversation):
    with pytest.raises(ProcessKilled):
        flag(DiesAfter(store.moderation, "add_flag"), staged_publish)
    worker_session.close()  # the process that died took its session with it

    flag(store.moderation, staged_publish)  # Gina flags it again, in a new process: her first flag answers
    worker_session.commit()  # what an entrypoint's flush would commit: nothing is left staged

    assert len(rows(engine, message_flags)) == 1
    assert [event for event, _ in outbox_events(engine)] == [notify.CONTENT_MODERATED.name]

"""Builders for notify service tests against a real database: people in the projection, health, a store."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from sqlalchemy import insert, update

from services.notify.adapters.tables import (
    credential_health,
    deliveries,
    preferences,
    recipient_schools,
    recipients,
)
from services.notify.domain.delivery import Channel, NewDelivery

NOW = datetime(2025, 9, 1, 8, 0, tzinfo=timezone.utc)


def make_person(person_id: str, given_name: str, family_name: str, **overrides) -> dict:
    """A guardian of school-1 in district-1 who has not joined, with no credentials unless given."""
    person = {"person_id": person_id, "district_id": "district-1", "given_name": given_name,
              "family_name": family_name, "email": None, "mobile_phone": None, "kinds": ["guardian"],
              "roles": ["guardian"], "joined": False, "student_account_enabled": False, "archived": False,
              "in_directory": True, "school_ids": ["school-1"]}
    return {**person, **overrides}


def add_people(engine, people: Iterable[dict]) -> None:
    people = list(people)
    with engine.begin() as connection:
        connection.execute(insert(recipients), [
            {key: value for key, value in person.items() if key != "school_ids"} for person in people])
        memberships = [{"person_id": person["person_id"], "school_id": school_id}
                       for person in people for school_id in person["school_ids"]]
        if memberships:
            connection.execute(insert(recipient_schools), memberships)


def choose(engine, **chosen: str) -> None:
    """choose(engine, hal="sms_app"): people's own preferences."""
    with engine.begin() as connection:
        connection.execute(insert(preferences), [
            {"person_id": person_id, "preference": preference, "chosen_at": NOW, "chosen_by": person_id}
            for person_id, preference in chosen.items()])


def mark(engine, kind: str, address: str, state: str, reason: str | None = None) -> None:
    with engine.begin() as connection:
        connection.execute(insert(credential_health).values(kind=kind, address=address, state=state, reason=reason,
                                                            updated_at=NOW))


class RecordedJobs(list):
    """Stands in for the DeliveryPublisher: keeps every job it is asked to publish."""

    def publish_jobs(self, jobs) -> None:
        self.extend(jobs)

    def publish_later(self, delayed) -> None:
        self.extend(item.job for item in delayed)


class Published(list):
    def __call__(self, event, payload) -> None:
        self.append((event, payload))


GINA_EMAIL, GINA_MOBILE = "gina@example.org", "+15555550101"


def email_sent_to_gina(engine, store) -> str:
    """Gina (an email and a mobile) in the projection and one announcement's email to her, `sent` under the
    provider message id batch-1; its delivery id."""
    add_people(engine, [make_person("gina", "Gina", "Lopez", email=GINA_EMAIL, mobile_phone=GINA_MOBILE)])
    repository = store.deliveries
    communication_id = repository.create_communication(district_id="district-1", kind="announcement",
                                                       subject="Snow day", body="Closed.", now=NOW)
    [email_id] = repository.create_deliveries(communication_id, [NewDelivery("gina", Channel.EMAIL, GINA_EMAIL)],
                                              now=NOW)
    repository.mark_queued([email_id], now=NOW)
    repository.mark_communication_queued(communication_id, now=NOW)
    with engine.begin() as connection:
        connection.execute(update(deliveries).values(status="sent", provider_message_id="batch-1"))
    return email_id

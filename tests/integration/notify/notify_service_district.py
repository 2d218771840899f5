"""A classroom for notify service tests, built as in production: through the real directory's RPCs (which
publish people_upserted to notify) and identity's events (credentials), then preferences through notify.

Room 5 of Lincoln Elementary, taught by Tess:
- Ana, a student whose account is not enabled; her guardians Gina (email + mobile, the default
  preference) and Hal (email + mobile, chose SMS+app);
- Ben, an enabled student with an email and a mobile from the SIS (the default, Email+app); his
  guardians Dana and Dennis, who share one phone and have no email, and Ivy (email, App only, joined).

Also here: the gateway's part in webhooks (forward what the providers post to notify) and a
subscriber that keeps every credential_status_changed event.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from nameko.standalone.events import event_dispatcher

from services.notify.adapters.webhooks import SENDGRID_EVENTS_PATH, TWILIO_INBOUND_PATH, TWILIO_STATUS_PATH
from shared.contracts import directory, identity, notify
from shared.messaging import handles

GINA_EMAIL, GINA_MOBILE = "gina.lopez@example.org", "+15555550101"
HAL_EMAIL, HAL_MOBILE = "hal.baker@example.org", "+15555550102"
BEN_EMAIL, BEN_MOBILE = "ben.okafor@students.example.org", "+15555550103"
ANA_EMAIL = "ana.lopez@students.example.org"
SHARED_PHONE = "+15555550150"
IVY_EMAIL = "ivy.adams@example.org"
OUR_NUMBER = "+15550100000"  # the worker's TWILIO_FROM_NUMBER (worker_processes.provider_env)
WAIT_SECONDS = 60

PEOPLE = [
    ("ana", "Ana", "Lopez", ["student"]), ("ben", "Ben", "Okafor", ["student"]),
    ("gina", "Gina", "Lopez", ["guardian"]), ("hal", "Hal", "Baker", ["guardian"]),
    ("dana", "Dana", "Okafor", ["guardian"]), ("dennis", "Dennis", "Okafor", ["guardian"]),
    ("ivy", "Ivy", "Adams", ["guardian"]), ("tess", "Tess", "Ito", ["staff"]),
]
CREDENTIALS = {"ana": (ANA_EMAIL, None), "ben": (BEN_EMAIL, BEN_MOBILE), "gina": (GINA_EMAIL, GINA_MOBILE),
               "hal": (HAL_EMAIL, HAL_MOBILE), "dana": (None, SHARED_PHONE), "dennis": (None, SHARED_PHONE),
               "ivy": (IVY_EMAIL, None), "tess": ("tess.ito@lincoln.example.org", None)}
LINKS = [("gina", "ana"), ("hal", "ana"), ("dana", "ben"), ("dennis", "ben"), ("ivy", "ben")]


@dataclass
class Classroom:
    district_id: str
    school_id: str
    classroom_id: str
    ids: dict[str, str]  # source id -> person id

    def principal(self, person: str | None, role: str, *, schools: bool = True, permissions=()) -> dict:
        return {"person_id": self.ids[person] if person else "admin-person", "district_id": self.district_id,
                "display_name": person or "admin", "status": "active",
                "roles": [{"role": role, "school_ids": [self.school_id] if schools else []}],
                "permissions": list(permissions)}

    @property
    def tess(self) -> dict:
        return self.principal("tess", identity.TEACHER)

    @property
    def district_admin(self) -> dict:
        return self.principal(None, identity.DISTRICT_ADMIN, schools=False)

    def person(self, person_id: str) -> str:
        return {value: key for key, value in self.ids.items()}[person_id]


def build_classroom(rpc, config: dict) -> Classroom:
    """Roster Room 5 through directory, describe the accounts as identity would, set preferences in notify."""
    directory_rpc, notify_rpc = rpc(directory.contract), rpc(notify.contract)
    district_id = directory_rpc.upsert_district(source_id="lincoln", name="Lincoln USD")["id"]
    [school] = directory_rpc.upsert_schools(district_id=district_id, schools=[
        {"source_id": "lincoln-elem", "name": "Lincoln Elementary"}])["results"]
    [room] = directory_rpc.upsert_classrooms(district_id=district_id, classrooms=[
        {"source_id": "room-5", "school_source_id": "lincoln-elem", "title": "Room 5"}])["results"]
    people = directory_rpc.upsert_people(district_id=district_id, people=[
        {"source_id": source, "given_name": given, "family_name": family, "kinds": kinds,
         "school_source_ids": ["lincoln-elem"]} for source, given, family, kinds in PEOPLE])["results"]
    ids = {result["key"]: result["id"] for result in people}
    directory_rpc.upsert_enrollments(district_id=district_id, enrollments=[
        {"source_id": f"enr-{person}", "classroom_source_id": "room-5", "person_source_id": person, "role": role}
        for person, role in (("ana", "student"), ("ben", "student"), ("tess", "teacher"))])
    directory_rpc.upsert_guardian_links(district_id=district_id, links=[
        {"guardian_source_id": guardian, "student_source_id": student} for guardian, student in LINKS])
    classroom = Classroom(district_id, school["id"], room["id"], ids)
    directory_rpc.enable_student_accounts(viewer=classroom.district_admin, student_ids=[ids["ben"]])

    dispatch = event_dispatcher(config)
    dispatch(identity.NAME, identity.ACCOUNTS_UPSERTED.name, identity.ACCOUNTS_UPSERTED.dump({"accounts": [
        {"person_id": ids[source], "district_id": district_id, "given_name": given, "family_name": family,
         "email": CREDENTIALS[source][0], "mobile_phone": CREDENTIALS[source][1], "status": "invitee",
         "roles": [{"role": "teacher" if source == "tess" else kinds[0], "school_ids": []}]}
        for source, given, family, kinds in PEOPLE]}))
    dispatch(identity.NAME, identity.USER_JOINED.name, identity.USER_JOINED.dump(
        {"person_id": ids["ivy"], "joined_at": datetime.now(timezone.utc)}))
    wait_until(lambda: _projected(notify_rpc, classroom), what="notify's projection of Room 5")
    notify_rpc.set_preference(person_id=ids["hal"], preference="sms_app", changed_by=ids["hal"])
    notify_rpc.set_preference(person_id=ids["ivy"], preference="app_only", changed_by=ids["ivy"])
    return classroom


def _projected(notify_rpc, classroom: Classroom) -> bool:
    recipients = {r["person_id"]: r for r in notify_rpc.get_recipients(person_ids=list(classroom.ids.values()))[
        "recipients"]}
    return len(recipients) == len(PEOPLE) and all(
        r["kinds"] and r["account_status"] for r in recipients.values()) and recipients[
        classroom.ids["ivy"]]["joined"] and recipients[classroom.ids["ben"]]["student_account_enabled"]


KIND_OF_PATH = {TWILIO_STATUS_PATH: "twilio_status", TWILIO_INBOUND_PATH: "twilio_inbound",
                SENDGRID_EVENTS_PATH: "sendgrid_events"}


class GatewayStandIn:
    """What the gateway will do with provider webhooks: hand each one, as received, to notify."""

    def __init__(self, receiver, notify_rpc):
        self._receiver = receiver
        self._notify = notify_rpc
        self._forwarded = 0
        self.answers: list[dict] = []

    def forward(self) -> None:
        received = self._receiver.received()
        for webhook in received[self._forwarded:]:
            answer = self._notify.receive_provider_webhook(
                kind=KIND_OF_PATH[webhook.path], url=webhook.url, headers=dict(webhook.headers.items()),
                body=webhook.body.decode())
            assert answer["accepted"], f"notify refused a webhook the sandbox signed: {webhook.url}"
            self.answers.append(answer)
        self._forwarded = len(received)


class CredentialEventRecorder:
    """A subscriber to notify's credential_status_changed, as identity or a profile cache would be."""

    name = "credential_event_recorder"
    received: list[dict] = []

    @handles(notify.CREDENTIAL_STATUS_CHANGED)
    def on_credential_status_changed(self, payload: dict) -> None:
        self.received.append(payload)


def wait_until(condition: Callable[[], bool], *, what: str, timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)

"""Reset Status: clears bad, refuses opted out naming `kind`, records and announces the change."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.notify.adapters.credentials_repository import (
    GOOD,
    CredentialReport,
    Health,
    PersonCredentials,
    ResetRecord,
)
from services.notify.domain.delivery import CredentialKind, CredentialState
from services.notify.handlers_credentials import get_credential_health, reset_credential_status
from shared.contracts import notify
from shared.contracts.errors import InvalidRequest, NotFound

NOW = datetime(2025, 9, 1, 8, 0, tzinfo=timezone.utc)
GINA = PersonCredentials("gina", "gina@example.org", "+15555550101")


class FakeCredentials:
    def __init__(self, people=(GINA,), health: dict | None = None):
        self.people = {person.person_id: person for person in people}
        self.health = dict(health or {})
        self.resets: list[tuple] = []

    def credentials_of(self, person_ids):
        return {person_id: self.people[person_id] for person_id in person_ids if person_id in self.people}

    def reports_of(self, people):
        return [CredentialReport(person.person_id, kind, address, self.health.get((kind, address), GOOD), "sent")
                for person in people for kind in CredentialKind if (address := person.address(kind))]

    def reset(self, kind, address, *, check, reset_by, reason, now):
        previous = self.health.get((kind, address), GOOD)
        check(previous.state)
        self.health[(kind, address)] = GOOD
        self.resets.append((kind, address, reset_by, reason))
        return ResetRecord(previous, now)


class Published(list):
    def __call__(self, event, payload):
        self.append((event, payload))


def reset(credentials, kind="email", person_id="gina", published=None):
    return reset_credential_status({"person_id": person_id, "kind": kind, "reset_by": "admin-1",
                                    "reason": "family fixed their mailbox"},
                                   credentials=credentials, publish=published if published is not None else Published(),
                                   clock=lambda: NOW)


def test_a_bad_email_is_reset_to_good_recorded_and_announced():
    credentials = FakeCredentials(health={(CredentialKind.EMAIL, GINA.email): Health(
        CredentialState.BAD, "address bounced", NOW)})
    published = Published()

    answer = reset(credentials, published=published)

    assert (answer["previous_state"], answer["previous_reason"], answer["state"]) == ("bad", "address bounced", "good")
    assert credentials.resets == [(CredentialKind.EMAIL, GINA.email, "admin-1", "family fixed their mailbox")]
    assert published == [(notify.CREDENTIAL_STATUS_CHANGED, {"kind": "email", "address": GINA.email,
                                                             "state": "good", "reason": None})]


def test_an_opted_out_mobile_is_not_reset_and_the_refusal_names_kind():
    credentials = FakeCredentials(health={(CredentialKind.MOBILE_PHONE, GINA.mobile_phone): Health(
        CredentialState.OPTED_OUT, "recipient texted STOP", NOW)})
    published = Published()

    with pytest.raises(InvalidRequest) as refused:
        reset(credentials, kind="mobile_phone", published=published)

    assert "only START" in refused.value.fields["kind"][0]
    assert credentials.resets == [] and published == []


def test_resetting_a_credential_the_person_does_not_have_names_kind():
    credentials = FakeCredentials(people=(PersonCredentials("hal", "hal@example.org", None),))

    with pytest.raises(InvalidRequest) as refused:
        reset(credentials, kind="mobile_phone", person_id="hal")

    assert refused.value.fields == {"kind": ["no mobile phone on file"]}


def test_resetting_someone_notify_does_not_know_is_not_found():
    with pytest.raises(NotFound):
        reset(FakeCredentials(), person_id="nobody")


def test_credential_health_lists_each_known_persons_credentials_in_the_order_asked():
    credentials = FakeCredentials(people=(GINA, PersonCredentials("hal", None, "+15555550102")))

    answer = get_credential_health({"person_ids": ["hal", "nobody", "gina"]}, credentials=credentials)

    assert [(row["person_id"], row["kind"], row["state"]) for row in answer["credentials"]] == [
        ("hal", "mobile_phone", "good"), ("gina", "email", "good"), ("gina", "mobile_phone", "good")]

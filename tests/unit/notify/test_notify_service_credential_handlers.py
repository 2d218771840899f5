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
from services.notify.domain.email_suppression import SuppressionsUnavailable
from shared.contracts.errors import InvalidRequest, NotFound, ProviderUnavailable
from shared.testing.recording_outbox import RecordingOutbox, writes_commit_with_outbox

NOW = datetime(2025, 9, 1, 8, 0, tzinfo=timezone.utc)
GINA = PersonCredentials("gina", "gina@example.org", "+15555550101")


@writes_commit_with_outbox("reset")
class FakeCredentials:
    """Reset commits what the handler published through `outbox`, as notify's outbox does."""

    def __init__(self, people=(GINA,), health: dict | None = None):
        self.outbox = RecordingOutbox(dumped=False)
        self.people = {person.person_id: person for person in people}
        self.health = dict(health or {})
        self.resets: list[tuple] = []

    def credentials_of(self, person_ids):
        return {person_id: self.people[person_id] for person_id in person_ids if person_id in self.people}

    def reports_of(self, people):
        return [CredentialReport(person.person_id, kind, address, self.health.get((kind, address), GOOD), "sent")
                for person in people for kind in CredentialKind if (address := person.address(kind))]

    def health_of(self, keys):
        return {key: self.health.get(key, GOOD) for key in keys}

    def reset(self, kind, address, *, check, reset_by, reason, now, announce=lambda: None):
        previous = self.health.get((kind, address), GOOD)
        check(previous.state)
        announce()
        self.health[(kind, address)] = GOOD
        self.resets.append((kind, address, reset_by, reason))
        return ResetRecord(previous, now)


class FakeSuppressions:
    """SendGrid's suppression lists by address; `failing` makes every call fail as an unreachable provider does."""

    def __init__(self, lists: dict[str, set[str]] | None = None, failing: bool = False):
        self.lists = {address: set(names) for address, names in (lists or {}).items()}
        self.failing = failing
        self.removed: list[tuple[str, str]] = []

    def lists_holding(self, address):
        if self.failing:
            raise SuppressionsUnavailable("SendGrid could not be reached (connection refused)")
        return frozenset(self.lists.get(address, ()))

    def remove(self, address, list_name):
        self.lists[address].discard(list_name)
        self.removed.append((address, list_name))


def reset(credentials, kind="email", person_id="gina", suppressions=None):
    return reset_credential_status({"person_id": person_id, "kind": kind, "reset_by": "admin-1",
                                    "reason": "family fixed their mailbox"},
                                   credentials=credentials, suppressions=suppressions,
                                   publish=credentials.outbox, clock=lambda: NOW)


def test_a_bad_email_is_reset_to_good_recorded_and_announced():
    credentials = FakeCredentials(health={(CredentialKind.EMAIL, GINA.email): Health(
        CredentialState.BAD, "address bounced", NOW)})

    answer = reset(credentials)

    assert (answer["previous_state"], answer["previous_reason"], answer["state"]) == ("bad", "address bounced", "good")
    assert credentials.resets == [(CredentialKind.EMAIL, GINA.email, "admin-1", "family fixed their mailbox")]
    assert credentials.outbox.published == [(notify.CREDENTIAL_STATUS_CHANGED.name, {
        "kind": "email", "address": GINA.email, "state": "good", "reason": None})]


def test_an_opted_out_mobile_is_not_reset_and_the_refusal_names_kind():
    credentials = FakeCredentials(health={(CredentialKind.MOBILE_PHONE, GINA.mobile_phone): Health(
        CredentialState.OPTED_OUT, "recipient texted STOP", NOW)})

    with pytest.raises(InvalidRequest) as refused:
        reset(credentials, kind="mobile_phone")

    assert "only START" in refused.value.fields["kind"][0]
    assert credentials.resets == [] and credentials.outbox.published == credentials.outbox.staged == []


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


BOUNCED = {(CredentialKind.EMAIL, GINA.email): Health(CredentialState.BAD, "address bounced", NOW)}


def test_a_reset_email_comes_off_the_providers_bounce_list_so_the_retry_is_not_dropped():
    suppressions = FakeSuppressions({GINA.email: {"bounces"}})

    answer = reset(FakeCredentials(health=BOUNCED), suppressions=suppressions)

    assert suppressions.removed == [(GINA.email, "bounces")]
    assert answer["provider_suppressions"] == {"lifted": ["bounces"], "kept": []}


def test_a_spam_report_or_an_unsubscribe_stays_on_the_providers_lists_and_the_answer_says_so():
    suppressions = FakeSuppressions({GINA.email: {"bounces", "spam_reports", "global_unsubscribes"}})

    answer = reset(FakeCredentials(health=BOUNCED), suppressions=suppressions)

    assert suppressions.removed == [(GINA.email, "bounces")]
    assert answer["provider_suppressions"] == {"lifted": ["bounces"], "kept": ["spam_reports", "global_unsubscribes"]}


def test_when_the_provider_cannot_be_reached_nothing_is_reset_and_the_error_says_to_try_again():
    credentials = FakeCredentials(health=BOUNCED)

    with pytest.raises(ProviderUnavailable) as unavailable:
        reset(credentials, suppressions=FakeSuppressions(failing=True))

    assert "try again" in unavailable.value.message and "connection refused" in unavailable.value.fields["kind"][0]
    assert credentials.resets == [] and credentials.outbox.published == []


def test_the_provider_is_not_asked_about_an_email_that_reset_status_does_not_apply_to():
    suppressions = FakeSuppressions(failing=True)  # any call would raise

    with pytest.raises(InvalidRequest) as refused:
        reset(FakeCredentials(), suppressions=suppressions)

    assert "not marked bad" in refused.value.fields["kind"][0]


def test_a_phone_reset_leaves_the_email_provider_alone():
    suppressions = FakeSuppressions(failing=True)
    credentials = FakeCredentials(health={(CredentialKind.MOBILE_PHONE, GINA.mobile_phone): Health(
        CredentialState.BAD, "landline", NOW)})

    answer = reset(credentials, kind="mobile_phone", suppressions=suppressions)

    assert answer["state"] == "good" and answer["provider_suppressions"] is None

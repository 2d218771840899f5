"""notify's use cases: turn loaded event payloads into facts, apply them, answer RPCs.

Every event carries a page of people; each page is applied in one unit of
work by `RecipientStore.update_page`, so a page is never half-applied and a
redelivered page writes nothing.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from services.notify.domain.recipients import (
    AccountFacts,
    DirectoryFacts,
    Fact,
    Recipient,
    StudentAccountEnabled,
    UserJoined,
    apply_facts,
    changed,
    in_district_language,
)

Clock = Callable[[], datetime]
PageUpdate = Callable[[Mapping[str, Recipient]], Sequence[Recipient]]


class RecipientStore(Protocol):
    def update_page(self, person_ids: Sequence[str], update: PageUpdate, *, now: datetime) -> int:
        """Hand `update` the current recipients of `person_ids` (blank where unknown), held so no
        concurrent page changes them; store the recipients of that page it returns, commit, and
        return how many it stored."""

    def find(self, person_ids: Sequence[str]) -> list[Recipient]:
        """The stored recipients among `person_ids`."""

    def district_default_languages(self, district_ids: Sequence[str]) -> dict[str, str]:
        """The default language of each of these districts that chose one (inside update_page's unit too)."""

    def set_district_default_language(self, district_id: str, language: str, *, now: datetime) -> int:
        """Keep the district's default and give it to its people who have not joined; how many changed."""


def project_accounts_upserted(payload: dict, *, recipients: RecipientStore, clock: Clock) -> int:
    facts = [_account_facts(account) for account in payload["accounts"]]
    return _project(facts, recipients=recipients, clock=clock)


def project_user_joined(payload: dict, *, recipients: RecipientStore, clock: Clock) -> int:
    return _project([UserJoined(payload["person_id"])], recipients=recipients, clock=clock)


def project_people_upserted(payload: dict, *, recipients: RecipientStore, clock: Clock) -> int:
    facts = [_directory_facts(person) for person in payload["people"]]
    return _project(facts, recipients=recipients, clock=clock)


def project_student_accounts_enabled(payload: dict, *, recipients: RecipientStore, clock: Clock) -> int:
    facts = [StudentAccountEnabled(person_id) for person_id in payload["person_ids"]]
    return _project(facts, recipients=recipients, clock=clock)


def apply_district_languages(payload: dict, *, recipients: RecipientStore, clock: Clock) -> int:
    """identity.district_languages_changed: the district's people who have not chosen a language read its
    default from now on."""
    return recipients.set_district_default_language(payload["district_id"], payload["default_language"],
                                                    now=clock())


def get_recipients(request: dict, *, recipients: RecipientStore) -> dict:
    """The recipients asked for, in the order asked, each once; unknown ids are left out."""
    wanted = list(dict.fromkeys(request["person_ids"]))
    found = {recipient.person_id: recipient for recipient in recipients.find(wanted)}
    return {"recipients": [found[person_id] for person_id in wanted if person_id in found]}


def _project(facts: list[Fact], *, recipients: RecipientStore, clock: Clock) -> int:
    if not facts:
        return 0

    def update(current: Mapping[str, Recipient]) -> list[Recipient]:
        after = apply_facts(current, facts)
        defaults = recipients.district_default_languages(
            sorted({r.district_id for r in after.values() if r.district_id and not r.joined}))
        return changed(current, {person_id: in_district_language(recipient, defaults)
                                 for person_id, recipient in after.items()})

    # Sorted, so two pages sharing people take their row locks in the same order and cannot deadlock.
    person_ids = sorted({fact.person_id for fact in facts})
    return recipients.update_page(person_ids, update, now=clock())


def _account_facts(account: dict) -> AccountFacts:
    return AccountFacts(
        person_id=account["person_id"],
        district_id=account.get("district_id"),
        given_name=account["given_name"],
        family_name=account["family_name"],
        email=account.get("email"),
        mobile_phone=account.get("mobile_phone"),
        status=account["status"],
        roles=tuple(grant["role"] for grant in account["roles"]),
        language=account["language"],
    )


def _directory_facts(person: dict) -> DirectoryFacts:
    return DirectoryFacts(
        person_id=person["person_id"],
        district_id=person["district_id"],
        given_name=person["given_name"],
        family_name=person["family_name"],
        kinds=tuple(person["kinds"]),
        school_ids=tuple(person["school_ids"]),
        student_account_enabled=person["student_account_enabled"],
        archived=person["archived"],
    )

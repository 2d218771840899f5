"""The projection use cases, against an in-memory store: payloads in, one unit of work per page."""
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone

from services.notify import handlers
from services.notify.domain.recipients import Recipient
from shared.contracts import directory, identity, notify
from tests.unit.notify.notify_factories import make_account_change, make_person_change

NOW = datetime(2025, 9, 1, 8, 0, tzinfo=timezone.utc)


def clock() -> datetime:
    return NOW


class InMemoryRecipients:
    """The RecipientStore protocol over a dict; records each unit of work it was asked for."""

    def __init__(self, *recipients: Recipient):
        self.rows = {recipient.person_id: recipient for recipient in recipients}
        self.units_of_work: list[list[str]] = []
        self.defaults: dict[str, str] = {}  # district -> default language

    def update_page(self, person_ids: Sequence[str],
                    update: Callable[[Mapping[str, Recipient]], Sequence[Recipient]], *, now: datetime) -> int:
        current = {person_id: self.rows.get(person_id, Recipient(person_id)) for person_id in person_ids}
        changes = update(current)
        self.rows.update({recipient.person_id: recipient for recipient in changes})
        self.units_of_work.append(list(person_ids))
        return len(changes)

    def find(self, person_ids: Sequence[str]) -> list[Recipient]:
        return [self.rows[person_id] for person_id in person_ids if person_id in self.rows]

    def district_default_languages(self, district_ids: Sequence[str]) -> dict[str, str]:
        return {district: self.defaults[district] for district in district_ids if district in self.defaults}

    def set_district_default_language(self, district_id: str, language: str, *, now: datetime) -> int:
        self.defaults[district_id] = language
        unchosen = [r for r in self.rows.values() if r.district_id == district_id and not r.joined
                    and r.language != language]
        self.rows.update({r.person_id: replace(r, language=language) for r in unchosen})
        return len(unchosen)


def accounts_upserted(*changes: dict) -> dict:
    return identity.ACCOUNTS_UPSERTED.load({"accounts": list(changes)})


def people_upserted(*changes: dict) -> dict:
    return directory.PEOPLE_UPSERTED.load({"people": list(changes)})


def test_an_accounts_page_is_applied_in_one_unit_of_work_with_its_people_in_id_order():
    store = InMemoryRecipients()

    count = handlers.project_accounts_upserted(
        accounts_upserted(make_account_change(person_id="p-2"), make_account_change(person_id="p-1")),
        recipients=store, clock=clock)

    assert count == 2
    assert store.units_of_work == [["p-1", "p-2"]]


def test_account_role_grants_are_projected_as_role_names():
    store = InMemoryRecipients()

    handlers.project_accounts_upserted(accounts_upserted(make_account_change(roles=[
        {"role": "teacher", "school_ids": ["s-1"]},
        {"role": "teacher", "school_ids": ["s-2"]},
        {"role": "guardian"},
    ])), recipients=store, clock=clock)

    assert store.rows["person-1"].roles == ("guardian", "teacher")


def test_a_people_page_projects_the_directory_fields():
    store = InMemoryRecipients()

    handlers.project_people_upserted(people_upserted(make_person_change(
        kinds=["student"], school_ids=["s-1"], student_account_enabled=True, archived=False)),
        recipients=store, clock=clock)

    recipient = store.rows["person-1"]
    assert (recipient.kinds, recipient.school_ids, recipient.student_account_enabled) == (("student",), ("s-1",), True)
    assert recipient.email is None


def test_user_joined_marks_the_person_joined():
    store = InMemoryRecipients(Recipient("person-1", email="dana@example.org"))

    handlers.project_user_joined(identity.USER_JOINED.load(
        {"person_id": "person-1", "joined_at": "2025-09-01T08:00:00+00:00"}), recipients=store, clock=clock)

    assert store.rows["person-1"] == Recipient("person-1", email="dana@example.org", joined=True)


def test_student_accounts_enabled_enables_every_listed_student_in_one_unit_of_work():
    store = InMemoryRecipients()

    count = handlers.project_student_accounts_enabled(directory.STUDENT_ACCOUNTS_ENABLED.load(
        {"person_ids": ["s-2", "s-1"], "enabled_by": "admin-1"}), recipients=store, clock=clock)

    assert count == 2
    assert store.units_of_work == [["s-1", "s-2"]]
    assert all(store.rows[person_id].student_account_enabled for person_id in ("s-1", "s-2"))


def test_a_redelivered_page_changes_nothing():
    store = InMemoryRecipients()
    page = people_upserted(make_person_change(person_id="p-1"), make_person_change(person_id="p-2"))
    handlers.project_people_upserted(page, recipients=store, clock=clock)

    assert handlers.project_people_upserted(page, recipients=store, clock=clock) == 0


def test_an_empty_page_opens_no_unit_of_work():
    store = InMemoryRecipients()

    assert handlers.project_accounts_upserted(accounts_upserted(), recipients=store, clock=clock) == 0
    assert store.units_of_work == []


def test_get_recipients_answers_in_the_order_asked_once_each_without_unknown_ids():
    store = InMemoryRecipients(Recipient("p-1"), Recipient("p-2"))

    result = handlers.get_recipients({"person_ids": ["p-2", "p-9", "p-1", "p-2"]}, recipients=store)

    assert [recipient.person_id for recipient in result["recipients"]] == ["p-2", "p-1"]


def test_get_recipients_result_dumps_through_the_contract():
    store = InMemoryRecipients(Recipient(
        "p-1", district_id="d-1", given_name="Dana", family_name="Reyes", email="dana@example.org",
        account_status="active", roles=("guardian",), kinds=("guardian",), school_ids=("s-1",),
        joined=True, in_directory=True))

    dumped = notify.get_recipients.dump_response(handlers.get_recipients({"person_ids": ["p-1"]}, recipients=store))

    assert dumped == {"recipients": [{
        "person_id": "p-1", "district_id": "d-1", "given_name": "Dana", "family_name": "Reyes",
        "email": "dana@example.org", "mobile_phone": None, "account_status": "active",
        "roles": ["guardian"], "kinds": ["guardian"], "school_ids": ["s-1"],
        "student_account_enabled": False, "joined": True, "archived": False, "language": "en",
    }]}


def test_the_language_a_member_chose_is_projected_and_who_has_not_joined_reads_english_by_default():
    store = InMemoryRecipients()

    handlers.project_accounts_upserted(accounts_upserted(
        make_account_change(person_id="p-1", language="es-MX", status="active"),
        make_account_change(person_id="p-2")), recipients=store, clock=clock)

    assert (store.rows["p-1"].language, store.rows["p-2"].language) == ("es-MX", "en")


def test_who_has_not_chosen_a_language_reads_the_districts_default_even_as_it_changes():
    store = InMemoryRecipients()
    handlers.apply_district_languages({"district_id": "district-1", "default_language": "es"}, recipients=store,
                                      clock=clock)

    handlers.project_accounts_upserted(accounts_upserted(
        make_account_change(person_id="p-invited"), make_account_change(person_id="p-joined", status="active")),
        recipients=store, clock=clock)
    handlers.project_people_upserted(people_upserted(make_person_change(person_id="p-no-account")),
                                     recipients=store, clock=clock)

    assert {p: r.language for p, r in store.rows.items()} == {"p-invited": "es", "p-joined": "en",
                                                               "p-no-account": "es"}
    changed = handlers.apply_district_languages({"district_id": "district-1", "default_language": "vi"},
                                                recipients=store, clock=clock)
    assert changed == 2 and store.rows["p-invited"].language == "vi" and store.rows["p-joined"].language == "en"


"""NotifyService in a real container: identity's and directory's events in, get_recipients out."""
import pytest
from nameko.testing.services import entrypoint_waiter

from shared.contracts import directory, identity
from shared.contracts.errors import InvalidRequest
from tests.integration.notify.notify_harness import EVENT_WAIT_SECONDS, handler_for
from tests.unit.notify.notify_factories import make_account_change, make_person_change

DANA_AS_BOTH_SERVICES_DESCRIBE_HER = {
    "person_id": "person-1",
    "district_id": "district-1",
    "given_name": "Dana",
    "family_name": "Reyes",
    "email": "dana.reyes@example.org",
    "mobile_phone": "+15555550101",
    "account_status": "invitee",
    "roles": ["guardian", "teacher"],
    "kinds": ["guardian", "staff"],
    "school_ids": ["school-1", "school-2"],
    "student_account_enabled": False,
    "joined": False,
    "archived": False,
    "language": "en",
}


def accounts_page(*changes: dict) -> dict:
    return {"accounts": list(changes)}


def people_page(*changes: dict) -> dict:
    return {"people": list(changes)}


def dana_account() -> dict:
    return make_account_change(given_name="Danielle", roles=[
        {"role": "teacher", "school_ids": ["school-2"]}, {"role": "guardian", "school_ids": []}])


def dana_person() -> dict:
    return make_person_change(kinds=["staff", "guardian"], school_ids=["school-2", "school-1"])


@pytest.mark.parametrize("identity_first", [True, False], ids=["identity first", "directory first"])
def test_events_from_identity_and_directory_build_the_same_recipient_in_either_order(
        deliver, notify_rpc, identity_first):
    events = [(identity.ACCOUNTS_UPSERTED, accounts_page(dana_account())),
              (directory.PEOPLE_UPSERTED, people_page(dana_person()))]
    for event, payload in events if identity_first else reversed(events):
        assert deliver(event, payload) == 1

    assert notify_rpc.get_recipients({"person_ids": ["person-1"]}) == {
        "recipients": [DANA_AS_BOTH_SERVICES_DESCRIBE_HER]}


def test_a_recipient_known_only_to_identity_has_empty_directory_fields(deliver, notify_rpc):
    deliver(identity.ACCOUNTS_UPSERTED, accounts_page(make_account_change()))

    [recipient] = notify_rpc.get_recipients({"person_ids": ["person-1"]})["recipients"]

    assert (recipient["kinds"], recipient["school_ids"], recipient["archived"]) == ([], [], False)
    assert recipient["email"] == "dana.reyes@example.org"


def test_the_language_an_account_chose_is_stored_with_the_recipient(deliver, notify_rpc):
    deliver(identity.ACCOUNTS_UPSERTED, accounts_page(make_account_change(language="es-MX", status="active")))

    [recipient] = notify_rpc.get_recipients({"person_ids": ["person-1"]})["recipients"]

    assert recipient["language"] == "es-MX"


def test_who_has_not_joined_is_stored_with_the_districts_default_language(deliver, notify_rpc):
    deliver(identity.DISTRICT_LANGUAGES_CHANGED, {"district_id": "district-1", "languages": ["en", "vi"],
                                                  "default_language": "vi"})
    deliver(identity.ACCOUNTS_UPSERTED, accounts_page(make_account_change(person_id="invited"),
                                                      make_account_change(person_id="joined", status="active")))

    found = notify_rpc.get_recipients({"person_ids": ["invited", "joined"]})["recipients"]

    assert [(r["person_id"], r["language"]) for r in found] == [("invited", "vi"), ("joined", "en")]


def test_user_joined_marks_the_recipient_joined(deliver, notify_rpc):
    deliver(identity.ACCOUNTS_UPSERTED, accounts_page(make_account_change()))

    deliver(identity.USER_JOINED, {"person_id": "person-1", "joined_at": "2025-09-01T08:00:00+00:00"})

    [recipient] = notify_rpc.get_recipients({"person_ids": ["person-1"]})["recipients"]
    assert recipient["joined"] is True
    assert recipient["email"] == "dana.reyes@example.org"


def test_student_accounts_enabled_enables_those_students_only(deliver, notify_rpc):
    deliver(directory.PEOPLE_UPSERTED, people_page(
        *(make_person_change(person_id=person_id, kinds=["student"]) for person_id in ("s-1", "s-2", "s-3"))))

    deliver(directory.STUDENT_ACCOUNTS_ENABLED, {"person_ids": ["s-1", "s-3"], "enabled_by": "admin-1"})

    recipients = notify_rpc.get_recipients({"person_ids": ["s-1", "s-2", "s-3"]})["recipients"]
    assert {r["person_id"]: r["student_account_enabled"] for r in recipients} == {
        "s-1": True, "s-2": False, "s-3": True}


def test_a_redelivered_page_changes_nothing(deliver, notify_rpc):
    page = people_page(make_person_change(person_id="p-1"), make_person_change(person_id="p-2"))
    assert deliver(directory.PEOPLE_UPSERTED, page) == 2
    before = notify_rpc.get_recipients({"person_ids": ["p-1", "p-2"]})

    assert deliver(directory.PEOPLE_UPSERTED, page) == 0
    assert notify_rpc.get_recipients({"person_ids": ["p-1", "p-2"]}) == before


def test_get_recipients_leaves_out_people_notify_never_heard_of(deliver, notify_rpc):
    deliver(identity.ACCOUNTS_UPSERTED, accounts_page(make_account_change(person_id="p-1")))

    result = notify_rpc.get_recipients({"person_ids": ["p-unknown", "p-1"]})

    assert [recipient["person_id"] for recipient in result["recipients"]] == ["p-1"]


def test_get_recipients_without_person_ids_is_refused_naming_the_field(notify_rpc):
    with pytest.raises(InvalidRequest) as refused:
        notify_rpc.get_recipients({})

    assert "person_ids" in refused.value.fields


def test_identity_and_directory_pages_for_the_same_people_handled_at_once_lose_nothing(
        notify_container, publish, notify_rpc):
    person_ids = [f"p-{number:04d}" for number in range(300)]

    with entrypoint_waiter(notify_container, handler_for(identity.ACCOUNTS_UPSERTED), timeout=EVENT_WAIT_SECONDS), \
            entrypoint_waiter(notify_container, handler_for(directory.PEOPLE_UPSERTED), timeout=EVENT_WAIT_SECONDS):
        publish(identity.ACCOUNTS_UPSERTED, accounts_page(
            *(make_account_change(person_id=person_id) for person_id in person_ids)))
        publish(directory.PEOPLE_UPSERTED, people_page(
            *(make_person_change(person_id=person_id) for person_id in person_ids)))

    recipients = notify_rpc.get_recipients({"person_ids": person_ids})["recipients"]
    assert len(recipients) == 300
    assert all(r["email"] == "dana.reyes@example.org" and r["school_ids"] == ["school-1"] for r in recipients)

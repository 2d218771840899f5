"""Preferences: the choice counts, else the default (Email+app for a student, the district's for anyone else);
district defaults are Email+app or SMS+app."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.notify.adapters.preferences_repository import StoredDistrictSettings, StoredPreference
from services.notify.handlers_preferences import (
    get_district_settings,
    get_preferences,
    set_district_default,
    set_preference,
)
from shared.contracts.errors import InvalidRequest

NOW = datetime(2025, 9, 1, 8, 0, tzinfo=timezone.utc)


class FakePreferences:
    def __init__(self, chosen: dict[str, str] = (), defaults: dict[str, str] = (), students=()):
        self.chosen, self.defaults, self.students = dict(chosen), dict(defaults), set(students)
        self.settings: dict[str, StoredDistrictSettings] = {}

    def preferences_of(self, person_ids):
        return {person_id: StoredPreference(person_id, self.chosen.get(person_id),
                                            NOW if person_id in self.chosen else None, self.defaults.get(person_id),
                                            person_id in self.students)
                for person_id in person_ids}

    def set_preference(self, person_id, preference, *, chosen_by, now):
        self.chosen[person_id] = preference
        self.chosen_by = chosen_by

    def district_settings(self, district_id):
        return self.settings.get(district_id, StoredDistrictSettings(district_id, None, None, None))

    def set_district_default(self, district_id, preference, *, updated_by, now):
        self.settings[district_id] = StoredDistrictSettings(district_id, preference, now, updated_by)
        return self.settings[district_id]


def test_each_person_gets_their_choice_or_their_districts_default_in_the_order_asked():
    preferences = FakePreferences(chosen={"gina": "app_only"}, defaults={"gina": "sms_app", "hal": "sms_app"})

    answer = get_preferences({"person_ids": ["hal", "gina", "ivy", "hal"]}, preferences=preferences)

    assert answer == {"preferences": [
        {"person_id": "hal", "preference": "sms_app", "chosen": False, "chosen_at": None},
        {"person_id": "gina", "preference": "app_only", "chosen": True, "chosen_at": NOW},
        {"person_id": "ivy", "preference": "email_app", "chosen": False, "chosen_at": None},
    ]}


def test_a_student_who_never_chose_has_email_and_app_even_where_the_district_defaults_to_sms():
    preferences = FakePreferences(defaults={"sam": "sms_app", "gina": "sms_app"}, students={"sam"})

    answer = get_preferences({"person_ids": ["sam", "gina"]}, preferences=preferences)

    assert answer == {"preferences": [
        {"person_id": "sam", "preference": "email_app", "chosen": False, "chosen_at": None},
        {"person_id": "gina", "preference": "sms_app", "chosen": False, "chosen_at": None},
    ]}


@pytest.mark.parametrize("chosen", ["sms_app", "app_only", "email_app"])
def test_a_students_own_choice_is_their_preference(chosen):
    preferences = FakePreferences(chosen={"sam": chosen}, defaults={"sam": "sms_app"}, students={"sam"})

    [answer] = get_preferences({"person_ids": ["sam"]}, preferences=preferences)["preferences"]

    assert (answer["preference"], answer["chosen"], answer["chosen_at"]) == (chosen, True, NOW)


def test_setting_a_preference_records_who_chose_it():
    preferences = FakePreferences()

    answer = set_preference({"person_id": "gina", "preference": "sms_app", "changed_by": "gina"},
                            preferences=preferences, clock=lambda: NOW)

    assert answer == {"person_id": "gina", "preference": "sms_app", "chosen": True, "chosen_at": NOW}
    assert (preferences.chosen, preferences.chosen_by) == ({"gina": "sms_app"}, "gina")


def test_a_district_that_never_chose_has_email_and_app():
    assert get_district_settings({"district_id": "d-1"}, preferences=FakePreferences()) == {
        "district_id": "d-1", "default_preference": "email_app", "updated_at": None, "updated_by": None}


def test_a_district_may_default_to_sms_and_app():
    preferences = FakePreferences()

    set_district_default({"district_id": "d-1", "default_preference": "sms_app", "changed_by": "admin"},
                         preferences=preferences, clock=lambda: NOW)

    assert get_district_settings({"district_id": "d-1"}, preferences=preferences)["default_preference"] == "sms_app"


def test_a_district_default_of_app_only_is_refused_naming_the_field():
    with pytest.raises(InvalidRequest) as refused:
        set_district_default({"district_id": "d-1", "default_preference": "app_only", "changed_by": "admin"},
                             preferences=FakePreferences(), clock=lambda: NOW)

    assert list(refused.value.fields) == ["default_preference"]

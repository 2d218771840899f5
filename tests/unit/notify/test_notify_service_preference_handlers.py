"""Preferences: the choice counts, else the district default; district defaults are Email+app or SMS+app."""
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
    def __init__(self, chosen: dict[str, str] = (), defaults: dict[str, str] = ()):
        self.chosen, self.defaults = dict(chosen), dict(defaults)
        self.settings: dict[str, StoredDistrictSettings] = {}

    def preferences_of(self, person_ids):
        return {person_id: StoredPreference(person_id, self.chosen.get(person_id),
                                            NOW if person_id in self.chosen else None, self.defaults.get(person_id))
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

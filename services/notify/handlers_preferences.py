"""Preferences and district defaults: what each user chose, and what counts when they did not.

Who may change whose preference is the gateway's decision; these record who did it and when.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from services.notify.adapters.preferences_repository import StoredDistrictSettings, StoredPreference
from services.notify.domain.preferences import (
    InvalidPreference,
    effective_preference,
    parse_district_default,
    parse_preference,
)
from shared.contracts.errors import InvalidRequest

Clock = Callable[[], datetime]


class PreferenceStore(Protocol):
    def preferences_of(self, person_ids: Sequence[str]) -> dict[str, StoredPreference]: ...

    def set_preference(self, person_id: str, preference: str, *, chosen_by: str, now: datetime) -> None: ...

    def district_settings(self, district_id: str) -> StoredDistrictSettings: ...

    def set_district_default(self, district_id: str, preference: str, *, updated_by: str,
                             now: datetime) -> StoredDistrictSettings: ...


def get_preferences(request: dict, *, preferences: PreferenceStore) -> dict:
    """Every person asked for, in the order asked, each once: their choice, else the default that applies to
    them (Email+app for a student, their district's default for anyone else)."""
    person_ids = list(dict.fromkeys(request["person_ids"]))
    stored = preferences.preferences_of(person_ids)
    return {"preferences": [_answer(stored[person_id]) for person_id in person_ids]}


def set_preference(request: dict, *, preferences: PreferenceStore, clock: Clock) -> dict:
    chosen = _parsed(parse_preference, request["preference"], "preference")
    now = clock()
    preferences.set_preference(request["person_id"], chosen.value, chosen_by=request["changed_by"], now=now)
    return {"person_id": request["person_id"], "preference": chosen.value, "chosen": True, "chosen_at": now}


def get_district_settings(request: dict, *, preferences: PreferenceStore) -> dict:
    return _settings(preferences.district_settings(request["district_id"]))


def set_district_default(request: dict, *, preferences: PreferenceStore, clock: Clock) -> dict:
    default = _parsed(parse_district_default, request["default_preference"], "default_preference")
    return _settings(preferences.set_district_default(request["district_id"], default.value,
                                                      updated_by=request["changed_by"], now=clock()))


def _answer(stored: StoredPreference) -> dict:
    chosen = parse_preference(stored.chosen) if stored.chosen else None
    effective = effective_preference(chosen, parse_district_default(stored.district_default), student=stored.student)
    return {"person_id": stored.person_id, "preference": effective.value, "chosen": chosen is not None,
            "chosen_at": stored.chosen_at}


def _settings(stored: StoredDistrictSettings) -> dict:
    return {"district_id": stored.district_id,
            "default_preference": parse_district_default(stored.default_preference).value,
            "updated_at": stored.updated_at, "updated_by": stored.updated_by}


def _parsed(parse, value: str, field: str):
    # The contract already limits the values; the domain's rule is the one that decides.
    try:
        return parse(value)
    except InvalidPreference as invalid:
        raise InvalidRequest(invalid.reason, fields={field: [invalid.reason]}) from None

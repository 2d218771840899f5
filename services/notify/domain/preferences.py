"""Communication preferences: the one a user chose, the district's default, and which one counts.

DESIGN.md §3: every user has exactly one preference (Email+app, SMS+app or
App only). An adult who never chose has the district default; a student who
never chose has Email+app whatever the district default (the student-users
article: "Email+app is the default preference"), so a district that defaults
to SMS+app does not start texting students. Everything downstream treats the
default exactly as if the user had chosen it. A district may default to
Email+app or SMS+app, never App only: a default that reaches nobody outside
the app would make every new family unreachable until they join.
"""
from __future__ import annotations

from services.notify.domain.delivery import (
    DEFAULT_DISTRICT_PREFERENCE,
    DISTRICT_PREFERENCES,
    Preference,
)


class InvalidPreference(ValueError):
    """A preference value that is not allowed where it was given; `reason` is fit to show an administrator."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_CHOICES = ", ".join(preference.value for preference in Preference)
_DISTRICT_CHOICES = " or ".join(preference.value for preference in DISTRICT_PREFERENCES)


# A student who never chose has this, whatever the district default.
STUDENT_DEFAULT_PREFERENCE = Preference.EMAIL_APP


def effective_preference(chosen: Preference | None, district_default: Preference, *, student: bool) -> Preference:
    """The preference the rules apply: the user's own choice, else the default for a student or an adult."""
    if chosen is not None:
        return chosen
    return STUDENT_DEFAULT_PREFERENCE if student else district_default


def parse_preference(value: str) -> Preference:
    """A preference a user chose for themselves; any of the three."""
    try:
        return Preference(value)
    except ValueError:
        raise InvalidPreference(f"{value!r} is not a preference: choose one of {_CHOICES}") from None


def parse_district_default(value: str | None) -> Preference:
    """A district's default preference; a district that never set one has Email+app."""
    if value is None:
        return DEFAULT_DISTRICT_PREFERENCE
    preference = parse_preference(value)
    if preference not in DISTRICT_PREFERENCES:
        raise InvalidPreference(f"a district default must be {_DISTRICT_CHOICES}, not {preference.value}")
    return preference

"""Cell values: dates, emails, phones, booleans and lists, read the way districts write them.

Parsers raise ValueError with a reason an administrator can act on. Date
parsers return the value and, for a tolerated variant, a note saying how it
was read. Email and phone normalisation are the hot path of a district
import (a few hundred thousand values), so each has an exact fast path for
the common shape and falls back to the full library for everything else.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Callable

import phonenumbers
from email_validator import EmailNotValidError
from phonenumbers.phonemetadata import PhoneMetadata

from shared.credentials import normalised_email

# A cache big enough to hold a district's repeated values (shared family phones, a handful of
# email domains), bounded so a huge file cannot grow it without limit.
VALUE_CACHE_SIZE = 1 << 16

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?")
_SPACED_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)")
_SLASH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_YEAR_FIRST_SLASH_DATE = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})")

# NANP numbers as people write them: +1 617 253 1000, (617) 253-1000, 617.253.1000, 6172531000.
_NANP = re.compile(r"(?:\+?1[\s.-]?)?\(?([2-9]\d{2})\)?[\s.-]?(\d{3})[\s.-]?(\d{4})")
_NANP_COUNTRY_CODE = 1

# The spellings nearly every export uses, for a lookup before parse_boolean's full rules.
COMMON_FLAGS = {"true": True, "false": False, "TRUE": True, "FALSE": False, "True": True, "False": False}
TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0"})


# --- dates -----------------------------------------------------------------------


@lru_cache(maxsize=4096)
def parse_date(value: str) -> tuple[date, str | None]:
    """An ISO date; slash dates month-first (as US systems write them) unless only day-first fits."""
    if _ISO_DATE.fullmatch(value):
        return _valid_date(date.fromisoformat, value), None
    if _ISO_DATETIME.fullmatch(value) or _SPACED_DATETIME.fullmatch(value):
        moment = _iso_datetime(value)
        return moment.date(), f"read as the date {moment.date().isoformat()} (time of day ignored)"
    match = _YEAR_FIRST_SLASH_DATE.fullmatch(value)
    if match:
        day = _valid_date(lambda _: date(*map(int, match.groups())), value)
        return day, f"read as {day.isoformat()} (year/month/day)"
    match = _SLASH_DATE.fullmatch(value)
    if match and match.group(4) is None:
        day, order = _slash_date(match, value)
        return day, f"read as {day.isoformat()} ({order})"
    raise ValueError("not a date (expected YYYY-MM-DD)")


@lru_cache(maxsize=4096)
def parse_datetime(value: str) -> tuple[datetime, str | None]:
    """An ISO datetime (or date); `2017-05-06 08:01:05` and slash dates are read with a note."""
    if _ISO_DATETIME.fullmatch(value):
        return _iso_datetime(value), None
    if _ISO_DATE.fullmatch(value):
        return datetime.combine(_valid_date(date.fromisoformat, value), datetime.min.time()), None
    if _SPACED_DATETIME.fullmatch(value):
        moment = _iso_datetime(value)
        return moment, f"read as {moment.isoformat()} (a space instead of T)"
    match = _SLASH_DATE.fullmatch(value)
    if match:
        day, order = _slash_date(match, value)
        hour, minute, second = (int(part or 0) for part in match.groups()[3:])
        try:
            moment = datetime(day.year, day.month, day.day, hour, minute, second)
        except ValueError as exc:
            raise ValueError(f"not a valid time: {exc}") from exc
        return moment, f"read as {moment.isoformat()} ({order})"
    raise ValueError("not a date-time (expected YYYY-MM-DDThh:mm:ssZ or YYYY-MM-DD)")


def _iso_datetime(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not a valid date-time: {exc}") from exc


def _valid_date(build, value: str) -> date:
    try:
        return build(value)
    except ValueError as exc:
        raise ValueError(f"not a valid date: {exc}") from exc


def _slash_date(match: re.Match[str], value: str) -> tuple[date, str]:
    first, second, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
    if first > 12 and second <= 12:
        month, day, order = second, first, "day first: the first number cannot be a month"
    else:
        month, day, order = first, second, "month first"
    return _valid_date(lambda _: date(year, month, day), value), order


# --- booleans and lists ------------------------------------------------------------


def parse_flag(value: str) -> tuple[bool, None]:
    """parse_boolean shaped like the date parsers (a value and no note), for EntityFile.value."""
    return parse_boolean(value), None


def parse_boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise ValueError("not true or false")


def split_list(value: str | None) -> tuple[str, ...]:
    """A OneRoster list cell (`"a,b"`), trimmed, blanks and repeats dropped, order kept."""
    if not value:
        return ()
    if "," not in value:
        return (value,)
    return tuple(dict.fromkeys(part for part in (piece.strip() for piece in value.split(",")) if part))


# --- emails ------------------------------------------------------------------------


def normalise_email(value: str) -> str:
    """The address validated and lower-cased, as email_validator would give it (identity's own reading, with
    its fast path for plain addresses: shared/credentials.py)."""
    try:
        return normalised_email(value)
    except EmailNotValidError as exc:
        raise ValueError(f"invalid email address: {exc}") from exc


def email_normaliser() -> Callable[[str], str]:
    """normalise_email with a cache of its own, made for one read and let go with it.

    Kept for the life of the process, a district's 65,536 cached addresses sat in the memory pages of the read
    that made them, scattered among the snapshot's objects: Python cannot hand a page back to the system while
    one object in it lives, so the cache held about 200 MB after each run.
    """
    return lru_cache(maxsize=VALUE_CACHE_SIZE)(normalise_email)


# --- phones ------------------------------------------------------------------------


class PhoneNormaliser:
    """Phone numbers to E.164, numbers without a country code taken as `region`'s."""

    def __init__(self, region: str) -> None:
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown phone region {region!r}")
        self.region = region
        # The cache wraps the rules, not a method of this object: the cache would hold the object and the object
        # the cache, a cycle only the collector frees, and a package's read leaves none (LongLived.keep's
        # leaves_no_cycles). Without one, the cache goes with the read by its reference count.
        self.normalise = lru_cache(maxsize=VALUE_CACHE_SIZE)(_PhoneRules(region).normalise)


class _PhoneRules:
    """How PhoneNormaliser turns one number to E.164: a short way for a valid US number, phonenumbers' otherwise."""

    def __init__(self, region: str) -> None:
        self.region = region
        self._nanp_region = phonenumbers.country_code_for_region(region) == _NANP_COUNTRY_CODE
        self._nanp_tests = _main_region_tests(_NANP_COUNTRY_CODE, _NANP_NATIONAL_LENGTH)

    def normalise(self, value: str) -> str:
        if self._nanp_tests is not None and (self._nanp_region or value.startswith("+1")):
            match = _NANP.fullmatch(value)
            if match is not None:
                # The ten digits are what phonenumbers.parse would read. Only a number valid in the
                # US is decided here; anything else (Canada, the Caribbean, invalid) goes the full way.
                national = "".join(match.groups())
                general, types = self._nanp_tests
                if general(national):
                    for fits in types:
                        if fits(national):
                            return "+1" + national
        try:
            number = phonenumbers.parse(value, self.region)
        except phonenumbers.NumberParseException as exc:
            raise ValueError(f"invalid phone number: {exc}") from exc
        if not phonenumbers.is_valid_number(number):
            raise ValueError("invalid phone number")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# The number types phonenumbers knows; a number is valid in a region when it fits the region's
# general pattern and at least one of these (phonenumbers' _number_type_helper, without its order).
_NUMBER_TYPES = ("fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "voip", "personal_number",
                 "pager", "uan", "voicemail")
_NANP_NATIONAL_LENGTH = 10
Fullmatch = Callable[[str], Any]


def _main_region_tests(country_code: int, length: int) -> tuple[Fullmatch, tuple[Fullmatch, ...]] | None:
    """Pattern tests deciding validity of `length`-digit numbers in a country's main region, if it decides alone.

    is_valid_number picks a region first: the main region (listed first)
    when it has no leading digits and the number fits it. A number valid
    there is therefore valid; anything else needs the full check. A pattern
    whose possible lengths exclude `length` never matches (phonenumbers'
    _is_number_matching_desc), so it is left out.
    """
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
    metadata = PhoneMetadata.metadata_for_region(regions[0]) if regions else None
    if metadata is None or metadata.leading_digits is not None:
        return None
    general = _fullmatch_for(metadata.general_desc, length)
    types = tuple(test for test in (_fullmatch_for(getattr(metadata, name), length) for name in _NUMBER_TYPES)
                  if test is not None)
    return (general, types) if general is not None else None


def _fullmatch_for(desc: Any, length: int) -> Fullmatch | None:
    if desc is None or not desc.national_number_pattern:
        return None
    if len(desc.possible_length) > 0 and length not in desc.possible_length:
        return None
    return re.compile(desc.national_number_pattern).fullmatch

"""Cell values: dates and their tolerated variants, emails, phones (and that the fast paths stay exact)."""
import random
from datetime import date, datetime, timezone

import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from oneroster_builders import located, make_enrollment_row, make_org_row, make_session_row, write_package

from services.rostering.adapters.sources.oneroster_csv.reader import read_package
from services.rostering.domain.values import (
    PhoneNormaliser,
    email_normaliser,
    normalise_email,
    parse_boolean,
    parse_date,
    parse_datetime,
    split_list,
)

# --- dates -----------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("2025-08-25", date(2025, 8, 25)),
    ("2024-02-29", date(2024, 2, 29)),
])
def test_iso_dates_are_read_without_a_note(value, expected):
    assert parse_date(value) == (expected, None)


@pytest.mark.parametrize("value, expected, note", [
    ("08/25/2025", date(2025, 8, 25), "read as 2025-08-25 (month first)"),
    ("03/04/2025", date(2025, 3, 4), "read as 2025-03-04 (month first)"),
    ("25/08/2025", date(2025, 8, 25), "read as 2025-08-25 (day first: the first number cannot be a month)"),
    ("2025/08/25", date(2025, 8, 25), "read as 2025-08-25 (year/month/day)"),
    ("2025-08-25T10:00:00Z", date(2025, 8, 25), "read as the date 2025-08-25 (time of day ignored)"),
])
def test_common_date_variants_are_read_with_a_note_saying_how(value, expected, note):
    assert parse_date(value) == (expected, note)


@pytest.mark.parametrize("value", ["25.08.2025", "Aug 25 2025", "2025-02-30", "13/13/2025", "8/25/25", ""])
def test_anything_else_is_not_a_date(value):
    with pytest.raises(ValueError):
        parse_date(value)


@pytest.mark.parametrize("value, expected, note", [
    ("2017-05-06T08:01:05Z", datetime(2017, 5, 6, 8, 1, 5, tzinfo=timezone.utc), None),
    ("2017-05-06T08:01:05.123+02:00", datetime.fromisoformat("2017-05-06T08:01:05.123+02:00"), None),
    ("2017-05-06", datetime(2017, 5, 6), None),
    ("2017-05-06 08:01:05", datetime(2017, 5, 6, 8, 1, 5), "read as 2017-05-06T08:01:05 (a space instead of T)"),
    ("05/06/2017 08:01", datetime(2017, 5, 6, 8, 1), "read as 2017-05-06T08:01:00 (month first)"),
])
def test_datetimes_and_their_variants(value, expected, note):
    assert parse_datetime(value) == (expected, note)


@pytest.mark.parametrize("value", ["2017-05-06T25:00:00", "yesterday", "2017-05-06 8h"])
def test_anything_else_is_not_a_datetime(value):
    with pytest.raises(ValueError):
        parse_datetime(value)


def test_a_date_variant_is_warned_about_once_per_column_naming_the_value_and_how_it_was_read(tmp_path):
    sessions = [make_session_row(startDate="08/25/2025"), make_session_row(sourcedId="term-2", startDate="01/05/2026")]
    write_package(tmp_path, academicSessions=sessions)

    snapshot = read_package(tmp_path)

    assert [s.start_date for s in snapshot.sessions] == [date(2025, 8, 25), date(2026, 1, 5)]
    assert located(snapshot.warnings) == [("academicSessions.csv", 2, "startDate", "08/25/2025")]
    assert snapshot.warnings[0].reason == ("'08/25/2025' read as 2025-08-25 (month first); later values written "
                                           "the same way in this column are read the same way")
    assert snapshot.problems == ()


def test_vendor_datetimes_with_a_space_are_read_with_one_warning(tmp_path):
    orgs = [make_org_row(dateLastModified="2017-05-06 08:01:05"),
            make_org_row(sourcedId="school-2", dateLastModified="2017-05-07 09:00:00")]
    write_package(tmp_path, orgs=orgs, enrollments=[make_enrollment_row()])

    snapshot = read_package(tmp_path)

    assert snapshot.orgs[1].date_last_modified == datetime(2017, 5, 7, 9)
    assert located(snapshot.warnings) == [("orgs.csv", 2, "dateLastModified", "2017-05-06 08:01:05")]


# --- booleans and lists --------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [("true", True), ("TRUE", True), ("False", False), ("0", False)])
def test_booleans_in_the_cases_exports_use(value, expected):
    assert parse_boolean(value) is expected


def test_lists_are_split_trimmed_without_blanks_or_repeats():
    assert split_list(" a, b ,,a,c ") == ("a", "b", "c") and split_list("") == () and split_list("a") == ("a",)


# --- emails -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("Grace.Hopper@Lincoln.K12.US", "grace.hopper@lincoln.k12.us"),
    ("o'brien+school@example.org", "o'brien+school@example.org"),
    ("ZOË@EXAMPLE.ORG", "zoë@example.org"),
    ("anne@bücher.example", "anne@bücher.example"),
])
def test_emails_are_validated_and_normalised(value, expected):
    assert normalise_email(value) == expected


@pytest.mark.parametrize("value", ["ada@", "@example.org", "ada@@example.org", "ada.example.org", "ada@localhost",
                                   "ada@example.test", "a..b@example.org", "ada @example.org",
                                   "x" * 250 + "@example.org"])
def test_invalid_emails_are_refused_with_a_reason(value):
    with pytest.raises(ValueError, match="invalid email address"):
        normalise_email(value)


def test_the_email_fast_path_agrees_with_email_validator():
    rng = random.Random(5)
    alphabet = "abcXYZ09._+-'@!#"
    domains = ["example.org", "EXAMPLE.org", "mail.example.co.uk", "localhost", "example.test", "-bad.org", "a"]
    for _ in range(3000):
        local = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))
        value = f"{local}@{rng.choice(domains)}"
        try:
            expected = validate_email(value, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            expected = None
        try:
            actual = normalise_email(value)
        except ValueError:
            actual = None
        assert actual == expected, value


def test_each_read_caches_its_emails_for_itself_and_nothing_keeps_them_after_it():
    first, second = email_normaliser(), email_normaliser()

    assert first("Ada@Example.org") == first("Ada@Example.org") == "ada@example.org"

    assert (first.cache_info().currsize, second.cache_info().currsize) == (1, 0)
    assert not hasattr(normalise_email, "cache_info")  # no cache of the whole process holds a district's addresses


# --- phones -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["(617) 253-1000", "617-253-1000", "617.253.1000", "+1 617 253 1000", "6172531000",
                                   "+16172531000", "1 617 253 1000", "+1 (617) 253-1000"])
def test_us_phones_in_every_common_shape_become_e164(value):
    assert PhoneNormaliser("US").normalise(value) == "+16172531000"


@pytest.mark.parametrize("value", ["555-1234", "12", "(123) 456-7890", "+1 800 FLOWERS 99", "not a phone"])
def test_invalid_phones_are_refused(value):
    with pytest.raises(ValueError, match="invalid phone number"):
        PhoneNormaliser("US").normalise(value)


def test_canadian_and_caribbean_numbers_are_checked_the_full_way_and_kept():
    phones = PhoneNormaliser("US")

    assert phones.normalise("(416) 555-0199".replace("555-0199", "979-2000")) == "+14169792000"
    assert phones.normalise("+1 876 927 1234") == "+18769271234"


def test_the_phone_fast_path_agrees_with_phonenumbers():
    rng = random.Random(11)
    shapes = ["({a}) {x}-{l}", "{a}-{x}-{l}", "+1 {a} {x} {l}", "{a}{x}{l}", "1{a}{x}{l}"]
    for region in ("US", "CA", "GB"):
        phones = PhoneNormaliser(region)
        for _ in range(2000):
            value = rng.choice(shapes).format(a=rng.randrange(100, 1000), x=rng.randrange(100, 1000),
                                              l=f"{rng.randrange(10000):04d}")
            try:
                number = phonenumbers.parse(value, region)
                expected = (phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                            if phonenumbers.is_valid_number(number) else None)
            except phonenumbers.NumberParseException:
                expected = None
            try:
                actual = phones.normalise(value)
            except ValueError:
                actual = None
            assert actual == expected, (region, value)


def test_an_unknown_region_is_refused():
    with pytest.raises(ValueError, match="unknown phone region"):
        PhoneNormaliser("QQ")

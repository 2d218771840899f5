import pytest

from services.identity.domain.credentials import (
    EMAIL,
    MOBILE_PHONE,
    InvalidCredential,
    blank_to_none,
    normalise_email,
    normalise_phone,
    parse_login,
)


@pytest.mark.parametrize("raw, stored", [
    ("Dana.Rivera@Example.ORG", "dana.rivera@example.org"),
    ("  dana@example.org  ", "dana@example.org"),
    ("teacher@mail.k12.ca.us", "teacher@mail.k12.ca.us"),
])
def test_emails_are_stored_normalised_and_lower_cased(raw, stored):
    assert normalise_email(raw) == stored


@pytest.mark.parametrize("raw", ["dana", "dana@", "dana@localhost", "two@@example.org", "dana@school.test", ""])
def test_an_invalid_email_is_refused_with_a_reason(raw):
    with pytest.raises(InvalidCredential) as refused:
        normalise_email(raw)
    assert refused.value.reason.startswith("not a valid email address: ")


@pytest.mark.parametrize("raw, region, stored", [
    ("(415) 555-2671", "US", "+14155552671"),
    ("415.555.2671", "us", "+14155552671"),
    ("+1 415 555 2671", "GB", "+14155552671"),
    ("020 7946 0958", "GB", "+442079460958"),
])
def test_phones_are_stored_in_e164_read_with_the_given_region(raw, region, stored):
    assert normalise_phone(raw, region) == stored


@pytest.mark.parametrize("raw, region", [
    ("555-1234", "US"),
    ("020 7946 0958", "US"),
    ("not a number", "US"),
    ("+1 415 555", "US"),
])
def test_an_invalid_phone_is_refused_naming_the_region_it_was_read_with(raw, region):
    with pytest.raises(InvalidCredential) as refused:
        normalise_phone(raw, region)
    assert "phone number" in refused.value.reason
    assert region in refused.value.reason


def test_a_login_with_an_at_sign_is_read_as_an_email():
    assert parse_login("Dana.Rivera@Example.org") == (EMAIL, "dana.rivera@example.org")


def test_a_login_without_an_at_sign_is_read_as_a_us_mobile_phone_by_default():
    assert parse_login("(415) 555-2671") == (MOBILE_PHONE, "+14155552671")


def test_a_login_that_is_neither_email_nor_phone_is_refused():
    with pytest.raises(InvalidCredential):
        parse_login("dana rivera")


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_an_empty_cell_is_no_credential_rather_than_a_bad_one(raw):
    assert blank_to_none(raw) is None


def test_a_filled_cell_is_kept_as_given():
    assert blank_to_none(" 415 ") == " 415 "

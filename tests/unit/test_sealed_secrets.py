"""Secrets sealed with keys from the environment: a round trip, key rotation, and clear refusals."""
import pytest
from cryptography.fernet import Fernet
from hypothesis import given
from hypothesis import strategies as st

from shared.sealed_secrets import SealedSecrets, SecretsUnavailable, derived_key, sealed_secrets_environment

VARIABLE = "SETTINGS_KEY"


@given(st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=200), min_size=1, max_size=5))
def test_what_is_sealed_opens_to_the_same_secrets_and_shows_none_of_them(secrets):
    sealed_secrets = SealedSecrets(VARIABLE, Fernet.generate_key().decode())
    sealed = sealed_secrets.seal(secrets)
    assert sealed_secrets.open(sealed) == secrets
    assert not any(len(value) > 3 and value in sealed for value in secrets.values())


def test_no_secrets_seal_to_nothing_and_nothing_opens_to_no_secrets():
    sealed_secrets = SealedSecrets(VARIABLE, None)
    assert sealed_secrets.seal({}) is None and sealed_secrets.open(None) == {}


def test_a_rotated_key_still_opens_what_the_old_one_sealed_and_seals_with_the_new_one():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed_by_old = SealedSecrets(VARIABLE, old).seal({"client_secret": "s3cret"})
    rotated = SealedSecrets(VARIABLE, f"{new}, {old}")
    assert rotated.open(sealed_by_old) == {"client_secret": "s3cret"}
    assert SealedSecrets(VARIABLE, new).open(rotated.seal({"token": "t"})) == {"token": "t"}


def test_secrets_sealed_by_a_key_no_longer_given_are_refused_with_why():
    sealed = SealedSecrets(VARIABLE, Fernet.generate_key().decode()).seal({"password": "p"})
    with pytest.raises(SecretsUnavailable, match="none of the keys in SETTINGS_KEY opens the kept secrets"):
        SealedSecrets(VARIABLE, Fernet.generate_key().decode()).open(sealed)


def test_without_a_key_nothing_is_sealed_and_the_variable_is_named():
    with pytest.raises(SecretsUnavailable, match="SETTINGS_KEY is not set"):
        SealedSecrets(VARIABLE, "").seal({"password": "p"})


def test_a_value_that_is_not_a_key_is_refused_when_read():
    with pytest.raises(SecretsUnavailable, match="not a Fernet key"):
        SealedSecrets(VARIABLE, "not-a-key")


def test_stacks_derive_the_same_usable_key_from_the_same_identity_secret():
    environment = sealed_secrets_environment("x" * 48)
    assert environment == sealed_secrets_environment("x" * 48) != sealed_secrets_environment("y" * 48)
    key = environment["ROSTERING_SETTINGS_KEY"]
    assert key == derived_key("x" * 48, "ROSTERING_SETTINGS_KEY")
    assert SealedSecrets(VARIABLE, key).open(SealedSecrets(VARIABLE, key).seal({"a": "b"})) == {"a": "b"}

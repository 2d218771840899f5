from datetime import datetime, timedelta, timezone

import jwt
import pytest

from services.identity.adapters.tokens import (
    DEFAULT_TTL,
    InvalidToken,
    TokenConfigurationError,
    TokenSigner,
    signer_from_environment,
)

SECRET = "s" * 48
NOW = datetime(2026, 9, 1, 8, 30, 15, 123456, tzinfo=timezone.utc)


def make_signer(**overrides) -> TokenSigner:
    options = {"secret": SECRET, "ttl": timedelta(hours=1)}
    options.update(overrides)
    return TokenSigner(**options)


def test_an_issued_token_carries_subject_id_and_expiry_and_verifies():
    issued = make_signer().issue("person-1", NOW)

    claims = make_signer().verify(issued.token, NOW + timedelta(minutes=59))

    assert (claims.person_id, claims.jti) == ("person-1", issued.jti)
    assert issued.expires_at == claims.expires_at == NOW.replace(microsecond=0) + timedelta(hours=1)
    assert jwt.get_unverified_header(issued.token)["alg"] == "HS256"


def test_every_token_gets_its_own_id():
    signer = make_signer()

    assert signer.issue("person-1", NOW).jti != signer.issue("person-1", NOW).jti


def test_a_token_is_refused_once_it_expires():
    issued = make_signer().issue("person-1", NOW)

    with pytest.raises(InvalidToken, match="expired"):
        make_signer().verify(issued.token, issued.expires_at)


def test_a_token_signed_with_another_secret_is_refused():
    forged = make_signer(secret="x" * 48).issue("person-1", NOW)

    with pytest.raises(InvalidToken):
        make_signer().verify(forged.token, NOW)


def test_a_token_without_an_id_is_refused():
    token = jwt.encode({"sub": "person-1", "exp": int((NOW + timedelta(hours=1)).timestamp())}, SECRET,
                       algorithm="HS256")

    with pytest.raises(InvalidToken):
        make_signer().verify(token, NOW)


def test_an_unsigned_token_is_refused():
    token = jwt.encode({"sub": "person-1", "jti": "j", "exp": int((NOW + timedelta(hours=1)).timestamp())},
                       None, algorithm="none")

    with pytest.raises(InvalidToken):
        make_signer().verify(token, NOW)


def test_garbage_is_refused_as_an_invalid_token():
    with pytest.raises(InvalidToken):
        make_signer().verify("not.a.token", NOW)


def test_the_signer_reads_secret_and_default_ttl_from_the_environment():
    signer = signer_from_environment({"IDENTITY_TOKEN_SECRET": SECRET})

    assert signer.ttl == DEFAULT_TTL == timedelta(hours=12)


def test_the_ttl_can_be_set_in_seconds():
    signer = signer_from_environment({"IDENTITY_TOKEN_SECRET": SECRET, "IDENTITY_TOKEN_TTL_SECONDS": "900"})

    assert signer.ttl == timedelta(minutes=15)


@pytest.mark.parametrize("environment, message", [
    ({}, "IDENTITY_TOKEN_SECRET is not set"),
    ({"IDENTITY_TOKEN_SECRET": "short"}, "IDENTITY_TOKEN_SECRET is only 5 characters long"),
    ({"IDENTITY_TOKEN_SECRET": SECRET, "IDENTITY_TOKEN_TTL_SECONDS": "soon"}, "positive number of seconds"),
    ({"IDENTITY_TOKEN_SECRET": SECRET, "IDENTITY_TOKEN_TTL_SECONDS": "0"}, "positive number of seconds"),
])
def test_start_up_fails_with_a_clear_message_without_a_usable_configuration(environment, message):
    with pytest.raises(TokenConfigurationError, match=message):
        signer_from_environment(environment)

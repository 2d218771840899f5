from datetime import datetime, timedelta, timezone

import jwt
import pytest

from services.identity.adapters.tokens import (
    DEFAULT_REFRESH_TTL,
    DEFAULT_TTL,
    InvalidToken,
    TokenConfigurationError,
    TokenSigner,
    signer_from_environment,
)
from services.identity.domain.sessions import refresh_token_hash

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


def test_the_signer_reads_secret_and_default_ttls_from_the_environment():
    signer = signer_from_environment({"IDENTITY_TOKEN_SECRET": SECRET})

    assert signer.ttl == DEFAULT_TTL == timedelta(minutes=15)
    assert signer.refresh_ttl == DEFAULT_REFRESH_TTL == timedelta(days=14)


def test_the_ttls_can_be_set_in_seconds():
    signer = signer_from_environment({"IDENTITY_TOKEN_SECRET": SECRET, "IDENTITY_TOKEN_TTL_SECONDS": "600",
                                      "IDENTITY_REFRESH_TOKEN_TTL_SECONDS": "86400"})

    assert (signer.ttl, signer.refresh_ttl) == (timedelta(minutes=10), timedelta(days=1))


def test_a_token_names_its_session_and_one_issued_before_sessions_had_ids_is_its_own_session():
    signer = make_signer()

    with_session = signer.verify(signer.issue("person-1", NOW, session_id="session-1").token, NOW)
    without = signer.issue("person-1", NOW)

    assert with_session.session_id == "session-1" and with_session.jti != "session-1"
    assert signer.verify(without.token, NOW).session_id == without.jti


def test_a_refresh_token_is_random_and_stored_only_as_its_hash_with_its_session_and_expiry():
    signer = make_signer(refresh_ttl=timedelta(days=3))

    first, second = signer.issue_refresh("session-1", NOW), signer.issue_refresh("session-1", NOW)

    assert first.token != second.token and len(first.token) >= 43
    assert first.stored.token_hash == refresh_token_hash(first.token) != first.token
    assert first.token not in repr(first.stored)
    assert (first.stored.session_id, first.stored.used_at) == ("session-1", None)
    assert first.stored.expires_at == NOW.replace(microsecond=0) + timedelta(days=3)


@pytest.mark.parametrize("environment, message", [
    ({}, "IDENTITY_TOKEN_SECRET is not set"),
    ({"IDENTITY_TOKEN_SECRET": "short"}, "IDENTITY_TOKEN_SECRET is only 5 characters long"),
    ({"IDENTITY_TOKEN_SECRET": SECRET, "IDENTITY_TOKEN_TTL_SECONDS": "soon"}, "positive number of seconds"),
    ({"IDENTITY_TOKEN_SECRET": SECRET, "IDENTITY_TOKEN_TTL_SECONDS": "0"}, "positive number of seconds"),
    ({"IDENTITY_TOKEN_SECRET": SECRET, "IDENTITY_REFRESH_TOKEN_TTL_SECONDS": "-5"},
     "IDENTITY_REFRESH_TOKEN_TTL_SECONDS must be a positive number of seconds"),
])
def test_start_up_fails_with_a_clear_message_without_a_usable_configuration(environment, message):
    with pytest.raises(TokenConfigurationError, match=message):
        signer_from_environment(environment)

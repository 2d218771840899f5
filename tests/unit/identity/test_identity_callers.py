"""identity's side of calling the platform: the signing key, assertions of signed-in users, service
credentials and the tokens they are exchanged for (services/identity/handlers_callers.py)."""
from dataclasses import replace
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from services.identity import handlers_callers
from services.identity.adapters.signing_keys import (
    ASSERTION_TTL, SERVICE_TOKEN_TTL, CredentialSigner, credential_signer_from_environment,
)
from services.identity.adapters.tokens import TokenConfigurationError, TokenSigner
from services.identity.domain.service_credentials import (
    InvalidServiceCredential, new_credential, service_principal,
)
from services.identity.domain.sessions import LoginSession
from shared.callers import RemoteSigningKeys, read_credential
from shared.contracts import identity
from shared.contracts.callers import ACCOUNTS_MANAGE, ANNOUNCEMENTS_SEND, DIRECTORY_READ
from shared.contracts.errors import NotAuthenticated
from identity_builders import NOW, make_account

SECRET = "s" * 48
TOKENS = TokenSigner(SECRET, timedelta(hours=12))
SIGNER = credential_signer_from_environment({"IDENTITY_TOKEN_SECRET": SECRET})


class InMemoryCredentials:
    def __init__(self, *credentials) -> None:
        self.by_client_id = {credential.client_id: credential for credential in credentials}

    def credential(self, client_id):
        return self.by_client_id.get(client_id)


def verified(token: str, now=NOW):
    """What any other service reads from `token`, with identity's keys as get_signing_keys publishes them."""
    def public_key_of(kid):
        return RemoteSigningKeys().public_key_of(kid, lambda: handlers_callers.get_signing_keys(signer=SIGNER)["keys"])

    return read_credential(token, public_key_of, now)


def test_the_signing_key_derived_from_the_token_secret_is_the_same_in_every_replica():
    again = credential_signer_from_environment({"IDENTITY_TOKEN_SECRET": SECRET})
    other = credential_signer_from_environment({"IDENTITY_TOKEN_SECRET": "t" * 48})

    assert again.kid == SIGNER.kid != other.kid


def test_a_configured_ed25519_key_is_used_instead_of_the_derived_one():
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()

    signer = credential_signer_from_environment({"IDENTITY_SIGNING_KEY": pem, "IDENTITY_TOKEN_SECRET": SECRET})

    assert signer.public_keys() == {signer.kid: signer.public_keys()[signer.kid]}
    assert signer.kid == CredentialSigner(key, SECRET).kid


@pytest.mark.parametrize("environ, reason", [
    ({}, "IDENTITY_TOKEN_SECRET is not set"),
    ({"IDENTITY_SIGNING_KEY": "not a key"}, "IDENTITY_SIGNING_KEY is not a PEM private key"),
])
def test_identity_does_not_start_without_a_usable_signing_key(environ, reason):
    with pytest.raises(TokenConfigurationError, match=reason):
        credential_signer_from_environment(environ)


def test_a_signed_in_users_token_is_exchanged_for_an_assertion_of_their_principal(repo, clock):
    repo.accounts["admin-1"] = make_account(person_id="admin-1", status="active", joined_at=NOW)
    issued = TOKENS.issue("admin-1", NOW)
    repo.sessions[issued.jti] = LoginSession(jti=issued.jti, person_id="admin-1", issued_at=issued.issued_at,
                                             expires_at=issued.expires_at)

    answer = handlers_callers.issue_assertion({"token": issued.token}, repo=repo, tokens=TOKENS, signer=SIGNER,
                                              clock=clock)

    assert answer["principal"]["person_id"] == "admin-1"
    assert answer["expires_at"] == NOW + ASSERTION_TTL
    assert verified(answer["assertion"]).principal == identity.Principal().load(answer["principal"])


def test_no_assertion_for_a_token_identity_does_not_know(repo, clock):
    with pytest.raises(NotAuthenticated):
        handlers_callers.issue_assertion({"token": TOKENS.issue("admin-1", NOW).token}, repo=repo, tokens=TOKENS,
                                         signer=SIGNER, clock=clock)


def test_a_credential_is_exchanged_for_a_service_token_limited_to_its_scopes(clock):
    issued = new_credential("lunch-alerts", [ANNOUNCEMENTS_SEND], "district-1", NOW)

    answer = handlers_callers.issue_service_token(
        {"client_id": issued.credential.client_id, "client_secret": issued.secret},
        credentials=InMemoryCredentials(issued.credential), signer=SIGNER, clock=clock)

    caller = verified(answer["token"])
    assert caller.is_service and caller.scopes == {ANNOUNCEMENTS_SEND}
    assert caller.principal == answer["principal"] == service_principal(issued.credential)
    assert answer["expires_at"] == NOW + SERVICE_TOKEN_TTL
    assert answer["principal"]["person_id"] == f"service:{issued.credential.client_id}"


def test_a_service_token_is_refused_once_it_expires(clock):
    issued = new_credential("lunch-alerts", [DIRECTORY_READ], None, NOW)
    answer = handlers_callers.issue_service_token(
        {"client_id": issued.credential.client_id, "client_secret": issued.secret},
        credentials=InMemoryCredentials(issued.credential), signer=SIGNER, clock=clock)

    with pytest.raises(NotAuthenticated):
        verified(answer["token"], NOW + SERVICE_TOKEN_TTL + timedelta(minutes=1))


@pytest.mark.parametrize("case", ["unknown client", "wrong secret", "revoked"])
def test_a_wrong_or_revoked_credential_gets_no_token_and_the_same_answer(case, clock):
    issued = new_credential("lunch-alerts", [DIRECTORY_READ], None, NOW)
    credential = issued.credential
    if case == "revoked":
        credential = replace(credential, revoked_at=NOW)
    request = {"client_id": "someone-else" if case == "unknown client" else credential.client_id,
               "client_secret": "guessed" if case == "wrong secret" else issued.secret}

    with pytest.raises(NotAuthenticated) as refused:
        handlers_callers.issue_service_token(request, credentials=InMemoryCredentials(credential), signer=SIGNER,
                                             clock=clock)
    assert refused.value.message == handlers_callers.SERVICE_CREDENTIAL_REFUSED


def test_only_a_digest_of_the_secret_is_kept():
    issued = new_credential("operator", [ACCOUNTS_MANAGE], None, NOW)

    assert issued.secret not in repr(issued.credential)
    assert issued.credential.secret_matches(issued.secret) and not issued.credential.secret_matches("guess")


def test_a_credential_without_a_district_acts_for_nobody_in_particular():
    operator = new_credential("operator", [ACCOUNTS_MANAGE], None, NOW).credential

    assert service_principal(operator)["roles"] == [] and service_principal(operator)["district_id"] is None
    assert service_principal(new_credential("sis-bridge", [DIRECTORY_READ], "district-1", NOW).credential)[
        "roles"] == [{"role": identity.DISTRICT_ADMIN, "school_ids": []}]


@pytest.mark.parametrize("name, scopes, reason", [
    ("Lunch Alerts", [DIRECTORY_READ], "is not a service name"),
    ("lunch-alerts", ["everything"], "unknown scope everything"),
    ("lunch-alerts", [], "needs at least one scope"),
])
def test_a_credential_needs_a_plain_name_and_known_scopes(name, scopes, reason):
    with pytest.raises(InvalidServiceCredential, match=reason):
        new_credential(name, scopes, None, NOW)

"""identity's use cases for callers of the platform (shared/contracts/callers.py): a signed assertion of a
signed-in user for the gateway, service tokens for service credentials, and the public keys that verify both."""
from __future__ import annotations

from shared.contracts.callers import PLATFORM_CLIENT_PREFIX, platform_scope
from shared.contracts.errors import NotAuthenticated

from . import handlers
from .adapters.repository import AccountRepository
from .adapters.service_credentials import ServiceCredentialRepository
from .adapters.signing_keys import CredentialSigner
from .adapters.tokens import TokenSigner
from .domain.service_credentials import platform_principal, service_principal

# One answer for an unknown client, a wrong secret and a revoked credential: a caller learns nothing.
SERVICE_CREDENTIAL_REFUSED = "the client id or secret is not valid"


def issue_assertion(request: dict, *, repo: AccountRepository, tokens: TokenSigner, signer: CredentialSigner,
                    clock: handlers.Clock) -> dict:
    principal = handlers.authenticate(request, repo=repo, tokens=tokens, clock=clock)
    assertion, expires_at = signer.assert_user(principal, clock())
    return {"principal": principal, "assertion": assertion, "expires_at": expires_at}


def issue_service_token(request: dict, *, credentials: ServiceCredentialRepository, signer: CredentialSigner,
                        clock: handlers.Clock) -> dict:
    if request["client_id"].startswith(PLATFORM_CLIENT_PREFIX):
        return _platform_token(request, signer=signer, clock=clock)
    credential = credentials.credential(request["client_id"])
    if credential is None or credential.revoked_at is not None or not credential.secret_matches(
            request["client_secret"]):
        raise NotAuthenticated(SERVICE_CREDENTIAL_REFUSED)
    principal = service_principal(credential)
    token, expires_at = signer.service_token(principal, frozenset(credential.scopes), clock())
    return {"token": token, "expires_at": expires_at, "scopes": list(credential.scopes), "principal": principal}


def _platform_token(request: dict, *, signer: CredentialSigner, clock: handlers.Clock) -> dict:
    """One of the platform's own services (shared/platform_identity.py): its secret is derived, not stored."""
    service = request["client_id"].removeprefix(PLATFORM_CLIENT_PREFIX)
    if not signer.platform_secret_matches(service, request["client_secret"]):
        raise NotAuthenticated(SERVICE_CREDENTIAL_REFUSED)
    token, expires_at = signer.platform_token(service, clock())
    scope = platform_scope(service)
    return {"token": token, "expires_at": expires_at, "scopes": [scope], "principal": platform_principal(service)}


def get_signing_keys(*, signer: CredentialSigner) -> dict:
    return {"keys": signer.key_documents()}

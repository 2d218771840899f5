"""Service credentials: a client id and secret identity issues to a service (another team's, an operator's
tool), exchanged for short-lived service tokens limited to the credential's scopes.

Only a digest of the secret is stored. Secrets are 256 random bits, so a plain SHA-256 digest is as good as
a slow password hash against guessing and costs the token exchange nothing.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from shared.contracts import identity
from shared.contracts.callers import PLATFORM_CLIENT_PREFIX, SCOPES, SERVICE_PRINCIPAL_PREFIX

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,62}$")


class InvalidServiceCredential(ValueError):
    """A name or scope the operator gave cannot make a credential; the message says which and why."""


@dataclass(frozen=True, slots=True)
class ServiceCredential:
    client_id: str
    name: str
    scopes: tuple[str, ...]
    district_id: str | None
    secret_digest: str
    created_at: datetime
    revoked_at: datetime | None = None

    def secret_matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_digest, secret_digest(secret))


@dataclass(frozen=True, slots=True)
class IssuedCredential:
    """A new credential and its secret, shown once to the operator and never stored."""

    credential: ServiceCredential
    secret: str


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_credential(name: str, scopes: Iterable[str], district_id: str | None, now: datetime) -> IssuedCredential:
    if not NAME_PATTERN.match(name):
        raise InvalidServiceCredential(
            f"{name!r} is not a service name: 2 to 63 lower-case letters, digits and hyphens, starting with a letter")
    chosen = tuple(dict.fromkeys(scopes))
    unknown = [scope for scope in chosen if scope not in SCOPES]
    if unknown:
        raise InvalidServiceCredential(f"unknown scope {', '.join(unknown)}: the scopes are {', '.join(SCOPES)}")
    if not chosen:
        raise InvalidServiceCredential(f"a credential needs at least one scope: {', '.join(SCOPES)}")
    secret = secrets.token_urlsafe(32)
    credential = ServiceCredential(client_id=f"{name}-{secrets.token_hex(6)}", name=name, scopes=chosen,
                                   district_id=district_id, secret_digest=secret_digest(secret), created_at=now)
    return IssuedCredential(credential=credential, secret=secret)


def service_principal(credential: ServiceCredential) -> dict:
    """Who the service is to the platform: district-wide in its district (its scopes bound what it may call),
    nobody's in particular without one."""
    roles = [{"role": identity.DISTRICT_ADMIN, "school_ids": []}] if credential.district_id else []
    return {"person_id": f"{SERVICE_PRINCIPAL_PREFIX}{credential.client_id}", "district_id": credential.district_id,
            "display_name": credential.name, "status": "active", "roles": roles, "permissions": [],
            "language": identity.DEFAULT_LANGUAGE}


def platform_principal(service: str) -> dict:
    """Who one of the platform's own services is when it calls another: nobody's in particular, in no district
    (PLATFORM_METHODS, not roles, bound what it may call)."""
    return {"person_id": f"{SERVICE_PRINCIPAL_PREFIX}{PLATFORM_CLIENT_PREFIX}{service}", "district_id": None,
            "display_name": f"platform service {service}", "status": "active", "roles": [], "permissions": [],
            "language": identity.DEFAULT_LANGUAGE}

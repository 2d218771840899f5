"""The one place every RPC method checks who is calling (see shared/contracts/callers.py for the rule).

identity signs credentials (Ed25519 JWTs) with a key only it holds; every other service verifies them with
identity's public keys, fetched over RPC (`get_signing_keys`) once and again only when a credential names a
key it has not seen. A service declares `callers = CallerVerification()`; `rpc_endpoint` then admits each
call through it before the method runs. A caller (the gateway, another team's service) declares
`credential = CallerCredential()` and presents its credential for the calls its worker makes next.
"""
from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding, PublicFormat, load_pem_public_key,
)
from marshmallow import Schema, ValidationError, fields
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy

from shared.contracts import identity
from shared.contracts.base import RpcMethod
from shared.contracts.callers import (
    ACTING_PERSON_FIELDS, CREDENTIAL_CONTEXT_KEY, PERSON_READABLE_METHODS, PLATFORM_CLIENT_PREFIX,
    PLATFORM_SERVICE_CONTEXT_KEY, PUBLIC_METHODS, SCOPE_METHODS, SERVICE_ONLY_METHODS, SERVICE_PRINCIPAL_PREFIX,
    SIGNING_ALGORITHM, get_signing_keys, method_name,
)
from shared.contracts.errors import NotAuthenticated, PermissionDenied, PlatformError

ISSUER = "identity"
AUDIENCE = "school-platform"
USER, SERVICE = "user", "service"
# nameko config: False only in tests that hand principals to a service directly (tests/conftest.py).
VERIFY_CALLERS_SETTING = "VERIFY_CALLERS"
# A credential naming an unknown key makes a service ask identity again, at most this often.
KEY_REFRESH_SECONDS = 10.0
# Services keep a credential checked for at most this long in their clocks' disagreement.
CLOCK_LEEWAY = timedelta(seconds=5)
CREDENTIAL_NOT_VALID = "the caller's credential is not valid: ask identity for a new one"


@dataclass(frozen=True)
class Caller:
    """Who a verified credential says is calling: a person (no scopes), or a service limited to `scopes`."""

    kind: str
    principal: Mapping
    scopes: frozenset[str] = frozenset()

    @property
    def is_service(self) -> bool:
        return self.kind == SERVICE

    def may_call(self, name: str) -> bool:
        return any(name in SCOPE_METHODS.get(scope, ()) for scope in self.scopes)

    @property
    def is_platform_service(self) -> bool:
        return self.is_service and self.principal["person_id"].startswith(
            SERVICE_PRINCIPAL_PREFIX + PLATFORM_CLIENT_PREFIX)


# --- credentials: identity signs them, every service reads them -----------------------------------------

def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def sign_credential(private_key: Ed25519PrivateKey, *, kind: str, principal: Mapping,
                    scopes: frozenset[str] = frozenset(), now: datetime, ttl: timedelta) -> tuple[str, datetime]:
    """A credential for `principal` valid from `now` for `ttl`, and when it expires (whole seconds)."""
    issued_at = now.replace(microsecond=0)
    expires_at = issued_at + ttl
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": principal["person_id"], "kind": kind,
              "principal": _principal_schema().dump(principal), "scopes": sorted(scopes),
              "iat": int(issued_at.timestamp()), "exp": int(expires_at.timestamp())}
    token = jwt.encode(claims, private_key, algorithm=SIGNING_ALGORITHM,
                       headers={"kid": key_id(private_key.public_key())})
    return token, expires_at


def read_credential(token: str, public_key_of: Callable[[str], Ed25519PublicKey | None], now: datetime) -> Caller:
    """The caller `token` vouches for; NotAuthenticated when it is forged, malformed, expired or unknown."""
    return verify_signature(token, public_key_of).current(now)


@dataclass(frozen=True)
class SignedCredential:
    """A credential whose signature and claims were checked; whether it is current depends on the clock."""

    caller: Caller
    issued_at: datetime
    expires_at: datetime

    def current(self, now: datetime) -> Caller:
        if now >= self.expires_at + CLOCK_LEEWAY:
            raise _not_valid("expired")
        if self.issued_at > now + CLOCK_LEEWAY:
            raise _not_valid("issued in the future")
        return self.caller


def verify_signature(token: str, public_key_of: Callable[[str], Ed25519PublicKey | None]) -> SignedCredential:
    """`token`'s signature and claims checked (not its times); NotAuthenticated when forged or malformed."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        public_key = public_key_of(kid) if isinstance(kid, str) else None
        if public_key is None:
            raise _not_valid("signed by no key of identity")
        # Times are checked against this service's clock (SignedCredential.current, with leeway), not the library's.
        claims = jwt.decode(token, public_key, algorithms=[SIGNING_ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
                            options={"require": ["exp", "iat", "sub", "kind", "principal"], "verify_exp": False,
                                     "verify_iat": False, "verify_nbf": False})
        principal = _principal_schema().load(claims["principal"])
        expires_at = datetime.fromtimestamp(claims["exp"], tz=timezone.utc)
        issued_at = datetime.fromtimestamp(claims["iat"], tz=timezone.utc)
        scopes = frozenset(claims.get("scopes") or ())
    except (jwt.PyJWTError, ValidationError, TypeError, ValueError, OverflowError, AttributeError) as error:
        raise _not_valid(str(error)) from None
    if claims["kind"] not in (USER, SERVICE) or claims["sub"] != principal["person_id"]:
        raise _not_valid("not a credential identity issues")
    return SignedCredential(Caller(kind=claims["kind"], principal=principal, scopes=scopes), issued_at, expires_at)


class VerifiedCredentials:
    """The credentials this process verified lately, by their exact text: a caller presents the same one on
    every call for minutes, and checking its signature and claims again gives the same answer (a quarter of
    a millisecond each time). Whether it is still current is checked on every call. Only credentials that
    verified are kept, at most `size`, the least recently used forgotten first."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._kept: OrderedDict[str, SignedCredential] = OrderedDict()

    def read(self, token: str, public_key_of: Callable[[str], Ed25519PublicKey | None], now: datetime) -> Caller:
        signed = self._kept.get(token)
        if signed is None:
            signed = verify_signature(token, public_key_of)
            self._kept[token] = signed
            if len(self._kept) > self._size:
                self._kept.popitem(last=False)
        else:
            self._kept.move_to_end(token)
        return signed.current(now)


def _not_valid(reason: str) -> NotAuthenticated:
    return NotAuthenticated(CREDENTIAL_NOT_VALID, fields={CREDENTIAL_CONTEXT_KEY: [reason]})


@functools.cache
def _principal_schema() -> Schema:
    return identity.Principal()


# --- the rule ---------------------------------------------------------------------------------------------

@functools.cache
def principal_fields(request: type[Schema]) -> tuple[str, ...]:
    """The fields of a request that name who is acting (`viewer`, `sender`): Principals, nested."""
    return tuple(name for name, field in request().fields.items()
                 if isinstance(field, fields.Nested) and field.nested is identity.Principal)


def refusal(method: RpcMethod, request: Mapping, caller: Caller | None,
            platform_service: Callable[[], Caller | None] = lambda: None) -> PlatformError | None:
    """Why this call may not be made with this (loaded) request; None when it may.

    `caller`: who the call is for (a person's assertion, a service token); `platform_service`: reads the
    calling platform service's own token, only when the caller alone does not admit the call."""
    name = method_name(method)
    if name in PUBLIC_METHODS:
        return None
    # Who the payload says acts: as a whole principal (`viewer`), or by person id (`changed_by`).
    principals = [field for field in principal_fields(method.request) if request.get(field) is not None]
    persons = [field for field in (ACTING_PERSON_FIELDS.get(name),) if field and request.get(field) is not None]
    claimed = principals + persons
    if caller is None and claimed:
        return NotAuthenticated(
            f"{name} needs the caller's credential in the nameko context ({CREDENTIAL_CONTEXT_KEY})",
            fields={field: ["is not vouched for by any credential"] for field in claimed})
    if caller is not None and not caller.is_service and name in SERVICE_ONLY_METHODS:
        return PermissionDenied(f"{name} is for operators: call it with a service credential")
    mismatched = {**{field: "principal" for field in principals if dict(request[field]) != dict(caller.principal)},
                  **{field: "person" for field in persons if request[field] != caller.principal["person_id"]}}
    if mismatched:
        return PermissionDenied("the payload names a caller the credential does not vouch for",
                                fields={field: [f"is not the {what} of the caller's credential"]
                                        for field, what in mismatched.items()})
    if _caller_admits(name, caller, claimed):
        return None
    service = platform_service()
    if service is not None and service.may_call(name):
        return None
    if caller is None and service is None:
        return NotAuthenticated(f"{name} needs a credential in the nameko context ({CREDENTIAL_CONTEXT_KEY}, or "
                                f"a platform service's own in {PLATFORM_SERVICE_CONTEXT_KEY})")
    if caller is not None and caller.is_service:
        return PermissionDenied(f"the service credential's scopes do not include {name}",
                                fields={"scopes": [f"{', '.join(sorted(caller.scopes)) or 'none'} granted"]})
    if caller is None:
        return PermissionDenied(f"{service.principal['display_name']} may not call {name} (PLATFORM_METHODS)")
    return PermissionDenied(f"{name} names nobody a person's credential could speak for: the platform's own "
                            "services call it")


def _caller_admits(name: str, caller: Caller | None, claimed: list[str]) -> bool:
    if caller is None:
        return False
    if caller.is_service:
        return caller.may_call(name)
    # A person calls what names them (the callee judges what they may do) and what is harmless to anyone.
    return bool(claimed) or name in PERSON_READABLE_METHODS


# --- nameko: the callee's side ----------------------------------------------------------------------------

class RemoteSigningKeys:
    """identity's public keys, fetched over RPC and kept; asked again when a credential names an unknown key."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._fetched_at: float | None = None
        # Calls arriving while the keys are fetched wait for them instead of finding none (nameko's workers
        # are green threads: this lock is green under eventlet's monkey patching).
        self._fetching = threading.Lock()

    def public_key_of(self, kid: str, fetch: Callable[[], list[Mapping]]) -> Ed25519PublicKey | None:
        if kid in self._keys:
            return self._keys[kid]
        with self._fetching:
            if kid not in self._keys and self._may_refresh():
                self._fetched_at = self._monotonic()
                self._keys = {row["kid"]: load_pem_public_key(row["public_key"].encode("ascii"))
                              for row in fetch()}
        return self._keys.get(kid)

    def _may_refresh(self) -> bool:
        # A forged credential naming made-up keys must not turn into a stream of calls to identity.
        return self._fetched_at is None or self._monotonic() - self._fetched_at >= KEY_REFRESH_SECONDS


ReadCredential = Callable[[str, Callable[[str], Ed25519PublicKey | None], datetime], Caller]


class CallerCheck:
    """One worker's view of its caller: the credential in its nameko context, read once when first needed."""

    def __init__(self, token: str | None, public_key_of: Callable[[str], Ed25519PublicKey | None], *,
                 enforce: bool, clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 platform_token: str | None = None, read: ReadCredential = read_credential) -> None:
        self._token = token
        self._platform_token = platform_token
        self._public_key_of = public_key_of
        self._enforce = enforce
        self._clock = clock
        self._read = read

    @functools.cached_property
    def caller(self) -> Caller | None:
        if not self._token:
            return None
        return self._read(self._token, self._public_key_of, self._clock())

    @functools.cached_property
    def platform_service(self) -> Caller | None:
        """The platform service making the call, from its own token; read only when a call needs it."""
        if not self._platform_token:
            return None
        service = self._read(self._platform_token, self._public_key_of, self._clock())
        if not service.is_platform_service:
            raise _not_valid(f"{PLATFORM_SERVICE_CONTEXT_KEY} carries no platform service's token")
        return service

    def admit(self, method: RpcMethod, request: Mapping) -> None:
        """Raise NotAuthenticated (401) or PermissionDenied (403) unless the caller may make this call."""
        if not self._enforce:
            return
        problem = refusal(method, request, self.caller, lambda: self.platform_service)
        if problem is not None:
            raise problem


class CallerVerification(RpcProxy):
    """Declared by every service as `callers`; `rpc_endpoint` admits each call through it.

    It asks identity for its public keys through the service's own RPC reply queue (so a service's broker
    user needs no other); `local_keys`: identity's own keys (identity does not ask itself)."""

    def __init__(self, local_keys: Callable[[], Mapping[str, Ed25519PublicKey]] | None = None) -> None:
        super().__init__(identity.NAME)
        self.local_keys = local_keys

    def setup(self) -> None:
        super().setup()
        self.enforce = bool(self.container.config.get(VERIFY_CALLERS_SETTING, True))
        self.own_keys = self.local_keys() if self.local_keys is not None else None
        self.remote_keys = RemoteSigningKeys()
        self.verified = VerifiedCredentials()

    def get_dependency(self, worker_ctx) -> CallerCheck:
        if self.own_keys is not None:
            public_key_of = self.own_keys.get
        else:
            identity_rpc = super().get_dependency(worker_ctx)

            def fetch() -> list[Mapping]:
                return getattr(identity_rpc, get_signing_keys.name)({})["keys"]

            public_key_of = functools.partial(self.remote_keys.public_key_of, fetch=fetch)
        return CallerCheck(worker_ctx.data.get(CREDENTIAL_CONTEXT_KEY), public_key_of, enforce=self.enforce,
                           platform_token=worker_ctx.data.get(PLATFORM_SERVICE_CONTEXT_KEY), read=self.verified.read)


# --- nameko: the caller's side ----------------------------------------------------------------------------

class CallerCredential(DependencyProvider):
    """`self.credential(token)`: the RPC calls this worker makes from now on carry `token` (nameko passes the
    worker's context on to every call it makes, and those calls pass it on again)."""

    def get_dependency(self, worker_ctx) -> Callable[[str], None]:
        def present(token: str) -> None:
            worker_ctx.data[CREDENTIAL_CONTEXT_KEY] = token

        return present


class ActingAsItself(DependencyProvider):
    """`self.act_as_itself()`: the RPC calls this worker makes from now on carry no caller's credential, only the
    service's own platform token. For background work a request started (a sync run): the requester's
    credential was checked when the work was asked for, and expires (minutes) long before a district's run ends."""

    def get_dependency(self, worker_ctx) -> Callable[[], None]:
        return lambda: worker_ctx.data.pop(CREDENTIAL_CONTEXT_KEY, None)


def credential_context(token: str | None) -> dict:
    """The nameko context data that carries `token` (for standalone proxies: ClusterRpcProxy(context_data=...))."""
    return {CREDENTIAL_CONTEXT_KEY: token} if token else {}

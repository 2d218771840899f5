"""The platform's own services as callers (shared/platform_identity.py): derived secrets, kept tokens, and a
check that every call a service makes is one the rule lets it make."""
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from services.identity.adapters.signing_keys import credential_signer_from_environment
from services.identity.handlers_callers import issue_service_token
from shared.callers import principal_fields, read_credential
from shared.contracts import directory, identity, notify, rostering
from shared.contracts.callers import (
    ACTING_PERSON_FIELDS, GATEWAY, PERSON_READABLE_METHODS, PLATFORM_METHODS, PLATFORM_SERVICES, PUBLIC_METHODS,
    method_name, platform_scope,
)
from shared.contracts.errors import NotAuthenticated
from shared.platform_identity import REFRESH_MARGIN, PlatformTokens, platform_environment, platform_secret

SECRET = "s" * 48
NOW = datetime(2026, 12, 5, 8, 0, tzinfo=timezone.utc)
PROJECT = Path(__file__).resolve().parents[2]
CONTRACTS = {contract.NAME: contract for contract in (directory, identity, notify, rostering)}


def test_each_service_has_its_own_secret_derived_from_identitys():
    environment = platform_environment(SECRET)

    assert set(environment) == {f"{service.upper()}_PLATFORM_SECRET" for service in PLATFORM_SERVICES
                                if service != identity.NAME}
    assert len(set(environment.values())) == len(environment)
    assert platform_secret(SECRET, notify.NAME) != platform_secret("t" * 48, notify.NAME)


class NoServiceCredentials:
    def credential(self, client_id):
        raise AssertionError("a platform client id is never looked up among the stored credentials")


def exchange(client_id: str, secret: str) -> dict:
    signer = credential_signer_from_environment({"IDENTITY_TOKEN_SECRET": SECRET})
    return issue_service_token({"client_id": client_id, "client_secret": secret},
                               credentials=NoServiceCredentials(), signer=signer, clock=lambda: NOW)


def test_identity_issues_a_platform_service_a_token_limited_to_its_platform_scope():
    issued = exchange("platform:notify", platform_secret(SECRET, notify.NAME))

    signer = credential_signer_from_environment({"IDENTITY_TOKEN_SECRET": SECRET})
    caller = read_credential(issued["token"], signer.public_keys().get, NOW)
    assert caller.is_platform_service and caller.scopes == {platform_scope(notify.NAME)}
    assert issued["principal"]["person_id"] == "service:platform:notify"


@pytest.mark.parametrize("client_id, secret", [
    ("platform:notify", platform_secret(SECRET, directory.NAME)),  # another service's secret
    ("platform:notify", "guess"),
    ("platform:mailer", platform_secret(SECRET, "mailer")),  # no such platform service
])
def test_identity_refuses_a_platform_client_with_the_wrong_secret(client_id, secret):
    with pytest.raises(NotAuthenticated):
        exchange(client_id, secret)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def test_a_token_is_kept_until_shortly_before_it_expires():
    clock, asked = Clock(), []

    def ask(client_id, secret):
        asked.append(clock.now)
        return {"token": f"token-{len(asked)}", "expires_at": (clock.now + timedelta(minutes=15)).isoformat()}

    tokens = PlatformTokens("platform:notify", "secret", ask, clock)
    assert tokens.current() == tokens.current() == "token-1"
    clock.now += timedelta(minutes=15) - REFRESH_MARGIN - timedelta(seconds=1)
    assert tokens.current() == "token-1"
    clock.now += timedelta(seconds=1)
    assert tokens.current() == "token-2" and len(asked) == 2


# --- every call each service makes is one the rule admits ----------------------------------------------------

CALL = re.compile(r"\b(directory|identity|notify|rostering)(?:_rpc)?\.([a-z_]+)\b")


def calls_made_by(service: str) -> set[str]:
    folder = PROJECT / "services" / service
    found = set()
    for path in folder.rglob("*.py"):
        for contract_name, method in CALL.findall(path.read_text()):
            if contract_name != service and method in CONTRACTS[contract_name].contract.rpcs:
                found.add(f"{contract_name}.{method}")
    return found


def admitted_without_the_platform_credential(name: str) -> bool:
    contract_name, method_name_ = name.split(".")
    method = CONTRACTS[contract_name].contract.rpcs[method_name_]
    names_a_person = bool(principal_fields(method.request)) or name in ACTING_PERSON_FIELDS
    return name in PUBLIC_METHODS or names_a_person or name in PERSON_READABLE_METHODS


@pytest.mark.parametrize("service", PLATFORM_SERVICES)
def test_every_call_a_service_makes_is_admitted(service):
    """What a service calls naming nobody must be in its PLATFORM_METHODS, or the call is refused in the stack."""
    calls = calls_made_by(service)
    assert calls, f"found no calls in services/{service}"
    missing = sorted(name for name in calls
                     if not admitted_without_the_platform_credential(name) and name not in PLATFORM_METHODS[service])
    assert missing == []


def test_platform_methods_name_only_methods_of_other_services():
    for service, methods in PLATFORM_METHODS.items():
        assert all(name.split(".")[0] != service for name in methods), service
    assert GATEWAY in PLATFORM_METHODS
    assert {method_name(notify.receive_provider_webhook)} <= PLATFORM_METHODS[GATEWAY]

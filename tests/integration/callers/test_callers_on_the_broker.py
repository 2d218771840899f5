"""The callers' rule (shared/callers.py) held by real services on the real broker: identity issues the
credentials, directory fetches identity's key over RPC and refuses what a credential does not vouch for."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.directory.service import DirectoryService
from services.identity.adapters.service_credentials import add_service_credential
from services.identity.service import IdentityService
from shared.callers import USER, sign_credential
from shared.contracts import directory, identity
from shared.contracts.callers import ANNOUNCEMENTS_SEND, DIRECTORY_READ, SCOPES
from shared.contracts.errors import NotAuthenticated, PermissionDenied

pytestmark = pytest.mark.postgres

ADMIN_EMAIL = "admin@district-1.example.org"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def platform(start_verifying):
    """identity and directory verifying their callers."""
    return start_verifying(IdentityService, DirectoryService)


@pytest.fixture
def signed_in_admin(signed_in) -> dict:
    """The district administrator's assertion, as the gateway gets it after sign-in."""
    return signed_in("admin-1", ADMIN_EMAIL, identity.DISTRICT_ADMIN, PASSWORD)


def search_as(viewer: dict) -> dict:
    return {"viewer": viewer, "query": "rivera"}


def test_an_assertion_identity_issued_lets_directory_answer_its_person(call, signed_in_admin):
    page = call(directory.contract, "search_people", search_as(signed_in_admin["principal"]),
                signed_in_admin["assertion"])

    assert page["items"] == [] and page["total"] == 0


def test_a_principal_without_an_assertion_is_refused_401(call, signed_in_admin):
    with pytest.raises(NotAuthenticated) as refused:
        call(directory.contract, "search_people", search_as(signed_in_admin["principal"]))

    assert refused.value.fields == {"viewer": ["is not vouched for by any credential"]}


def test_a_forged_assertion_is_refused_401(call, signed_in_admin):
    principal = signed_in_admin["principal"]
    forged, _ = sign_credential(Ed25519PrivateKey.generate(), kind=USER, principal=principal,
                                now=datetime.now(timezone.utc), ttl=timedelta(minutes=5))

    with pytest.raises(NotAuthenticated):
        call(directory.contract, "search_people", search_as(principal), forged)


def test_a_payload_naming_someone_else_than_the_assertion_is_refused_403(call, signed_in_admin):
    impostor = {**signed_in_admin["principal"], "person_id": "admin-2"}

    with pytest.raises(PermissionDenied) as refused:
        call(directory.contract, "search_people", search_as(impostor), signed_in_admin["assertion"])

    assert refused.value.fields == {"viewer": ["is not the principal of the caller's credential"]}


def test_setting_a_password_without_the_operators_credential_is_refused(call, signed_in_admin, credential_for):
    request = {"login": ADMIN_EMAIL, "password": "a password of my choosing"}

    with pytest.raises(NotAuthenticated):
        call(identity.contract, "set_password", request)
    with pytest.raises(PermissionDenied):
        call(identity.contract, "set_password", request, signed_in_admin["assertion"])
    with pytest.raises(PermissionDenied):
        call(identity.contract, "set_password", request, credential_for(DIRECTORY_READ)["token"])
    # The password is still the one the operator set.
    assert call(identity.contract, "login", {"login": ADMIN_EMAIL, "password": PASSWORD})["token"]


def test_a_service_credential_with_the_scope_reads_the_directory_as_itself(call, credential_for):
    reader = credential_for(DIRECTORY_READ)

    page = call(directory.contract, "search_people", search_as(reader["principal"]), reader["token"])
    schools = call(directory.contract, "get_schools", {"district_id": "district-1"}, reader["token"])

    assert page["total"] == 0 and schools == {"schools": []}
    assert reader["principal"]["person_id"].startswith("service:test-service-")


def test_a_service_credential_without_the_scope_is_refused_403(call, credential_for):
    sender = credential_for(ANNOUNCEMENTS_SEND)

    with pytest.raises(PermissionDenied) as refused:
        call(directory.contract, "search_people", search_as(sender["principal"]), sender["token"])
    assert refused.value.fields == {"scopes": ["announcements:send granted"]}
    with pytest.raises(PermissionDenied):
        call(directory.contract, "get_schools", {"district_id": "district-1"}, sender["token"])


def test_a_service_credential_cannot_name_a_person_as_the_caller(call, credential_for, signed_in_admin):
    reader = credential_for(DIRECTORY_READ)

    with pytest.raises(PermissionDenied):
        call(directory.contract, "search_people", search_as(signed_in_admin["principal"]), reader["token"])


def test_a_wrong_secret_gets_no_service_token(call, database_urls):
    issued = add_service_credential(database_urls[identity.NAME], "test-service", [DIRECTORY_READ], None,
                                    datetime.now(timezone.utc))

    with pytest.raises(NotAuthenticated):
        call(identity.contract, "issue_service_token",
             {"client_id": issued.credential.client_id, "client_secret": "guessed"})


# --- the platform's own services ------------------------------------------------------------------------------

def test_join_tokens_go_only_to_notify_not_to_anyone_on_the_broker(call, signed_in_admin, credential_for):
    """identity.issue_join_tokens answers a join link: nobody but notify's platform credential may ask for one."""
    request = {"person_ids": ["admin-1"], "issued_by": "admin-1"}
    with pytest.raises(NotAuthenticated):
        call(identity.contract, "issue_join_tokens", request)
    with pytest.raises(PermissionDenied):
        call(identity.contract, "issue_join_tokens", request, signed_in_admin["assertion"])
    with pytest.raises(PermissionDenied):
        call(identity.contract, "issue_join_tokens", request, credential_for(*SCOPES)["token"])
    with pytest.raises(PermissionDenied):
        call(identity.contract, "issue_join_tokens", request, as_platform="rostering")

    [answer] = call(identity.contract, "issue_join_tokens", request, as_platform="notify")["results"]
    assert answer["person_id"] == "admin-1"


def test_reading_accounts_anonymously_or_as_a_person_is_refused(call, signed_in_admin):
    with pytest.raises(NotAuthenticated):
        call(identity.contract, "get_accounts", {"person_ids": ["admin-1"]})
    with pytest.raises(PermissionDenied):
        call(identity.contract, "get_accounts", {"person_ids": ["admin-1"]}, signed_in_admin["assertion"])


def test_a_wrong_platform_secret_gets_no_token(call):
    with pytest.raises(NotAuthenticated):
        call(identity.contract, "issue_service_token", {"client_id": "platform:notify", "client_secret": "guess"})

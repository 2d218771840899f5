"""Who a payload says acts by id (`changed_by`, `reset_by`, `decided_by`: ACTING_PERSON_FIELDS) held by every
service that takes one, on the real broker, verifying callers as the real stack does; and a platform service
acting for a person carries that person's credential on to the calls it makes (directory -> identity;
identity -> notify: test_credential_carried_to_notify.py)."""
from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest

from services.directory.service import DirectoryService
from services.identity.adapters.signing_keys import credential_signer_from_environment
from services.identity.service import IdentityService
from services.notify.service import NotifyService
from services.rostering.service import RosteringService
from shared.contracts import directory, identity, notify, rostering
from shared.contracts.callers import ROSTERING_MANAGE
from shared.contracts.errors import NotAuthenticated, NotFound, PermissionDenied
from shared.messaging import cluster_rpc
from tests.integration.directory.directory_district import seed_district

pytestmark = pytest.mark.postgres

FORGED = "is not the person of the caller's credential"
UNVOUCHED = "is not vouched for by any credential"


@pytest.fixture
def platform(start_verifying):
    return start_verifying(IdentityService, DirectoryService, NotifyService, RosteringService)


@pytest.fixture
def district(platform, platform_token):
    """The directory's small district (tests/integration/directory), upserted as a sync (rostering) would."""
    with cluster_rpc(platform["AMQP_URI"], timeout=60, platform_token=platform_token(rostering.NAME)) as rpc:
        return seed_district(rpc(directory.contract))


@pytest.fixture
def assertion_of(identity_token_secret):
    """assertion_of(principal): what identity's `issue_assertion` answers the gateway for a signed-in person,
    signed with the very key the running identity signs with."""
    signer = credential_signer_from_environment(os.environ)
    return lambda principal: signer.assert_user(principal, datetime.now(timezone.utc))[0]


def refused(error, call, *args) -> dict:
    with pytest.raises(error) as raised:
        call(*args)
    return raised.value.fields


def test_identity_takes_changed_by_only_from_the_person_the_assertion_vouches_for(call, district, assertion_of):
    admin = district.viewer("district_admin")
    change = {"district_id": district.id, "languages": ["en", "es"], "changed_by": admin["person_id"]}
    forged = {**change, "changed_by": district.ids["tess"]}

    assert refused(PermissionDenied, call, identity.contract, "set_district_languages", forged,
                   assertion_of(admin)) == {"changed_by": [FORGED]}
    assert refused(NotAuthenticated, call, identity.contract, "set_district_languages", change) == {
        "changed_by": [UNVOUCHED]}
    assert refused(PermissionDenied, call, identity.contract, "grant_roles", {
        "person_id": district.ids["tess"], "roles": [{"role": identity.SCHOOL_ADMIN, "school_ids": []}],
        "changed_by": admin["person_id"]}, assertion_of(district.viewer("tess"))) == {"changed_by": [FORGED]}
    answered = call(identity.contract, "set_district_languages", change, assertion_of(admin))
    assert answered["languages"] == ["en", "es"]


def test_notify_takes_changed_and_reset_by_only_from_the_person_the_assertion_vouches_for(call, district,
                                                                                          assertion_of):
    admin = district.viewer("district_admin")
    change = {"district_id": district.id, "default_preference": "sms_app", "changed_by": admin["person_id"]}
    reset = {"person_id": district.ids["gina"], "kind": "email", "reset_by": "someone-else"}

    assert refused(PermissionDenied, call, notify.contract, "set_district_default",
                   {**change, "changed_by": "someone-else"}, assertion_of(admin)) == {"changed_by": [FORGED]}
    assert refused(NotAuthenticated, call, notify.contract, "set_district_default", change) == {
        "changed_by": [UNVOUCHED]}
    assert refused(PermissionDenied, call, notify.contract, "reset_credential_status", reset,
                   assertion_of(admin)) == {"reset_by": [FORGED]}
    answered = call(notify.contract, "set_district_default", change, assertion_of(admin))
    assert (answered["default_preference"], answered["updated_by"]) == ("sms_app", admin["person_id"])


def test_rostering_records_as_decider_only_who_the_credential_says(call, district, assertion_of, credential_for):
    decision = {"run_id": "no-such-run", "reason": None}
    admin = district.viewer("district_admin")
    operator = credential_for(ROSTERING_MANAGE, district_id=None)

    assert refused(NotAuthenticated, call, rostering.contract, "approve_sync_run",
                   {**decision, "decided_by": "operator"}) == {"decided_by": [UNVOUCHED]}
    assert refused(PermissionDenied, call, rostering.contract, "reject_sync_run",
                   {**decision, "decided_by": "Rita"}, operator["token"]) == {"decided_by": [FORGED]}
    assert refused(PermissionDenied, call, rostering.contract, "approve_sync_run",
                   {**decision, "decided_by": "someone-else"}, assertion_of(admin)) == {"decided_by": [FORGED]}
    # Admitted as itself: the run is then looked for, and there is none.
    assert refused(NotFound, call, rostering.contract, "approve_sync_run",
                   {**decision, "decided_by": operator["principal"]["person_id"]}, operator["token"])


def test_directory_acting_for_a_person_carries_their_assertion_to_identity(call, district, assertion_of):
    """add_staff makes directory call identity.grant_roles with changed_by = the administrator: identity
    admits it because nameko passes the administrator's assertion on with directory's call."""
    admin = district.viewer("north_admin")
    added = call(directory.contract, "add_staff", {
        "viewer": admin, "school_ids": [district.ids["sch-north"]], "job_title": "Aide",
        "staff": {"given_name": "Ola", "family_name": "Berg", "email": "ola@example.org"}}, assertion_of(admin))

    assert added["outcome"] == "created"
    [account] = call(identity.contract, "get_accounts", {"person_ids": [added["person_id"]]},
                     as_platform=directory.NAME)["accounts"]
    assert account["roles"] == [{"role": identity.TEACHER, "school_ids": [district.ids["sch-north"]]}]


"""A platform service acting for a person carries that person's credential on to the calls it makes: identity,
confirming a person's own email that notify marked bad, calls notify.reset_credential_status with `reset_by` =
that person, and notify (a recording stand-in here, verifying callers as notify does) admits it on the person's
assertion, which nameko passes on with identity's call."""
from __future__ import annotations

import pytest

from services.identity.service import IdentityService
from shared.contracts import identity, notify
from shared.contracts.errors import PermissionDenied
from shared.testing.fake_notify import RecordingNotify, fake_notify_service

pytestmark = pytest.mark.postgres

EMAIL = "dana.rivera@example.org"


@pytest.fixture
def recorder() -> RecordingNotify:
    return RecordingNotify()


@pytest.fixture
def platform(start_verifying, recorder):
    return start_verifying(IdentityService, fake_notify_service(recorder, verify_callers=True))


@pytest.fixture
def dana(signed_in) -> dict:
    """Dana, signed in: identity's assertion of her (`principal`, `assertion`), as the gateway gets it."""
    return signed_in("dana", EMAIL, identity.GUARDIAN, "a long enough password")


def test_identity_resets_a_proven_bad_email_in_notify_as_the_person(call, recorder, dana):
    recorder.bad.add(("email", EMAIL))
    viewer, assertion = dana["principal"], dana["assertion"]

    call(identity.contract, "send_credential_code", {"viewer": viewer, "kind": "email", "value": EMAIL}, assertion)
    call(identity.contract, "confirm_credential", {"viewer": viewer, "kind": "email",
                                                    "code": recorder.last_code(EMAIL)}, assertion)

    assert [reset["reset_by"] for reset in recorder.resets] == ["dana"]


def test_the_stand_in_refuses_a_reset_by_anyone_but_the_assertions_person(call, dana):
    with pytest.raises(PermissionDenied) as refused:
        call(notify.contract, "reset_credential_status", {"person_id": "dana", "kind": "email",
                                                          "reset_by": "someone-else"}, dana["assertion"])

    assert refused.value.fields == {"reset_by": ["is not the person of the caller's credential"]}

"""The operator's dead-letter RPCs on real services verifying their callers: only a service token with the
deliveries:manage scope reaches them; a signed-in person, another scope or no credential is refused."""
from __future__ import annotations

import pytest

from services.identity.service import IdentityService
from services.notify.service import NotifyService
from shared.contracts import identity, notify
from shared.contracts.callers import DELIVERIES_MANAGE, SUPPORT_READ
from shared.contracts.errors import NotAuthenticated, PermissionDenied

pytestmark = pytest.mark.postgres


@pytest.fixture
def platform(start_verifying):
    """identity, which issues the credentials, and notify, which answers for the dead letters."""
    return start_verifying(IdentityService, NotifyService)


def test_the_operator_s_scope_lists_replays_and_purges_dead_letters(call, credential_for):
    operator = credential_for(DELIVERIES_MANAGE, district_id=None)["token"]

    listed = call(notify.contract, "list_dead_letters", {}, operator)
    replayed = call(notify.contract, "replay_dead_letters", {"message_ids": None}, operator)
    purged = call(notify.contract, "purge_dead_letters", {"message_ids": None}, operator)

    assert listed == {"total": 0, "items": []}
    assert replayed == {"replayed": [], "skipped": []} and purged == {"purged": 0}


def test_anyone_else_is_refused(call, credential_for, signed_in):
    admin = signed_in("admin-1", "admin@district-1.example.org", identity.DISTRICT_ADMIN, "a long enough password")

    with pytest.raises(NotAuthenticated):
        call(notify.contract, "purge_dead_letters", {})
    with pytest.raises(PermissionDenied):
        call(notify.contract, "purge_dead_letters", {}, admin["assertion"])
    with pytest.raises(PermissionDenied):
        call(notify.contract, "list_dead_letters", {}, credential_for(SUPPORT_READ, district_id=None)["token"])

"""Reset Status clears bad and only bad; STOP opts a number out, START opts it back in."""
from __future__ import annotations

import pytest

from services.notify.domain.credential_status import ResetRefused, check_reset, state_after_keyword
from services.notify.domain.delivery import CredentialKind, CredentialState

GOOD, BAD, OPTED_OUT = CredentialState.GOOD, CredentialState.BAD, CredentialState.OPTED_OUT


@pytest.mark.parametrize("kind", list(CredentialKind))
def test_reset_status_clears_a_bad_credential(kind):
    check_reset(kind, BAD)


def test_reset_status_never_clears_an_opt_out_and_says_only_start_does():
    with pytest.raises(ResetRefused) as refused:
        check_reset(CredentialKind.MOBILE_PHONE, OPTED_OUT)

    assert "only START" in refused.value.reason


def test_reset_status_of_a_good_credential_is_refused_as_nothing_to_reset():
    with pytest.raises(ResetRefused) as refused:
        check_reset(CredentialKind.EMAIL, GOOD)

    assert refused.value.reason == "this email address is not marked bad; there is nothing to reset"


@pytest.mark.parametrize("state", [GOOD, BAD, OPTED_OUT])
def test_stop_opts_a_number_out_whatever_its_state(state):
    assert state_after_keyword(state, "opt_out") is OPTED_OUT


@pytest.mark.parametrize("state, after", [(OPTED_OUT, GOOD), (GOOD, GOOD), (BAD, BAD)])
def test_start_clears_an_opt_out_and_nothing_else(state, after):
    assert state_after_keyword(state, "opt_in") is after

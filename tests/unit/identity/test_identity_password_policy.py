"""Which passwords a person may choose."""
import pytest
from argon2 import PasswordHasher
from hypothesis import given, settings
from hypothesis import strategies as st

from services.identity import handlers
from services.identity.domain.password_policy import (
    MIN_LENGTH,
    TOO_COMMON,
    TOO_LONG,
    TOO_SHORT,
    password_refusal,
    refusal_for_account,
)
from services.identity.domain.passwords import Argon2Passwords
from shared.contracts.errors import InvalidRequest
from identity_builders import make_account

PASSWORDS = Argon2Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.mark.parametrize("password", ["password1", "Password123!", "qwertyuiop", "iloveyou123", "letmein!!",
                                      "aaaaaaaaaaaa", "12345678", "P@ssw0rd2024", "football1"])
def test_common_and_breached_passwords_and_their_simple_variations_are_refused(password):
    assert password_refusal(password) == TOO_COMMON


@pytest.mark.parametrize("password", ["correct horse battery staple", "a long enough password", "Tr0ub4dor&3",
                                      "demo-parent-2026", "maple kettle orbit"])
def test_passphrases_and_uncommon_passwords_are_accepted(password):
    assert password_refusal(password) is None


def test_a_password_shorter_than_eight_characters_is_refused_however_random():
    assert password_refusal("x7#Qp2!") == TOO_SHORT
    assert password_refusal("x7#Qp2!z") is None


def test_the_persons_own_names_and_credentials_make_a_password_common():
    account = make_account()  # Dana Rivera, dana.rivera@example.org, +14155552671

    assert password_refusal("zephyrdana") is None
    assert refusal_for_account("zephyrdana", account) == TOO_COMMON
    assert refusal_for_account("dana.rivera", account) == TOO_COMMON


def test_a_very_long_password_is_judged_on_its_beginning_and_refused_past_the_limit():
    assert password_refusal("maple kettle orbit " * 20) is None
    assert password_refusal("x" * 1025) == TOO_LONG


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=MIN_LENGTH - 1))
def test_nothing_shorter_than_the_minimum_is_accepted(password):
    assert password_refusal(password) == TOO_SHORT


def test_the_operator_cannot_set_a_common_password_and_nothing_changes(repo, clock):
    repo.accounts["person-guardian-1"] = make_account(password_hash="$argon2id$old")

    with pytest.raises(InvalidRequest) as refused:
        handlers.set_password({"login": "dana.rivera@example.org", "password": "Password123!"}, repo=repo,
                              passwords=PASSWORDS, clock=clock)

    assert refused.value.fields == {"password": [TOO_COMMON]}
    assert repo.accounts["person-guardian-1"].password_hash == "$argon2id$old"

import pytest

from services.identity.domain.accounts import RoleGrant
from services.identity.domain.sign_in import (
    ACCOUNT_ARCHIVED,
    ACCOUNT_DISABLED,
    STUDENT_NOT_ENABLED,
    may_sign_in,
    sign_in_refusal,
)
from identity_builders import make_account, make_profile


def student(*, also: tuple[RoleGrant, ...] = (), **overrides):
    return make_account(profile=make_profile(roles=(*also, RoleGrant("student", ("school-1",)))), **overrides)


def test_a_student_whose_account_is_not_enabled_may_not_sign_in_and_is_told_why():
    assert sign_in_refusal(student()) == STUDENT_NOT_ENABLED


def test_a_student_whose_account_is_enabled_may_sign_in():
    assert may_sign_in(student(student_enabled=True))


def test_a_student_who_also_holds_another_role_is_judged_by_that_role():
    assert may_sign_in(student(also=(RoleGrant("guardian"),)))
    assert may_sign_in(student(also=(RoleGrant("teacher", ("school-1",)),)))


@pytest.mark.parametrize("account", [
    make_account(status="disabled"),
    make_account(status="disabled", student_enabled=True,
                 profile=make_profile(roles=(RoleGrant("student"),))),
], ids=["guardian", "enabled-student"])
def test_a_disabled_account_may_not_sign_in_whatever_its_roles(account):
    assert sign_in_refusal(account) == ACCOUNT_DISABLED


@pytest.mark.parametrize("status", ["invitee", "active"])
def test_an_adult_account_that_is_not_disabled_may_sign_in(status):
    assert may_sign_in(make_account(status=status))


@pytest.mark.parametrize("account", [
    make_account(archived=True),
    make_account(archived=True, status="active", profile=make_profile(roles=(RoleGrant("teacher", ("s",)),))),
    student(archived=True, student_enabled=True),
], ids=["guardian", "teacher", "enabled-student"])
def test_an_archived_account_may_not_sign_in_and_is_told_it_is_archived(account):
    assert sign_in_refusal(account) == ACCOUNT_ARCHIVED
    assert ACCOUNT_ARCHIVED.startswith("the account is archived: ")


def test_a_disabled_account_that_is_also_archived_is_told_it_is_disabled():
    assert sign_in_refusal(make_account(status="disabled", archived=True)) == ACCOUNT_DISABLED


def test_a_student_only_by_sync_and_a_guardian_by_hand_is_judged_as_a_guardian():
    assert may_sign_in(student(manual_roles=(RoleGrant("guardian"),)))

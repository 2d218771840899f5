"""Who may sign in: the one rule login, set_password and authenticate share."""
from __future__ import annotations

from .accounts import DISABLED, Account

ACCOUNT_DISABLED = "the account is disabled"
ACCOUNT_ARCHIVED = "the account is archived: archived people cannot sign in until the school unarchives them"
STUDENT_NOT_ENABLED = ("the student's account is not enabled yet: "
                       "the school enables student accounts before students can sign in")


def sign_in_refusal(account: Account) -> str | None:
    """Why `account` may not sign in, or None when it may.

    Archived people leave sign-in until they are unarchived (DESIGN.md, Directory).
    Students sign in only once their account is enabled (DESIGN.md, Accounts);
    an account that also holds another role signs in under that role.
    """
    if account.status == DISABLED:
        return ACCOUNT_DISABLED
    if account.archived:
        return ACCOUNT_ARCHIVED
    if account.is_student_only and not account.student_enabled:
        return STUDENT_NOT_ENABLED
    return None


def may_sign_in(account: Account) -> bool:
    return sign_in_refusal(account) is None

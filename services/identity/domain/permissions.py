"""Who may do what, decided from a Principal (the dict identity.authenticate returns).

Pure functions, so the gateway can import them and decide before it calls a
service. Row-level scoping (which students, which schools) is the owning
service's business; these rules only say whether an action is open at all.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from shared.contracts import identity

Principal = Mapping
Rule = Callable[[Principal], bool]

SEARCH_DIRECTORY = "directory.search"
VIEW_PROFILES = "directory.view_profiles"
ENABLE_STUDENT_ACCOUNTS = "directory.enable_student_accounts"
SET_STAFF_PERMISSIONS = "identity.set_staff_permissions"
VIEW_CREDENTIALS_OF_OTHERS = "identity.view_credentials_of_others"


def has_role(principal: Principal, role: str) -> bool:
    return any(grant["role"] == role for grant in principal.get("roles", ()))


def schools_with_role(principal: Principal, role: str) -> frozenset[str]:
    """The schools where the principal holds `role` (empty for district-wide roles and families)."""
    return frozenset(school_id
                     for grant in principal.get("roles", ()) if grant["role"] == role
                     for school_id in grant.get("school_ids", ()))


def has_permission(principal: Principal, permission: str) -> bool:
    return permission in principal.get("permissions", ())


def any_role(*roles: str) -> Rule:
    return lambda principal: any(has_role(principal, role) for role in roles)


def any_permission(*permissions: str) -> Rule:
    return lambda principal: any(has_permission(principal, permission) for permission in permissions)


def either(*rules: Rule) -> Rule:
    return lambda principal: any(rule(principal) for rule in rules)


def both(*rules: Rule) -> Rule:
    return lambda principal: all(rule(principal) for rule in rules)


def anyone(_principal: Principal) -> bool:
    return True


STAFF = any_role(identity.DISTRICT_ADMIN, identity.SCHOOL_ADMIN, identity.TEACHER)

ACTIONS: Mapping[str, Rule] = MappingProxyType({
    SEARCH_DIRECTORY: STAFF,
    # Every signed-in user sees some profiles; directory narrows the rows to their own scope.
    VIEW_PROFILES: anyone,
    ENABLE_STUDENT_ACCOUNTS: either(
        any_role(identity.DISTRICT_ADMIN, identity.SCHOOL_ADMIN),
        both(any_role(identity.TEACHER),
             any_permission(identity.USERS_MANAGER, identity.ROSTERING_ADMINISTRATOR)),
    ),
    SET_STAFF_PERMISSIONS: either(any_role(identity.DISTRICT_ADMIN), any_permission(identity.PERMISSIONS_ADMIN)),
    VIEW_CREDENTIALS_OF_OTHERS: STAFF,
})


def may(principal: Principal, action: str) -> bool:
    """Whether `principal` may perform `action` at all. Unknown actions are a programming error."""
    try:
        rule = ACTIONS[action]
    except KeyError:
        raise KeyError(f"no permission rule for action {action!r}") from None
    # authenticate refuses disabled accounts already; a stale principal must not slip through.
    if principal.get("status") == "disabled":
        return False
    return rule(principal)

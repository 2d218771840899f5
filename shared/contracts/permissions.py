"""Who may do what, decided from a Principal (the dict identity.authenticate returns).

Pure functions, shared vocabulary of every service: the gateway decides with
them before it calls a service, and a service may check the same rule again
on the principal it is handed. Row-level scoping (which students, which schools) is the owning
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
ANNOUNCE_TO_SCHOOL = "notify.announce_school"
ANNOUNCE_TO_CLASSROOM = "notify.announce_classroom"
ANNOUNCE_TO_SELECTED = "notify.announce_selected"
VIEW_DELIVERY_REPORTS = "notify.view_delivery_reports"
VIEW_UNREACHABLE_CONTACTS = "notify.view_unreachable_contacts"
RESET_CREDENTIAL_STATUS = "notify.reset_credential_status"
MANAGE_OTHERS_PREFERENCES = "notify.manage_others_preferences"
SET_DISTRICT_DEFAULT = "notify.set_district_default"
# The languages people of the district choose from (identity.set_district_languages).
SET_DISTRICT_LANGUAGES = "identity.set_district_languages"
# Send Invitation to Join / Resend / Invite in another way, to people the inviter can see, and invitations
# to a classroom's families and enabled students; INVITE_SCHOOL for a whole school's audience and for staff.
INVITE_PEOPLE = "notify.invite_people"
INVITE_SCHOOL = "notify.invite_school"
# Manual directory actions: enroll, unenroll, add staff, job titles, classroom assignments, guardians.
MANAGE_PEOPLE = "directory.manage_people"
ARCHIVE = "directory.archive"
READ_AUDIT_LOG = "directory.read_audit_log"
# Sync runs of the caller's district: list and show them, approve or reject one the mass-change guard held.
MANAGE_SYNC_RUNS = "rostering.manage_sync_runs"


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
ADMINISTRATOR = any_role(identity.DISTRICT_ADMIN, identity.SCHOOL_ADMIN)


def teacher_with(*permissions: str) -> Rule:
    """A teacher holding any of `permissions`: custom permissions widen a staff role, never make one."""
    return both(any_role(identity.TEACHER), any_permission(*permissions))


ACTIONS: Mapping[str, Rule] = MappingProxyType({
    SEARCH_DIRECTORY: STAFF,
    # Every signed-in user sees some profiles; directory narrows the rows to their own scope.
    VIEW_PROFILES: anyone,
    ENABLE_STUDENT_ACCOUNTS: either(ADMINISTRATOR,
                                    teacher_with(identity.USERS_MANAGER, identity.ROSTERING_ADMINISTRATOR)),
    SET_STAFF_PERMISSIONS: either(any_role(identity.DISTRICT_ADMIN), any_permission(identity.PERMISSIONS_ADMIN)),
    VIEW_CREDENTIALS_OF_OTHERS: STAFF,
    # School-wide communication is a feature of School-Wide Communications (DESIGN.md, staff permissions).
    ANNOUNCE_TO_SCHOOL: either(ADMINISTRATOR, teacher_with(identity.SCHOOL_WIDE_COMMUNICATIONS)),
    # Every staff member may write to a class or to selected families; directory narrows who is reachable.
    ANNOUNCE_TO_CLASSROOM: STAFF,
    ANNOUNCE_TO_SELECTED: STAFF,
    # Open to all staff; notify shows a report only to its sender, administrators and Engagement Visibility.
    VIEW_DELIVERY_REPORTS: STAFF,
    VIEW_UNREACHABLE_CONTACTS: either(ADMINISTRATOR, teacher_with(
        identity.SCHOOL_WIDE_COMMUNICATIONS, identity.USERS_MANAGER, identity.ROSTERING_ADMINISTRATOR)),
    # DESIGN.md "Reset Status" names exactly these three permissions.
    RESET_CREDENTIAL_STATUS: either(ADMINISTRATOR, teacher_with(
        identity.ROSTERING_ADMINISTRATOR, identity.SCHOOL_WIDE_COMMUNICATIONS, identity.USERS_MANAGER)),
    MANAGE_OTHERS_PREFERENCES: either(ADMINISTRATOR, teacher_with(identity.USERS_MANAGER)),
    SET_DISTRICT_DEFAULT: any_role(identity.DISTRICT_ADMIN),
    SET_DISTRICT_LANGUAGES: any_role(identity.DISTRICT_ADMIN),
    # Teachers "invite families" (DESIGN.md, who uses it): those of their classes, as directory shows them.
    INVITE_PEOPLE: STAFF,
    # Administrators within their schools; Users Manager "update active student, staff and guardian accounts"
    # and Rostering Administrator "manage school-wide directory, add staff" extend a teacher's to the school.
    INVITE_SCHOOL: either(ADMINISTRATOR, teacher_with(identity.USERS_MANAGER, identity.ROSTERING_ADMINISTRATOR)),
    # Rostering Administrator: "manage school-wide directory, enroll students, add staff, assign to
    # classrooms, manage guardians, set job titles" (DESIGN.md, staff permissions).
    MANAGE_PEOPLE: either(ADMINISTRATOR, teacher_with(identity.ROSTERING_ADMINISTRATOR)),
    # Users Manager "update active student, staff and guardian accounts": archiving is such an update.
    ARCHIVE: either(ADMINISTRATOR, teacher_with(identity.ROSTERING_ADMINISTRATOR, identity.USERS_MANAGER)),
    READ_AUDIT_LOG: any_role(identity.DISTRICT_ADMIN),
    # A held run archives across the whole district: its district administrators, and staff the district
    # made Rostering Administrators, decide on it.
    MANAGE_SYNC_RUNS: either(any_role(identity.DISTRICT_ADMIN),
                             both(STAFF, any_permission(identity.ROSTERING_ADMINISTRATOR))),
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

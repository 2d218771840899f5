"""Who may do what, decided from a Principal (the dict identity.authenticate returns).

Pure functions, shared vocabulary of every service: the gateway decides with
them before it calls a service, and a service may check the same rule again
on the principal it is handed. Row-level scoping (which students, which schools) is the owning
service's business; these rules only say whether an action is open at all.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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
# What a user profile shows of others (DESIGN.md, Directory: who sees what on a user profile): every
# communication a person in scope received, and the delivery status of each of their credentials.
VIEW_ALL_COMMUNICATION_HISTORY = "notify.view_all_communication_history"
VIEW_DELIVERY_STATUS = "notify.view_delivery_status"
# List flagged conversation messages, hide or restore them (DESIGN.md: Content Moderator).
MODERATE_CONTENT = "notify.moderate_content"


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


# Staff roles: only they hold custom permissions (identity keeps others' stored ones inert).
STAFF_ROLES = (identity.DISTRICT_ADMIN, identity.SCHOOL_ADMIN, identity.TEACHER)
STAFF = any_role(*STAFF_ROLES)
ADMINISTRATOR = any_role(identity.DISTRICT_ADMIN, identity.SCHOOL_ADMIN)


# The custom permissions that act on people's contact details (DESIGN.md "Reset Status" names exactly these
# three): a teacher holding one resets bad statuses and sees who is unreachable in their schools.
CONTACT_STATUS_PERMISSIONS = (
    identity.ROSTERING_ADMINISTRATOR, identity.SCHOOL_WIDE_COMMUNICATIONS, identity.USERS_MANAGER)


# The custom permissions that widen a teacher's view from the classes they teach to every student and
# family of their schools ("view and contact students and families school-wide", and the two that manage
# those people); directory applies it to every read.
SCHOOL_WIDE_VIEW_PERMISSIONS = frozenset({
    identity.FAMILY_ACCESS, identity.USERS_MANAGER, identity.ROSTERING_ADMINISTRATOR})


def teacher_with(*permissions: str) -> Rule:
    """A teacher holding any of `permissions`: custom permissions widen a staff role, never make one."""
    return both(any_role(identity.TEACHER), any_permission(*permissions))


ACTIONS: Mapping[str, Rule] = MappingProxyType({
    SEARCH_DIRECTORY: STAFF,
    # Every signed-in user sees some profiles; directory narrows the rows to their own scope.
    VIEW_PROFILES: anyone,
    ENABLE_STUDENT_ACCOUNTS: either(ADMINISTRATOR,
                                    teacher_with(identity.USERS_MANAGER, identity.ROSTERING_ADMINISTRATOR)),
    # Administrators set permissions in their reach (the help centre: "all school or district admin can change
    # permissions for a user in their organization"); a teacher only with Permissions Admin ("update
    # permissions"). Which change each may make: permission_change_refusal.
    SET_STAFF_PERMISSIONS: either(ADMINISTRATOR, teacher_with(identity.PERMISSIONS_ADMIN)),
    VIEW_CREDENTIALS_OF_OTHERS: STAFF,
    # School-wide communication is a feature of School-Wide Communications (DESIGN.md, staff permissions).
    ANNOUNCE_TO_SCHOOL: either(ADMINISTRATOR, teacher_with(identity.SCHOOL_WIDE_COMMUNICATIONS)),
    # Every staff member may write to a class or to selected families; directory narrows who is reachable.
    ANNOUNCE_TO_CLASSROOM: STAFF,
    ANNOUNCE_TO_SELECTED: STAFF,
    # Open to all staff; notify shows a report only to its sender, administrators and Engagement Visibility.
    VIEW_DELIVERY_REPORTS: STAFF,
    VIEW_UNREACHABLE_CONTACTS: either(ADMINISTRATOR, teacher_with(*CONTACT_STATUS_PERMISSIONS)),
    RESET_CREDENTIAL_STATUS: either(ADMINISTRATOR, teacher_with(*CONTACT_STATUS_PERMISSIONS)),
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
    # Engagement Visibility: "see all engagement logs for students in scope"; staff without it see only the
    # communications they took part in (communication_history_scope).
    VIEW_ALL_COMMUNICATION_HISTORY: either(ADMINISTRATOR, teacher_with(identity.ENGAGEMENT_VISIBILITY)),
    # The extended permissions (DESIGN.md, Directory): Users Manager, Engagement Visibility, administrators.
    VIEW_DELIVERY_STATUS: either(ADMINISTRATOR,
                                 teacher_with(identity.USERS_MANAGER, identity.ENGAGEMENT_VISIBILITY)),
    # Administrators, and teachers the district made Content Moderators; which messages: may_moderate.
    MODERATE_CONTENT: either(ADMINISTRATOR, teacher_with(identity.CONTENT_MODERATOR)),
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


def effective_actions(principal: Principal) -> list[str]:
    """Every action `principal` may perform, in the order of ACTIONS: what the roles grant and what the
    custom permissions add, so a frontend reads it instead of knowing what each role implies."""
    return [action for action in ACTIONS if may(principal, action)]


# Who may change whose custom permissions, and which ones. A change is judged by what it adds AND what it
# removes: taking a permission away is as much a decision as granting it.
#
# A grant never reaches beyond the granter's own reach:
# - a district administrator changes any staff member of the district;
# - a school administrator, or a teacher with Permissions Admin, only staff whose every school is one of
#   theirs, and nobody who outranks them (a teacher never changes an administrator's permissions);
# - Rostering Administrator acts on the whole district (it approves sync runs that archive across the
#   district, MANAGE_SYNC_RUNS), so only a district administrator grants or removes it;
# - Permissions Admin is granted and removed by administrators only: a Permissions Admin who could make
#   others Permissions Admins could hand the whole set around without any administrator deciding.
# And nobody changes their own permissions, whoever they are.
RANKS: Mapping[str, int] = MappingProxyType({identity.TEACHER: 1, identity.SCHOOL_ADMIN: 2, identity.DISTRICT_ADMIN: 3})
DISTRICT_WIDE_PERMISSIONS = frozenset({identity.ROSTERING_ADMINISTRATOR})
ADMINISTRATOR_ONLY_PERMISSIONS = frozenset({identity.PERMISSIONS_ADMIN})

NOT_YOUR_OWN = "nobody changes their own permissions: ask an administrator"
NOT_A_GRANTER = "only administrators and Permissions Admins change permissions"
OUTSIDE_DISTRICT = "this staff member is not in your district"
OUTSIDE_SCHOOLS = "this staff member works in a school outside yours: ask a district administrator"
OUTRANKS = "this staff member is an administrator above you: ask a district administrator"


def rank(principal: Principal) -> int:
    """The highest staff role held: 3 district administrator, 2 school administrator, 1 teacher, 0 none."""
    return max((RANKS.get(grant["role"], 0) for grant in principal.get("roles", ())), default=0)


def staff_schools(principal: Principal) -> frozenset[str]:
    return schools_with_role(principal, identity.SCHOOL_ADMIN) | schools_with_role(principal, identity.TEACHER)


def granter_reach(granter: Principal) -> frozenset[str] | None:
    """The schools whose staff `granter` may change permissions of: None for the whole district."""
    return administered_schools(granter, identity.PERMISSIONS_ADMIN)


def administered_schools(principal: Principal, permission: str) -> frozenset[str] | None:
    """None for a district administrator (the whole district); else the schools they administer, and those they
    teach in when they hold `permission` (a custom permission widens a teacher to their schools)."""
    if has_role(principal, identity.DISTRICT_ADMIN):
        return None
    schools = schools_with_role(principal, identity.SCHOOL_ADMIN)
    if has_permission(principal, permission):
        schools |= schools_with_role(principal, identity.TEACHER)
    return schools


def grantable_permissions(granter: Principal) -> frozenset[str]:
    """The custom permissions `granter` may add or remove (on staff within their reach)."""
    if not may(granter, SET_STAFF_PERMISSIONS):
        return frozenset()
    grantable = frozenset(identity.STAFF_PERMISSIONS)
    if not has_role(granter, identity.DISTRICT_ADMIN):
        grantable -= DISTRICT_WIDE_PERMISSIONS
    if rank(granter) < RANKS[identity.SCHOOL_ADMIN]:
        grantable -= ADMINISTRATOR_ONLY_PERMISSIONS
    return grantable


def permission_change_refusal(granter: Principal, target: Principal, permissions: Iterable[str]) -> str | None:
    """Why `granter` may not replace `target`'s custom permissions with `permissions`, or None when they may.

    Both are Principal-shaped (person_id, district_id, roles, permissions); `target["permissions"]` is what
    the target holds now. Whether the target is staff at all is the caller's check (a request error, not a
    refusal)."""
    if granter["person_id"] == target["person_id"]:
        return NOT_YOUR_OWN
    if not may(granter, SET_STAFF_PERMISSIONS):
        return NOT_A_GRANTER
    if granter.get("district_id") is None or granter.get("district_id") != target.get("district_id"):
        return OUTSIDE_DISTRICT
    reach = granter_reach(granter)
    if reach is not None and not (staff_schools(target) and staff_schools(target) <= reach):
        return OUTSIDE_SCHOOLS
    if rank(target) > rank(granter):
        return OUTRANKS
    changed = set(permissions) ^ set(target.get("permissions", ()))
    beyond = sorted(changed - grantable_permissions(granter), key=identity.STAFF_PERMISSIONS.index)
    if beyond:
        return f"you may not grant or remove {', '.join(beyond)}: ask a district administrator"
    return None


# --- a user profile's communication history and delivery status ---------------------------------------------
# Which of a person's communications a viewer sees on their profile. The viewer's scope (whether they may see
# the person at all) is directory's answer, asked first; these rules say what the profile then shows.
HISTORY_EVERYTHING = "everything"
HISTORY_TOOK_PART = "took_part"  # only what the viewer sent, or a conversation they are a participant of
HISTORY_NOTHING = "nothing"
HISTORY_SCOPES = (HISTORY_EVERYTHING, HISTORY_TOOK_PART, HISTORY_NOTHING)


def _is_self(viewer: Principal, person_id: str) -> bool:
    return viewer.get("status") != "disabled" and viewer.get("person_id") == person_id


def communication_history_scope(viewer: Principal, person_id: str) -> str:
    """Which of `person_id`'s communications `viewer` sees: everything of one's own, everything with Engagement
    Visibility (or as an administrator), what they took part in for other staff, nothing for families."""
    if _is_self(viewer, person_id) or may(viewer, VIEW_ALL_COMMUNICATION_HISTORY):
        return HISTORY_EVERYTHING
    if may(viewer, VIEW_CREDENTIALS_OF_OTHERS):
        return HISTORY_TOOK_PART
    return HISTORY_NOTHING


def may_see_delivery_status(viewer: Principal, person_id: str) -> bool:
    """Whether `viewer` sees the delivery status of `person_id`'s credentials: of one's own (a bounce is
    something the person can fix), otherwise only with an extended permission."""
    return _is_self(viewer, person_id) or may(viewer, VIEW_DELIVERY_STATUS)
# Who may moderate which conversation: a district administrator any of their district; a school administrator,
# or a teacher with Content Moderator, a conversation one of whose participants belongs to one of their schools
# (a conversation has no school of its own: its people do).

def moderation_reach(moderator: Principal) -> frozenset[str] | None:
    """The schools whose conversations `moderator` moderates: None for the whole district, empty for none."""
    if not may(moderator, MODERATE_CONTENT):
        return frozenset()
    return administered_schools(moderator, identity.CONTENT_MODERATOR)


def may_moderate(moderator: Principal, district_id: str, participant_schools: Iterable[str]) -> bool:
    """Whether `moderator` may hide or restore a message of a conversation of `district_id` whose participants
    belong to `participant_schools`."""
    if moderator.get("district_id") is None or moderator.get("district_id") != district_id:
        return False
    reach = moderation_reach(moderator)
    return reach is None or bool(reach & set(participant_schools))

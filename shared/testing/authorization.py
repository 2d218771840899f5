"""What every gateway route lets each role do to each relation of record: the authorization matrix's
expectations, declared once, keyed by route name (services/gateway/routes.py).

A route without an entry here fails the unit test that compares this table with the route table, and the
end-to-end matrix (tests/e2e/test_authorization_matrix.py) runs every cell against a seeded two-district
world and asserts each one.

Columns are roles: a district administrator, a school administrator, a teacher without custom permissions
and with each one alone, a guardian and an enabled student. Relations are what a request aims at, seen from
the caller: their OWN record (themselves; for routes about a student, a guardian's child, a student
themselves, a staff member's student in their own class), a record of the SAME_SCHOOL they have no tie to
(another class, another family), one of the OTHER_SCHOOL of their district, and one of the OTHER_DISTRICT.
Routes with no subject (their own district's settings, the schools list) answer the same for every relation.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shared.contracts import identity

DISTRICT_ADMIN, SCHOOL_ADMIN, TEACHER = identity.DISTRICT_ADMIN, identity.SCHOOL_ADMIN, identity.TEACHER
GUARDIAN, STUDENT = identity.GUARDIAN, identity.STUDENT
OWN, SAME_SCHOOL, OTHER_SCHOOL, OTHER_DISTRICT = "own", "same_school", "other_school", "other_district"
RELATIONS = (OWN, SAME_SCHOOL, OTHER_SCHOOL, OTHER_DISTRICT)


def teacher_with(permission: str) -> str:
    return f"{TEACHER}+{permission}"


TEACHERS = (TEACHER, *(teacher_with(permission) for permission in identity.STAFF_PERMISSIONS))
STAFF = (DISTRICT_ADMIN, SCHOOL_ADMIN, *TEACHERS)
EVERYONE = (*STAFF, GUARDIAN, STUDENT)  # the people
# Another team's service with a credential of its own (shared/contracts/callers.py), acting district-wide in
# the district: its token is for RPC, never a bearer token at the gateway, so it is refused (401) everywhere.
SERVICE_CREDENTIAL = "service_credential"
COLUMNS = (*EVERYONE, SERVICE_CREDENTIAL)
# A teacher holding one of these sees every student and family of their schools (directory's visibility).
# Written out, not taken from shared.contracts.permissions, so a changed rule shows here as a failing cell.
SCHOOL_WIDE_TEACHERS = tuple(teacher_with(p) for p in (
    identity.FAMILY_ACCESS, identity.USERS_MANAGER, identity.ROSTERING_ADMINISTRATOR))
# Inside the caller's reach: their own records and their school's.
HOME = (OWN, SAME_SCHOOL)
DISTRICT = (OWN, SAME_SCHOOL, OTHER_SCHOOL)

Cell = tuple[str, str]  # (column, relation)


def cells(columns: Iterable[str], relations: Iterable[str] = RELATIONS) -> frozenset[Cell]:
    return frozenset((column, relation) for column in columns for relation in relations)


@dataclass(frozen=True)
class Access:
    """The cells a route allows; every other cell is denied (403, or 404 where the record is out of reach).

    `allowed_statuses`: what an allowed cell answers when it is not a 2xx (an approval of a run that is not
    waiting for one answers 409: the caller got past every check). `public_statuses`: answered without a
    token, the same for everyone, with one of these."""

    allowed: frozenset[Cell] = frozenset()
    allowed_statuses: tuple[int, ...] = ()  # empty: a 2xx
    public_statuses: tuple[int, ...] = ()
    # A search or a log read is a filter: outside the caller's reach it may answer an empty page.
    empty_when_denied: bool = False

    @property
    def public(self) -> bool:
        return bool(self.public_statuses)


def public(*statuses: int) -> Access:
    return Access(public_statuses=statuses)


def allow(*groups: frozenset[Cell], allowed_statuses: tuple[int, ...] = (), empty_when_denied: bool = False) -> Access:
    return Access(frozenset().union(*groups), allowed_statuses, empty_when_denied=empty_when_denied)


# Who sees whom in the directory (services/directory/domain/visibility.py): everyone themselves and their
# own; a school administrator, and a teacher with a school-wide permission, their school; a district
# administrator the district.
SEES_RECORDS = (cells(EVERYONE, [OWN]) | cells([SCHOOL_ADMIN, *SCHOOL_WIDE_TEACHERS], HOME)
                | cells([DISTRICT_ADMIN], DISTRICT))
MANAGES_PEOPLE = (DISTRICT_ADMIN, SCHOOL_ADMIN, teacher_with(identity.ROSTERING_ADMINISTRATOR))
ARCHIVES = (*MANAGES_PEOPLE, teacher_with(identity.USERS_MANAGER))
RUNS_SYNC = (DISTRICT_ADMIN, teacher_with(identity.ROSTERING_ADMINISTRATOR))


def in_reach(columns: Iterable[str]) -> frozenset[Cell]:
    """`columns`, on records each of them reaches: a district administrator's district, the others' school."""
    columns = tuple(columns)
    return (cells([c for c in columns if c == DISTRICT_ADMIN], DISTRICT)
            | cells([c for c in columns if c != DISTRICT_ADMIN], HOME))


def own_records(columns: Iterable[str]) -> frozenset[Cell]:
    return cells(columns, [OWN])


EVERYONE_ALWAYS = allow(cells(EVERYONE))
MANAGE_PEOPLE = allow(in_reach(MANAGES_PEOPLE))
ARCHIVE = allow(in_reach(ARCHIVES))
SYNC_RUN = allow(cells(RUNS_SYNC, DISTRICT))
HELD_RUN_DECISION = allow(cells(RUNS_SYNC, DISTRICT), allowed_statuses=(409,))  # the seeded run is not held
PREFERENCES = allow(own_records(EVERYONE), in_reach([DISTRICT_ADMIN, SCHOOL_ADMIN,
                                                     teacher_with(identity.USERS_MANAGER)]))
CONTACT_STATUS_TEACHERS = tuple(teacher_with(p) for p in (
    identity.ROSTERING_ADMINISTRATOR, identity.SCHOOL_WIDE_COMMUNICATIONS, identity.USERS_MANAGER))
SEE_AND_RESET_TEACHERS = tuple(set(CONTACT_STATUS_TEACHERS) & set(SCHOOL_WIDE_TEACHERS))
WEBHOOK = public(403)  # unsigned
INVITES_STAFF = (DISTRICT_ADMIN, SCHOOL_ADMIN, teacher_with(identity.USERS_MANAGER),
                 teacher_with(identity.ROSTERING_ADMINISTRATOR))
INVITE_PERSON = allow((SEES_RECORDS & cells(STAFF)) - own_records(set(STAFF) - set(INVITES_STAFF)),
                      allowed_statuses=(200, 409))

EXPECTED: dict[str, Access] = {
    "health": public(200),
    "show_readiness": public(200),
    "openapi": public(200),
    "show_docs": public(200),
    "show_docs_stylesheet": public(200),
    "show_docs_script": public(200),
    # A wrong password, whoever holds which token; after enough of them from one address, 429.
    "log_in": public(401, 429),
    "refresh_session": public(401),  # a refresh token that is not one
    # One's own session and password: everyone, whatever the relation.
    "sign_out": EVERYONE_ALWAYS,
    "sign_out_everywhere": EVERYONE_ALWAYS,
    "change_password": EVERYONE_ALWAYS,
    "show_me": EVERYONE_ALWAYS,
    "join": public(400),  # a Join token that is not one
    "check_join_invitation": public(400),  # a join code that is not one
    "show_district_languages": EVERYONE_ALWAYS,
    "set_district_languages": allow(cells([DISTRICT_ADMIN])),
    # One's own account settings: everyone, on their own account only (the path names no one else). The
    # matrix sends what each refuses for the value (an address that is not one, a code never sent), so it
    # changes nothing and sends nothing; removing a mobile phone removes the caller's own when they have one.
    "show_my_credentials": EVERYONE_ALWAYS,
    "set_my_language": EVERYONE_ALWAYS,
    "send_my_credential_code": allow(cells(EVERYONE), allowed_statuses=(400,)),
    "confirm_my_credential": allow(cells(EVERYONE), allowed_statuses=(400,)),
    "remove_my_credential": allow(cells(EVERYONE), allowed_statuses=(200, 400)),
    # One's own inbox and push devices: the path names no one else. Nothing is in anyone's inbox in the seeded
    # world and the matrix names no device of theirs, so opening an item or removing a device answers 404
    # once past authorization; a device the matrix registers is the caller's own.
    "show_my_inbox": EVERYONE_ALWAYS,
    "open_my_inbox_item": allow(cells(EVERYONE), allowed_statuses=(404,)),
    "mark_my_inbox_read": EVERYONE_ALWAYS,
    "list_my_devices": EVERYONE_ALWAYS,
    "register_my_device": EVERYONE_ALWAYS,
    "remove_my_device": allow(cells(EVERYONE), allowed_statuses=(404,)),
    "list_schools": EVERYONE_ALWAYS,
    "show_district_settings": EVERYONE_ALWAYS,
    "search_people": allow(in_reach(STAFF), empty_when_denied=True),
    "show_student_profile": allow(SEES_RECORDS),
    "show_user_profile": allow(SEES_RECORDS),
    "enable_student_accounts": allow(in_reach([DISTRICT_ADMIN, SCHOOL_ADMIN, teacher_with(identity.USERS_MANAGER),
                                               teacher_with(identity.ROSTERING_ADMINISTRATOR)])),
    **dict.fromkeys(("enroll_student", "unenroll_person", "add_staff", "set_job_title", "assign_staff_to_classroom",
                     "add_guardian", "update_guardian", "remove_guardian", "remove_guardians"), MANAGE_PEOPLE),
    **dict.fromkeys(("archive_people", "unarchive_people", "archive_classrooms", "unarchive_classrooms"), ARCHIVE),
    # Only the one who asked, and the district's administrators, read a job.
    "show_job": allow(own_records(ARCHIVES), cells([DISTRICT_ADMIN], DISTRICT)),
    # Invitations: to people the inviter sees, staff (themselves included) only by administrators and Users
    # Managers or Rostering Administrators; a classroom's by whoever teaches it or sees it school-wide, and the
    # administrators; a job read by the one who asked and the district's administrators.
    "send_invitation": INVITE_PERSON,
    "print_invitation": INVITE_PERSON,
    "send_invitations": allow(in_reach([DISTRICT_ADMIN, SCHOOL_ADMIN, *SCHOOL_WIDE_TEACHERS]), own_records(TEACHERS),
                              allowed_statuses=(202,)),
    "show_invitation_job": allow(own_records(STAFF), cells([DISTRICT_ADMIN], DISTRICT)),
    "show_audit_log": allow(cells([DISTRICT_ADMIN], DISTRICT), empty_when_denied=True),
    # Nobody their own; administrators and Permissions Admins within their reach (permission_change_refusal).
    "set_staff_permissions": allow(cells([DISTRICT_ADMIN], [SAME_SCHOOL, OTHER_SCHOOL]),
                                   cells([SCHOOL_ADMIN, teacher_with(identity.PERMISSIONS_ADMIN)], [SAME_SCHOOL])),
    "show_preference": PREFERENCES,
    "set_preference": PREFERENCES,
    "set_district_default": allow(cells([DISTRICT_ADMIN])),
    "send_announcement": allow(in_reach([DISTRICT_ADMIN, SCHOOL_ADMIN,
                                         teacher_with(identity.SCHOOL_WIDE_COMMUNICATIONS)])),
    # The send's permission exactly: a preview answers what the caller could send.
    "preview_announcement": allow(in_reach([DISTRICT_ADMIN, SCHOOL_ADMIN,
                                            teacher_with(identity.SCHOOL_WIDE_COMMUNICATIONS)])),
    # Its sender; the district's administrators; a school administrator, or a teacher with Engagement
    # Visibility, of a school it reached.
    "show_delivery_report": allow(own_records(STAFF), cells([DISTRICT_ADMIN], DISTRICT), cells(
        [SCHOOL_ADMIN, teacher_with(identity.ENGAGEMENT_VISIBILITY)], [SAME_SCHOOL])),
    "list_unreachable_contacts": allow(in_reach([DISTRICT_ADMIN, SCHOOL_ADMIN, *CONTACT_STATUS_TEACHERS])),
    # The person must be in the caller's view as well as the permission held. Nothing in the seeded world is
    # marked bad, so a caller who gets past both is told there is nothing to reset (400), never 2xx.
    "reset_credential_status": allow(own_records([DISTRICT_ADMIN, SCHOOL_ADMIN, *CONTACT_STATUS_TEACHERS]),
                                     cells([DISTRICT_ADMIN], DISTRICT),
                                     cells([SCHOOL_ADMIN, *SEE_AND_RESET_TEACHERS], [SAME_SCHOOL]),
                                     allowed_statuses=(400,)),
    "list_sync_runs": allow(cells(RUNS_SYNC)),
    "show_sync_run": SYNC_RUN,
    "follow_sync_run": SYNC_RUN,
    "list_sync_run_changes": SYNC_RUN,
    "approve_sync_run": HELD_RUN_DECISION,
    "reject_sync_run": HELD_RUN_DECISION,
    "show_sync_settings": allow(cells(RUNS_SYNC)),
    "change_sync_settings": allow(cells(RUNS_SYNC)),
    "receive_twilio_status": WEBHOOK,
    "receive_twilio_inbound": WEBHOOK,
    "receive_sendgrid_events": WEBHOOK,
    "receive_email_reply": WEBHOOK,  # the URL's secret is wrong
    # Staff with a guardian in their reach (a teacher: the families of their own class); a family names only a
    # teacher of theirs, so a guardian is refused them (403).
    "start_conversation": allow(in_reach([DISTRICT_ADMIN, SCHOOL_ADMIN, *SCHOOL_WIDE_TEACHERS]),
                                own_records(TEACHERS)),
    "list_conversations": EVERYONE_ALWAYS,
    "list_my_teachers": EVERYONE_ALWAYS,  # one's own teachers: an empty list for staff
    # Only participants see a conversation: the matrix's callers take part in none of the ids it names.
    "show_conversation": allow(),
    "post_conversation_message": allow(),
    # A preview answers whom the send could reach: the send's checks, so the send's expectations.
    "preview_conversation": allow(in_reach([DISTRICT_ADMIN, SCHOOL_ADMIN, *SCHOOL_WIDE_TEACHERS]),
                                  own_records(TEACHERS)),
    "preview_conversation_message": allow(),
    "flag_conversation_message": allow(),
    # Moderators list what is flagged in their reach (the matrix's world has nothing flagged: an empty page);
    # the matrix's ids name no message, so a moderator's decision answers 404 and everyone else's 403.
    "list_flagged_messages": allow(cells([DISTRICT_ADMIN, SCHOOL_ADMIN, teacher_with(identity.CONTENT_MODERATOR)])),
    "hide_message": allow(),
    "restore_message": allow(),
}

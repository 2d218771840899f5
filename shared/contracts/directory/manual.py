"""Schemas of the directory's manual actions: enrolling, staff, guardians, the audit log, and what a sync owns.

Declared as RPCs in shared/contracts/directory/__init__.py, which re-exports them. Every request names
the person acting (`viewer`, an identity Principal): the gateway fills it from the token, never the body.
"""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.contracts import identity
from shared.contracts.common import MAX_PAGE_ROWS, Timestamp

NAME_FIELD = validate.Length(min=1, max=255)
ID_FIELD = validate.Length(min=1, max=64)
# What the response of a manual action says it did.
CREATED, LINKED_EXISTING, LINKED, ALREADY_LINKED = "created", "linked_existing", "linked", "already_linked"
ENROLLED, UPDATED, UNCHANGED, DONE, ALREADY = "enrolled", "updated", "unchanged", "done", "already"
STAFF_CLASSROOM_ROLES = ("teacher", "aide")
MAX_STAFF_SCHOOLS = 50
MAX_AUDIT_PAGE = 200


def _id(**kwargs) -> fields.String:
    return fields.String(validate=ID_FIELD, **kwargs)


def exactly_one(data: dict, first: str, second: str) -> None:
    if (data.get(first) is None) == (data.get(second) is None):
        raise ValidationError(f"give exactly one of {first} or {second}", "_schema")


class NewPersonNames(Schema):
    given_name = fields.String(required=True, validate=NAME_FIELD, metadata={
        "description": "the person's given name, 1 to 255 characters"})
    family_name = fields.String(required=True, validate=NAME_FIELD, metadata={
        "description": "the person's family name, 1 to 255 characters"})
    middle_name = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=255), metadata={
        "description": "the person's middle name, at most 255 characters; null when none"})


class NewStudent(NewPersonNames):
    """A student typed by hand: phone numbers come only from the SIS (DESIGN.md), so an email at most."""

    grade = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=16), metadata={
        "description": "the student's grade as the school writes it (09, KG, "
                       "...), at most 16 characters; null when not given"})
    identifier = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=64), metadata={
        "description": "the school's identifier for the student (a student "
                       "number, say), at most 64 characters; null when none"})
    email = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=320), metadata={
        "description": "the student's email address, at most 320 characters; null when none"})


class EnrollStudentRequest(Schema):
    """Enroll a new student (`student`) or assign an existing one (`person_id`) to a school, and a classroom."""

    viewer = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who is asking (an identity Principal), which bounds what they may see "
                       "and change: set by the gateway from the token, never from the body"})
    school_id = _id(required=True, metadata={
        "description": "the directory's id of the school the student is enrolled in"})
    classroom_id = _id(allow_none=True, load_default=None, metadata={"description": "a classroom of that school"})
    person_id = _id(allow_none=True, load_default=None, metadata={
        "description": "the directory's id of an existing student to assign; null when a new student is given"})
    student = fields.Nested(NewStudent, allow_none=True, load_default=None, metadata={
        "description": "a new student typed by hand; null when person_id names an existing one"})
    region = fields.String(load_default="US", validate=validate.Length(equal=2), metadata={
        "description": "ISO 3166-1 alpha-2 region identity reads the new account's credentials in (default US)"})

    @validates_schema
    def one_student(self, data, **kwargs):
        exactly_one(data, "person_id", "student")


class Enrollment(Schema):
    person_id = fields.String(required=True, metadata={"description": "the directory's id of the student"})
    school_id = fields.String(required=True, metadata={"description": "the directory's id of the school"})
    classroom_id = fields.String(allow_none=True, metadata={
        "description": "the directory's id of the classroom the student was assigned to; null when none was asked"})
    outcome = fields.String(required=True, validate=validate.OneOf((CREATED, ENROLLED, UNCHANGED)), metadata={
        "description": "created: a new student; enrolled: an existing one assigned; unchanged: already there"})


class UnenrollRequest(Schema):
    """Take a person out of one classroom, or out of a school (and its classrooms)."""

    viewer = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who is asking (an identity Principal), which bounds what they may see "
                       "and change: set by the gateway from the token, never from the body"})
    person_id = _id(required=True, metadata={"description": "the directory's id of the person taken out"})
    classroom_id = _id(allow_none=True, load_default=None, metadata={
        "description": "the directory's id of the one classroom to leave; null when school_id is given"})
    school_id = _id(allow_none=True, load_default=None, metadata={
        "description": "the directory's id of the school to leave, with all "
                       "its classrooms; null when classroom_id is given"})

    @validates_schema
    def one_place(self, data, **kwargs):
        exactly_one(data, "classroom_id", "school_id")


class Unenrolled(Schema):
    person_id = fields.String(required=True, metadata={"description": "the directory's id of the person"})
    classroom_ids = fields.List(fields.String(), required=True, metadata={"description": "classrooms left"})
    school_id = fields.String(allow_none=True, metadata={
        "description": "the directory's id of the school left; null when only a classroom was left"})
    outcome = fields.String(required=True, validate=validate.OneOf((DONE, ALREADY)), metadata={
        "description": "done (taken out now) or already (was not there)"})


class NewStaff(NewPersonNames):
    email = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=320), metadata={
        "description": "the staff member's email address, at most 320 characters; null when none"})
    mobile_phone = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=32), metadata={
        "description": "the staff member's mobile phone, at most 32 characters, read "
                       "with the request's region and stored in E.164; null when none"})


class AddStaffRequest(Schema):
    """A new staff member (`staff`), or an existing person (`person_id`) made staff of these schools."""

    viewer = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who is asking (an identity Principal), which bounds what they may see "
                       "and change: set by the gateway from the token, never from the body"})
    school_ids = fields.List(_id(), required=True, validate=validate.Length(min=1, max=MAX_STAFF_SCHOOLS), metadata={
        "description": "the directory's ids of the schools the person becomes staff of, 1 to 50"})
    job_title = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=255), metadata={
        "description": "the job title to set, at most 255 characters; null sets "
                       "none for a new staff member and keeps an existing person's"})
    person_id = _id(allow_none=True, load_default=None, metadata={
        "description": "the directory's id of an existing person to make "
                       "staff; null when a new staff member is given"})
    staff = fields.Nested(NewStaff, allow_none=True, load_default=None, metadata={
        "description": "a new staff member typed by hand; null when person_id names an existing person"})
    region = fields.String(load_default="US", validate=validate.Length(equal=2), metadata={
        "description": "ISO 3166-1 alpha-2 region a mobile phone without a country code is read in (default US)"})

    @validates_schema
    def one_person(self, data, **kwargs):
        exactly_one(data, "person_id", "staff")


class StaffMember(Schema):
    person_id = fields.String(required=True, metadata={"description": "the directory's id of the staff member"})
    school_ids = fields.List(fields.String(), required=True, metadata={
        "description": "the directory's ids of every school the person is staff of now, sorted"})
    job_title = fields.String(allow_none=True, metadata={"description": "the job title now; null when none"})
    outcome = fields.String(required=True, validate=validate.OneOf((CREATED, LINKED_EXISTING, UPDATED, UNCHANGED)),
                            metadata={"description": "linked_existing: an account already held every credential "
                                                     "given, and that person was made staff"})


class SetJobTitleRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who is asking (an identity Principal), which bounds what they may see "
                       "and change: set by the gateway from the token, never from the body"})
    person_id = _id(required=True, metadata={"description": "the directory's id of the staff member"})
    job_title = fields.String(required=True, allow_none=True, validate=validate.Length(max=255), metadata={
        "description": "the new job title, at most 255 characters; null removes it"})


class AssignStaffRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who is asking (an identity Principal), which bounds what they may see "
                       "and change: set by the gateway from the token, never from the body"})
    person_id = _id(required=True, metadata={
        "description": "the directory's id of the staff member, who must be staff of the classroom's school"})
    classroom_id = _id(required=True, metadata={"description": "the directory's id of the classroom"})
    role = fields.String(load_default="teacher", validate=validate.OneOf(STAFF_CLASSROOM_ROLES), metadata={
        "description": "teacher (the default) or aide"})


class ClassroomAssignment(Schema):
    person_id = fields.String(required=True, metadata={"description": "the directory's id of the staff member"})
    classroom_id = fields.String(required=True, metadata={"description": "the directory's id of the classroom"})
    role = fields.String(required=True, metadata={"description": "teacher or aide, as asked"})
    outcome = fields.String(required=True, validate=validate.OneOf((DONE, ALREADY)), metadata={
        "description": "done (assigned now) or already (was assigned)"})


class NewGuardian(NewPersonNames):
    email = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=320), metadata={
        "description": "the guardian's email address, at most 320 characters; "
                       "null when none (give it or a mobile phone)"})
    mobile_phone = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=32), metadata={
        "description": "the guardian's mobile phone, at most 32 characters, read with the "
                       "request's region and stored in E.164; null when none (give it or an email)"})

    @validates_schema
    def reachable(self, data, **kwargs):
        if not data.get("email") and not data.get("mobile_phone"):
            raise ValidationError("give an email, a mobile phone or both", "_schema")


class AddGuardianRequest(Schema):
    """Link a guardian to a student: an existing person by id, or by their email and/or mobile phone (the
    account holding them is linked, else a new invitee guardian is created)."""

    viewer = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who is asking (an identity Principal), which bounds what they may see "
                       "and change: set by the gateway from the token, never from the body"})
    student_id = _id(required=True, metadata={
        "description": "the directory's id of the student the guardian is linked to"})
    relationship = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=64), metadata={
        "description": "how the guardian is related to the student (mother, "
                       "aunt, ...), at most 64 characters; null when not said"})
    person_id = _id(allow_none=True, load_default=None, metadata={
        "description": "the directory's id of an existing person to link; "
                       "null when a guardian is given by credentials"})
    guardian = fields.Nested(NewGuardian, allow_none=True, load_default=None, metadata={
        "description": "a guardian named and reached by email and/or mobile phone; null when person_id is given"})
    region = fields.String(load_default="US", validate=validate.Length(equal=2), metadata={
        "description": "ISO 3166-1 alpha-2 region a mobile phone without a country code is read in (default US)"})

    @validates_schema
    def one_guardian(self, data, **kwargs):
        exactly_one(data, "person_id", "guardian")


class GuardianLink(Schema):
    guardian_id = fields.String(required=True, metadata={"description": "the directory's id of the guardian"})
    student_id = fields.String(required=True, metadata={"description": "the directory's id of the student"})
    relationship = fields.String(allow_none=True, metadata={
        "description": "how the guardian is related to the student; null when not said"})
    outcome = fields.String(required=True, validate=validate.OneOf((
        CREATED, LINKED_EXISTING, LINKED, ALREADY_LINKED, UPDATED, UNCHANGED, DONE, ALREADY)), metadata={
        "description": "created: a new invitee guardian; linked_existing: the account holding every credential "
                       "given; linked: the person named; already_linked: the link was there; "
                       "done/already: removed now / was not linked"})


GUARDIAN_EDITABLE = ("given_name", "family_name", "email", "mobile_phone", "relationship")


class UpdateGuardianRequest(Schema):
    """A hand edit of a guardian and their link to one student: absent fields stay; null removes a credential."""

    viewer = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who is asking (an identity Principal), which bounds what they may see "
                       "and change: set by the gateway from the token, never from the body"})
    guardian_id = _id(required=True, metadata={"description": "the directory's id of the guardian edited"})
    student_id = _id(required=True, metadata={"description": "the student whose link is edited (and through "
                                                             "whom the viewer manages the guardian)"})
    given_name = fields.String(validate=NAME_FIELD, metadata={
        "description": "the guardian's new given name, 1 to 255 characters; absent leaves it"})
    family_name = fields.String(validate=NAME_FIELD, metadata={
        "description": "the guardian's new family name, 1 to 255 characters; absent leaves it"})
    email = fields.String(allow_none=True, validate=validate.Length(max=320), metadata={
        "description": "the guardian's new email address, at most 320 characters; null removes it, absent leaves it"})
    mobile_phone = fields.String(allow_none=True, validate=validate.Length(max=32), metadata={
        "description": "the guardian's new mobile phone, at most 32 characters, "
                       "stored in E.164; null removes it, absent leaves it"})
    relationship = fields.String(allow_none=True, validate=validate.Length(max=64), metadata={
        "description": "the link's new relationship, at most 64 characters; null removes it, absent leaves it"})
    region = fields.String(load_default="US", validate=validate.Length(equal=2), metadata={
        "description": "ISO 3166-1 alpha-2 region a mobile phone without a country code is read in (default US)"})

    @validates_schema
    def something_to_change(self, data, **kwargs):
        if not set(data) & set(GUARDIAN_EDITABLE):
            raise ValidationError(f"give at least one of {', '.join(GUARDIAN_EDITABLE)}", "_schema")


class Guardian(Schema):
    guardian_id = fields.String(required=True, metadata={"description": "the directory's id of the guardian"})
    student_id = fields.String(required=True, metadata={
        "description": "the directory's id of the student whose link was edited"})
    given_name = fields.String(required=True, metadata={"description": "the guardian's given name now"})
    family_name = fields.String(required=True, metadata={"description": "the guardian's family name now"})
    email = fields.String(allow_none=True, metadata={
        "description": "the guardian's email address now, lower case; null when none"})
    mobile_phone = fields.String(allow_none=True, metadata={
        "description": "the guardian's mobile phone now, in E.164; null when none"})
    relationship = fields.String(allow_none=True, metadata={
        "description": "the link's relationship now; null when none"})
    outcome = fields.String(required=True, validate=validate.OneOf((UPDATED, UNCHANGED)), metadata={
        "description": "updated, or unchanged when nothing differed"})


class RemoveGuardianRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who is asking (an identity Principal), which bounds what they may see "
                       "and change: set by the gateway from the token, never from the body"})
    guardian_id = _id(required=True, metadata={"description": "the directory's id of the guardian unlinked"})
    student_id = _id(required=True, metadata={
        "description": "the directory's id of the student the guardian is unlinked from"})


class RemoveGuardiansRequest(Schema):
    """Remove Guardians: every guardian link of each selected student."""

    viewer = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who is asking (an identity Principal), which bounds what they may see "
                       "and change: set by the gateway from the token, never from the body"})
    student_ids = fields.List(_id(), required=True, validate=validate.Length(min=1, max=MAX_PAGE_ROWS),
                              metadata={"description": f"at most {MAX_PAGE_ROWS:,} students"})


class GetAuditLogRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who is asking (an identity Principal): an administrator of the "
                       "district whose log is read; set by the gateway from the token"})
    subject_id = _id(allow_none=True, load_default=None, metadata={"description": "changes to this record only"})
    actor_id = _id(allow_none=True, load_default=None, metadata={"description": "changes by this person only"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1), metadata={
        "description": "which page, from 1 (default 1)"})
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_AUDIT_PAGE), metadata={
        "description": "entries per page, 1 to 200 (default 50)"})


class AuditLogEntry(Schema):
    id = fields.String(required=True, metadata={"description": "the directory's id of the entry"})
    actor_id = fields.String(required=True, metadata={"description": "the person id of who made the change"})
    action = fields.String(required=True, metadata={
        "description": "what was done, e.g. enroll_student, add_guardian, archive_person, update_contact_details"})
    subject_type = fields.String(required=True, metadata={
        "description": "what kind of record was changed: person, classroom, "
                       "student (a guardian link, kept on the student's record), message (a conversation "
                       "message flagged, hidden or restored, kept by notify), or district (its sync settings, "
                       "change_sync_settings, changed in rostering; a secret appears only as whether it is set)"})
    subject_id = fields.String(required=True, metadata={
        "description": "the directory's id of the record changed (notify's id for a message)"})
    before = fields.Dict(allow_none=True, required=True, metadata={
        "description": "the changed values as they were; null when the change "
                       "only added something (a person, link or enrollment)"})
    after = fields.Dict(allow_none=True, required=True, metadata={
        "description": "the changed values as they are now; null when the change only took something away"})
    at = Timestamp(required=True, metadata={"description": "when the change was made, ISO 8601 with zone (UTC)"})


class AuditLogPage(Schema):
    items = fields.List(fields.Nested(AuditLogEntry), required=True, metadata={"description": "newest first"})
    total = fields.Integer(required=True, metadata={"description": "entries matching the filters"})
    page = fields.Integer(required=True, metadata={"description": "this page's number, from 1"})
    per_page = fields.Integer(required=True, metadata={"description": "entries per page asked"})


class SetDistrictSyncRequest(Schema):
    """What a district's roster sync owns, as rostering's settings say; `source` null: the district does not
    sync (a package imported by hand locks nothing)."""

    district_id = _id(required=True, metadata={"description": "the directory's id of the district"})
    source = fields.String(required=True, allow_none=True, validate=validate.Length(min=1, max=64),
                           metadata={"description": "how the district syncs, as people read it: Clever, ClassLink, SFTP"})
    manages_guardians = fields.Boolean(load_default=True, metadata={
        "description": "the setting \"allow sync to manage guardians\""})
    updates_contact_details_of_active_users = fields.Boolean(load_default=False, metadata={
        "description": "the setting \"allow the sync to update contact details of active users\""})


class DistrictSync(Schema):
    district_id = fields.String(required=True, metadata={"description": "the directory's id of the district"})
    source = fields.String(allow_none=True, required=True, metadata={
        "description": "what the district syncs from (OneRoster CSV, Clever, ClassLink, "
                       "...); null when it does not sync, so nothing is locked"})
    manages_guardians = fields.Boolean(required=True, metadata={
        "description": "the sync owns guardians and their links, so they are locked against changes by hand"})
    updates_contact_details_of_active_users = fields.Boolean(required=True, metadata={
        "description": "the sync may change the email and phones of people who "
                       "have joined, so those are locked against changes by hand"})

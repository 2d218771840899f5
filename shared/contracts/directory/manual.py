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
    given_name = fields.String(required=True, validate=NAME_FIELD)
    family_name = fields.String(required=True, validate=NAME_FIELD)
    middle_name = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=255))


class NewStudent(NewPersonNames):
    """A student typed by hand: phone numbers come only from the SIS (DESIGN.md), so an email at most."""

    grade = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=16))
    identifier = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=64))
    email = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=320))


class EnrollStudentRequest(Schema):
    """Enroll a new student (`student`) or assign an existing one (`person_id`) to a school, and a classroom."""

    viewer = fields.Nested(identity.Principal, required=True)
    school_id = _id(required=True)
    classroom_id = _id(allow_none=True, load_default=None, metadata={"description": "a classroom of that school"})
    person_id = _id(allow_none=True, load_default=None)
    student = fields.Nested(NewStudent, allow_none=True, load_default=None)
    region = fields.String(load_default="US", validate=validate.Length(equal=2))

    @validates_schema
    def one_student(self, data, **kwargs):
        exactly_one(data, "person_id", "student")


class Enrollment(Schema):
    person_id = fields.String(required=True)
    school_id = fields.String(required=True)
    classroom_id = fields.String(allow_none=True)
    outcome = fields.String(required=True, validate=validate.OneOf((CREATED, ENROLLED, UNCHANGED)), metadata={
        "description": "created: a new student; enrolled: an existing one assigned; unchanged: already there"})


class UnenrollRequest(Schema):
    """Take a person out of one classroom, or out of a school (and its classrooms)."""

    viewer = fields.Nested(identity.Principal, required=True)
    person_id = _id(required=True)
    classroom_id = _id(allow_none=True, load_default=None)
    school_id = _id(allow_none=True, load_default=None)

    @validates_schema
    def one_place(self, data, **kwargs):
        exactly_one(data, "classroom_id", "school_id")


class Unenrolled(Schema):
    person_id = fields.String(required=True)
    classroom_ids = fields.List(fields.String(), required=True, metadata={"description": "classrooms left"})
    school_id = fields.String(allow_none=True)
    outcome = fields.String(required=True, validate=validate.OneOf((DONE, ALREADY)))


class NewStaff(NewPersonNames):
    email = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=320))
    mobile_phone = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=32))


class AddStaffRequest(Schema):
    """A new staff member (`staff`), or an existing person (`person_id`) made staff of these schools."""

    viewer = fields.Nested(identity.Principal, required=True)
    school_ids = fields.List(_id(), required=True, validate=validate.Length(min=1, max=MAX_STAFF_SCHOOLS))
    job_title = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=255))
    person_id = _id(allow_none=True, load_default=None)
    staff = fields.Nested(NewStaff, allow_none=True, load_default=None)
    region = fields.String(load_default="US", validate=validate.Length(equal=2))

    @validates_schema
    def one_person(self, data, **kwargs):
        exactly_one(data, "person_id", "staff")


class StaffMember(Schema):
    person_id = fields.String(required=True)
    school_ids = fields.List(fields.String(), required=True)
    job_title = fields.String(allow_none=True)
    outcome = fields.String(required=True, validate=validate.OneOf((CREATED, LINKED_EXISTING, UPDATED, UNCHANGED)),
                            metadata={"description": "linked_existing: an account already held every credential "
                                                     "given, and that person was made staff"})


class SetJobTitleRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True)
    person_id = _id(required=True)
    job_title = fields.String(required=True, allow_none=True, validate=validate.Length(max=255))


class AssignStaffRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True)
    person_id = _id(required=True)
    classroom_id = _id(required=True)
    role = fields.String(load_default="teacher", validate=validate.OneOf(STAFF_CLASSROOM_ROLES))


class ClassroomAssignment(Schema):
    person_id = fields.String(required=True)
    classroom_id = fields.String(required=True)
    role = fields.String(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf((DONE, ALREADY)))


class NewGuardian(NewPersonNames):
    email = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=320))
    mobile_phone = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=32))

    @validates_schema
    def reachable(self, data, **kwargs):
        if not data.get("email") and not data.get("mobile_phone"):
            raise ValidationError("give an email, a mobile phone or both", "_schema")


class AddGuardianRequest(Schema):
    """Link a guardian to a student: an existing person by id, or by their email and/or mobile phone (the
    account holding them is linked, else a new invitee guardian is created)."""

    viewer = fields.Nested(identity.Principal, required=True)
    student_id = _id(required=True)
    relationship = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=64))
    person_id = _id(allow_none=True, load_default=None)
    guardian = fields.Nested(NewGuardian, allow_none=True, load_default=None)
    region = fields.String(load_default="US", validate=validate.Length(equal=2))

    @validates_schema
    def one_guardian(self, data, **kwargs):
        exactly_one(data, "person_id", "guardian")


class GuardianLink(Schema):
    guardian_id = fields.String(required=True)
    student_id = fields.String(required=True)
    relationship = fields.String(allow_none=True)
    outcome = fields.String(required=True, validate=validate.OneOf((
        CREATED, LINKED_EXISTING, LINKED, ALREADY_LINKED, UPDATED, UNCHANGED, DONE, ALREADY)), metadata={
        "description": "created: a new invitee guardian; linked_existing: the account holding every credential "
                       "given; linked: the person named; already_linked: the link was there; "
                       "done/already: removed now / was not linked"})


GUARDIAN_EDITABLE = ("given_name", "family_name", "email", "mobile_phone", "relationship")


class UpdateGuardianRequest(Schema):
    """A hand edit of a guardian and their link to one student: absent fields stay; null removes a credential."""

    viewer = fields.Nested(identity.Principal, required=True)
    guardian_id = _id(required=True)
    student_id = _id(required=True, metadata={"description": "the student whose link is edited (and through "
                                                             "whom the viewer manages the guardian)"})
    given_name = fields.String(validate=NAME_FIELD)
    family_name = fields.String(validate=NAME_FIELD)
    email = fields.String(allow_none=True, validate=validate.Length(max=320))
    mobile_phone = fields.String(allow_none=True, validate=validate.Length(max=32))
    relationship = fields.String(allow_none=True, validate=validate.Length(max=64))
    region = fields.String(load_default="US", validate=validate.Length(equal=2))

    @validates_schema
    def something_to_change(self, data, **kwargs):
        if not set(data) & set(GUARDIAN_EDITABLE):
            raise ValidationError(f"give at least one of {', '.join(GUARDIAN_EDITABLE)}", "_schema")


class Guardian(Schema):
    guardian_id = fields.String(required=True)
    student_id = fields.String(required=True)
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)
    email = fields.String(allow_none=True)
    mobile_phone = fields.String(allow_none=True)
    relationship = fields.String(allow_none=True)
    outcome = fields.String(required=True, validate=validate.OneOf((UPDATED, UNCHANGED)))


class RemoveGuardianRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True)
    guardian_id = _id(required=True)
    student_id = _id(required=True)


class RemoveGuardiansRequest(Schema):
    """Remove Guardians: every guardian link of each selected student."""

    viewer = fields.Nested(identity.Principal, required=True)
    student_ids = fields.List(_id(), required=True, validate=validate.Length(min=1, max=MAX_PAGE_ROWS),
                              metadata={"description": f"at most {MAX_PAGE_ROWS:,} students"})


class GetAuditLogRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True)
    subject_id = _id(allow_none=True, load_default=None, metadata={"description": "changes to this record only"})
    actor_id = _id(allow_none=True, load_default=None, metadata={"description": "changes by this person only"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_AUDIT_PAGE))


class AuditLogEntry(Schema):
    id = fields.String(required=True)
    actor_id = fields.String(required=True)
    action = fields.String(required=True)
    subject_type = fields.String(required=True)
    subject_id = fields.String(required=True)
    before = fields.Dict(allow_none=True, required=True)
    after = fields.Dict(allow_none=True, required=True)
    at = Timestamp(required=True)


class AuditLogPage(Schema):
    items = fields.List(fields.Nested(AuditLogEntry), required=True, metadata={"description": "newest first"})
    total = fields.Integer(required=True, metadata={"description": "entries matching the filters"})
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class SetDistrictSyncRequest(Schema):
    """What a district's roster sync owns, as rostering's settings say; `source` null: the district does not
    sync (a package imported by hand locks nothing)."""

    district_id = _id(required=True)
    source = fields.String(required=True, allow_none=True, validate=validate.Length(min=1, max=64),
                           metadata={"description": "how the district syncs, as people read it: Clever, ClassLink, SFTP"})
    manages_guardians = fields.Boolean(load_default=True, metadata={
        "description": "the setting \"allow sync to manage guardians\""})
    updates_contact_details_of_active_users = fields.Boolean(load_default=False, metadata={
        "description": "the setting \"allow the sync to update contact details of active users\""})


class DistrictSync(Schema):
    district_id = fields.String(required=True)
    source = fields.String(allow_none=True, required=True)
    manages_guardians = fields.Boolean(required=True)
    updates_contact_details_of_active_users = fields.Boolean(required=True)

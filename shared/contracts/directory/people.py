"""Reading the directory: schools, search, profiles, audiences, and the events other services project."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.contracts import identity
from shared.contracts.common import MAX_PAGE_ROWS, ItemResult, page_of
from shared.contracts.directory.vocabulary import KINDS, STUDENT_ACCOUNT_STATUSES


class School(Schema):
    id = fields.String(required=True, metadata={"description": "the directory's id of the school"})
    name = fields.String(required=True, metadata={"description": "the school's name"})


class Classroom(Schema):
    id = fields.String(required=True, metadata={"description": "the directory's id of the classroom"})
    title = fields.String(required=True, metadata={"description": "the classroom's title"})
    school_id = fields.String(required=True, metadata={"description": "the directory's id of the classroom's school"})
    class_code = fields.String(allow_none=True, metadata={
        "description": "the source's class code; null when it has none"})


class PersonRef(Schema):
    id = fields.String(required=True, metadata={"description": "the directory's id of the person"})
    given_name = fields.String(required=True, metadata={"description": "the person's given name"})
    family_name = fields.String(required=True, metadata={"description": "the person's family name"})


class PersonSummary(Schema):
    id = fields.String(required=True, metadata={"description": "the directory's id of the person"})
    given_name = fields.String(required=True, metadata={"description": "the person's given name"})
    family_name = fields.String(required=True, metadata={"description": "the person's family name"})
    kinds = fields.List(fields.String(), required=True, metadata={
        "description": "what the person is: one or more of student, staff and guardian"})
    grade = fields.String(allow_none=True, metadata={
        "description": "a student's grade as the source writes it; null when none is known"})
    job_title = fields.String(allow_none=True, metadata={
        "description": "a staff member's job title; null when none is known"})
    school_ids = fields.List(fields.String(), required=True, metadata={
        "description": "the directory's ids of the person's schools that the viewer may see"})
    student_account_status = fields.String(allow_none=True, validate=validate.OneOf(STUDENT_ACCOUNT_STATUSES),
                                           metadata={"description": "for a student: not_enabled, invited "
                                                                    "(enabled, never signed in) or active "
                                                                    "(has signed in); null for anyone else"})
    archived = fields.Boolean(required=True, metadata={
        "description": "true when the person is archived: kept, but out of "
                       "audiences and default searches, and unable to sign in"})


class PeopleFilters(Schema):
    """The filters of a directory search (GET /directory/people), without paging: bulk actions take them too."""

    query = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=100), metadata={
        "description": "words that must each occur, case-insensitively, in "
                       "the given or the family name; null matches everyone"})
    kind = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(KINDS), metadata={
        "description": "only people of this kind (student, staff or guardian); null for every kind"})
    school_id = fields.String(allow_none=True, load_default=None, metadata={
        "description": "only people of this school (the directory's id); null for every school the viewer may see"})
    classroom_id = fields.String(allow_none=True, load_default=None, metadata={
        "description": "only people enrolled in this classroom (the directory's id); null for any classroom"})
    student_account_status = fields.String(allow_none=True, load_default=None,
                                           validate=validate.OneOf(STUDENT_ACCOUNT_STATUSES), metadata={
                                               "description": "Student Account Status: not_enabled; enabled (a "
                                                              "Student User not invited yet); invited (an "
                                                              "invitation was sent); active (joined)"})
    include_archived = fields.Boolean(load_default=False, metadata={
        "description": "true to find archived people too; false (the default) finds current people only"})


class SearchPeopleRequest(PeopleFilters):
    viewer = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who is asking (an identity Principal), which bounds what they may see "
                       "and change: set by the gateway from the token, never from the body"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1), metadata={
        "description": "the page wanted, from 1"})
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=200), metadata={
        "description": "people per page, 1 to 200 (default 25)"})


class PeoplePage(Schema):
    items = fields.List(fields.Nested(PersonSummary), required=True, metadata={
        "description": "the people of this page, by family name, then given name"})
    total = fields.Integer(required=True, metadata={
        "description": "people matching; when more than 10,000 match, 10,000 and total_exact is false"})
    total_exact = fields.Boolean(load_default=True, metadata={
        "description": "false when the total was counted only up to its limit"})
    page = fields.Integer(required=True, metadata={"description": "the page answered, from 1"})
    per_page = fields.Integer(required=True, metadata={"description": "people per page, as asked"})


class GetProfileRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who is asking (an identity Principal), which bounds what they may see "
                       "and change: set by the gateway from the token, never from the body"})
    person_id = fields.String(required=True, metadata={
        "description": "the directory's id of the person; answered not found "
                       "alike when absent or out of the viewer's sight"})


class StudentProfile(Schema):
    id = fields.String(required=True, metadata={"description": "the directory's id of the student"})
    given_name = fields.String(required=True, metadata={"description": "the student's given name"})
    family_name = fields.String(required=True, metadata={"description": "the student's family name"})
    grade = fields.String(allow_none=True, metadata={
        "description": "the student's grade as the source writes it; null when none is known"})
    identifier = fields.String(allow_none=True, metadata={
        "description": "the source's identifier for the student (a student number, say); null when none is known"})
    schools = fields.List(fields.Nested(School), required=True, metadata={
        "description": "the student's schools that the viewer may see, by name"})
    classrooms = fields.List(fields.Nested(Classroom), required=True, metadata={
        "description": "the classrooms the student is currently enrolled in that the viewer may see, by title"})
    guardians = fields.List(fields.Nested(PersonRef), required=True, metadata={
        "description": "the student's guardians by a current link, by family name then given name"})
    student_account_status = fields.String(required=True, validate=validate.OneOf(STUDENT_ACCOUNT_STATUSES), metadata={
        "description": "not_enabled, invited (enabled, never signed in) or active (has signed in)"})
    archived = fields.Boolean(required=True, metadata={
        "description": "true when the student is archived: kept, but out of audiences and unable to sign in"})


class PersonProfile(Schema):
    id = fields.String(required=True, metadata={"description": "the directory's id of the person"})
    given_name = fields.String(required=True, metadata={"description": "the person's given name"})
    family_name = fields.String(required=True, metadata={"description": "the person's family name"})
    kinds = fields.List(fields.String(), required=True, metadata={
        "description": "what the person is: one or more of student, staff and guardian"})
    job_title = fields.String(allow_none=True, metadata={
        "description": "a staff member's job title; null when none is known"})
    schools = fields.List(fields.Nested(School), required=True, metadata={
        "description": "the person's schools that the viewer may see, by name"})
    linked_students = fields.List(fields.Nested(PersonRef), required=True, metadata={
        "description": "for a guardian, the students they are linked to that the viewer may see; empty otherwise"})
    archived = fields.Boolean(required=True, metadata={
        "description": "true when the person is archived: kept, but out of audiences and unable to sign in"})
    managed_by_sync = fields.Boolean(required=True, metadata={
        "description": "true when a roster sync owns the record (manual "
                       "changes may be locked), false when it was made by hand"})


class EnableStudentAccountsRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who is asking (an identity Principal), which bounds what they may see "
                       "and change: set by the gateway from the token, never from the body"})
    student_ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=5000), metadata={
        "description": "the directory's ids of the students whose accounts are enabled, 1 to 5,000"})


class EnableSyncedStudentAccountsRequest(Schema):
    district_id = fields.String(required=True, metadata={
        "description": "the directory's id of the district whose roster sync enables them: only its students are"})
    student_ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=5000), metadata={
        "description": "the directory's ids of the students whose accounts are enabled, 1 to 5,000"})
    enabled_by = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={
        "description": "the sync run that enables them, as `sync:<run id>`"})


class GetSchoolsRequest(Schema):
    district_id = fields.String(allow_none=True, load_default=None, metadata={
        "description": "the directory's id of the district whose schools are listed; null lists every school"})


class Schools(Schema):
    schools = fields.List(fields.Nested(School), required=True, metadata={"description": "the schools, by name"})


# The fields of an Audience that name whom it is for; exactly one is given.
AUDIENCE_TARGETS = ("district", "school_id", "classroom_id", "person_ids")


class Audience(Schema):
    """Who a communication is for: the whole district, one school, one classroom, or selected people.

    For the district (`district: true`, every school of the sender's district)
    or a school: its students and their guardians, and its staff when asked;
    only a district administrator may address the whole district. For a
    classroom: its students and their guardians. For a selection: each
    selected person; a selected student brings their guardians when
    `include_guardians` is set. Archived people and people the viewer may not
    see are never included.
    """

    # No default: an audience that does not name the district loads exactly as it did before the field existed.
    district = fields.Boolean(metadata={
        "description": "every person of the sender's district (district administrators only)"})
    school_id = fields.String(allow_none=True, load_default=None, metadata={
        "description": "the directory's id of one school: its students and their guardians (and staff when asked)"})
    classroom_id = fields.String(allow_none=True, load_default=None, metadata={
        "description": "the directory's id of one classroom: its students and their guardians"})
    person_ids = fields.List(fields.String(), allow_none=True, load_default=None,
                             validate=validate.Length(min=1, max=5000),
                             metadata={"description": "the directory's ids of selected people, 1 to 5,000"})
    include_students = fields.Boolean(load_default=True, metadata={
        "description": "whether students are included: the target's students, "
                       "or the selected students themselves (default true)"})
    include_guardians = fields.Boolean(load_default=True, metadata={
        "description": "whether the guardians of the target's or the selected students are included (default true)"})
    include_staff = fields.Boolean(load_default=False, metadata={"description": "district and school audiences only"})

    @validates_schema
    def exactly_one_target(self, data, **kwargs):
        targets = [name for name in AUDIENCE_TARGETS if data.get(name)]
        if len(targets) != 1:
            raise ValidationError("give exactly one of district, school_id, classroom_id or person_ids", "_schema")
        if data.get("include_staff") and not (data.get("district") or data.get("school_id")):
            raise ValidationError("staff can be included only in a district or school audience", "include_staff")


class ResolveAudienceRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who sends the communication (an identity Principal); only people they may see are included"})
    audience = fields.Nested(Audience, required=True, metadata={"description": "whom the communication is for"})
    after = fields.String(allow_none=True, load_default=None,
                          metadata={"description": "the last person id of the previous page"})
    limit = fields.Integer(load_default=MAX_PAGE_ROWS, validate=validate.Range(min=1, max=MAX_PAGE_ROWS), metadata={
        "description": "person ids per page, 1 to 5,000 (default 5,000)"})


class AudiencePage(Schema):
    person_ids = fields.List(fields.String(), required=True, metadata={
        "description": "the directory's ids of the current people of this page, in id order"})
    next_after = fields.String(allow_none=True, metadata={"description": "null on the last page"})
    refused = fields.List(fields.Nested(ItemResult), required=True,
                          metadata={"description": "selected people left out (not_found), on the first page"})


class PersonChange(Schema):
    """What other services project from a person."""

    person_id = fields.String(required=True, metadata={"description": "the directory's id of the person"})
    district_id = fields.String(required=True, metadata={"description": "the directory's id of the person's district"})
    given_name = fields.String(required=True, metadata={"description": "the person's given name"})
    family_name = fields.String(required=True, metadata={"description": "the person's family name"})
    kinds = fields.List(fields.String(), required=True, metadata={
        "description": "what the person is now: one or more of student, staff and guardian"})
    school_ids = fields.List(fields.String(), required=True, metadata={
        "description": "the directory's ids of the person's schools now, sorted"})
    student_account_enabled = fields.Boolean(required=True, metadata={
        "description": "true once the school has enabled the person's student account; false otherwise"})
    archived = fields.Boolean(required=True, metadata={
        "description": "true when the person is archived (out of audiences, unable to sign in)"})


class PeopleUpserted(Schema):
    people = page_of(PersonChange, required=True, metadata={
        "description": "the people created or changed, at most 5,000, each as they are now"})


class StudentAccountsEnabled(Schema):
    person_ids = fields.List(fields.String(), required=True, metadata={
        "description": "the directory's ids of the students whose accounts were enabled just now"})
    enabled_by = fields.String(required=True, metadata={
        "description": "the person id of the staff member who enabled them, or `sync:<run id>` for a roster sync "
                       "run (the district's \"enable student accounts automatically\")"})

"""Reading the directory: schools, search, profiles, audiences, and the events other services project."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.contracts import identity
from shared.contracts.common import MAX_PAGE_ROWS, ItemResult, page_of
from shared.contracts.directory.vocabulary import KINDS, STUDENT_ACCOUNT_STATUSES


class School(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)


class Classroom(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    school_id = fields.String(required=True)
    class_code = fields.String(allow_none=True)


class PersonRef(Schema):
    id = fields.String(required=True)
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)


class PersonSummary(Schema):
    id = fields.String(required=True)
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)
    kinds = fields.List(fields.String(), required=True)
    grade = fields.String(allow_none=True)
    job_title = fields.String(allow_none=True)
    school_ids = fields.List(fields.String(), required=True)
    student_account_status = fields.String(allow_none=True, validate=validate.OneOf(STUDENT_ACCOUNT_STATUSES))
    archived = fields.Boolean(required=True)


class PeopleFilters(Schema):
    """The filters of a directory search (GET /directory/people), without paging: bulk actions take them too."""

    query = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=100))
    kind = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(KINDS))
    school_id = fields.String(allow_none=True, load_default=None)
    classroom_id = fields.String(allow_none=True, load_default=None)
    student_account_status = fields.String(allow_none=True, load_default=None,
                                           validate=validate.OneOf(STUDENT_ACCOUNT_STATUSES), metadata={
                                               "description": "Student Account Status: not_enabled; enabled (a "
                                                              "Student User not invited yet); invited (an "
                                                              "invitation was sent); active (joined)"})
    include_archived = fields.Boolean(load_default=False)


class SearchPeopleRequest(PeopleFilters):
    viewer = fields.Nested(identity.Principal, required=True)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=200))


class PeoplePage(Schema):
    items = fields.List(fields.Nested(PersonSummary), required=True)
    total = fields.Integer(required=True, metadata={
        "description": "people matching; when more than 10,000 match, 10,000 and total_exact is false"})
    total_exact = fields.Boolean(load_default=True, metadata={
        "description": "false when the total was counted only up to its limit"})
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class GetProfileRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True)
    person_id = fields.String(required=True)


class StudentProfile(Schema):
    id = fields.String(required=True)
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)
    grade = fields.String(allow_none=True)
    identifier = fields.String(allow_none=True)
    schools = fields.List(fields.Nested(School), required=True)
    classrooms = fields.List(fields.Nested(Classroom), required=True)
    guardians = fields.List(fields.Nested(PersonRef), required=True)
    student_account_status = fields.String(required=True, validate=validate.OneOf(STUDENT_ACCOUNT_STATUSES))
    archived = fields.Boolean(required=True)


class PersonProfile(Schema):
    id = fields.String(required=True)
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)
    kinds = fields.List(fields.String(), required=True)
    job_title = fields.String(allow_none=True)
    schools = fields.List(fields.Nested(School), required=True)
    linked_students = fields.List(fields.Nested(PersonRef), required=True)
    archived = fields.Boolean(required=True)
    managed_by_sync = fields.Boolean(required=True)


class EnableStudentAccountsRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True)
    student_ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=5000))


class GetSchoolsRequest(Schema):
    district_id = fields.String(allow_none=True, load_default=None)


class Schools(Schema):
    schools = fields.List(fields.Nested(School), required=True)


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
    school_id = fields.String(allow_none=True, load_default=None)
    classroom_id = fields.String(allow_none=True, load_default=None)
    person_ids = fields.List(fields.String(), allow_none=True, load_default=None,
                             validate=validate.Length(min=1, max=5000))
    include_students = fields.Boolean(load_default=True)
    include_guardians = fields.Boolean(load_default=True)
    include_staff = fields.Boolean(load_default=False, metadata={"description": "district and school audiences only"})

    @validates_schema
    def exactly_one_target(self, data, **kwargs):
        targets = [name for name in AUDIENCE_TARGETS if data.get(name)]
        if len(targets) != 1:
            raise ValidationError("give exactly one of district, school_id, classroom_id or person_ids", "_schema")
        if data.get("include_staff") and not (data.get("district") or data.get("school_id")):
            raise ValidationError("staff can be included only in a district or school audience", "include_staff")


class ResolveAudienceRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True)
    audience = fields.Nested(Audience, required=True)
    after = fields.String(allow_none=True, load_default=None,
                          metadata={"description": "the last person id of the previous page"})
    limit = fields.Integer(load_default=MAX_PAGE_ROWS, validate=validate.Range(min=1, max=MAX_PAGE_ROWS))


class AudiencePage(Schema):
    person_ids = fields.List(fields.String(), required=True)
    next_after = fields.String(allow_none=True, metadata={"description": "null on the last page"})
    refused = fields.List(fields.Nested(ItemResult), required=True,
                          metadata={"description": "selected people left out (not_found), on the first page"})


class PersonChange(Schema):
    """What other services project from a person."""

    person_id = fields.String(required=True)
    district_id = fields.String(required=True)
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)
    kinds = fields.List(fields.String(), required=True)
    school_ids = fields.List(fields.String(), required=True)
    student_account_enabled = fields.Boolean(required=True)
    archived = fields.Boolean(required=True)


class PeopleUpserted(Schema):
    people = page_of(PersonChange, required=True)


class StudentAccountsEnabled(Schema):
    person_ids = fields.List(fields.String(), required=True)
    enabled_by = fields.String(required=True)

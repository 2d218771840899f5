"""What a roster sync hands the directory: pages of schools, classrooms, people, enrollments and links."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contracts.common import page_of
from shared.contracts.directory.vocabulary import KINDS


class UpsertDistrictRequest(Schema):
    source_id = fields.String(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))


class District(Schema):
    id = fields.String(required=True)
    source_id = fields.String(allow_none=True)
    name = fields.String(required=True)


class GetDistrictRequest(Schema):
    district_id = fields.String(required=True, metadata={"description": "the district's id"})


class SchoolInput(Schema):
    source_id = fields.String(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    identifier = fields.String(allow_none=True, load_default=None)


class UpsertSchoolsRequest(Schema):
    district_id = fields.String(required=True)
    schools = page_of(SchoolInput, required=True)


class ClassroomInput(Schema):
    source_id = fields.String(required=True)
    school_source_id = fields.String(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=255))
    class_code = fields.String(allow_none=True, load_default=None)
    course_title = fields.String(allow_none=True, load_default=None)
    grades = fields.List(fields.String(), load_default=list)


class UpsertClassroomsRequest(Schema):
    district_id = fields.String(required=True)
    classrooms = page_of(ClassroomInput, required=True)
    unarchive_reappearing = fields.Boolean(load_default=True, metadata={
        "description": "an archived classroom the sync lists again is unarchived (the district setting "
                       "\"unarchive classrooms that reappear\"); when false it stays archived and is answered skipped"})


class PersonInput(Schema):
    source_id = fields.String(required=True)
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)
    middle_name = fields.String(allow_none=True, load_default=None)
    kinds = fields.List(fields.String(validate=validate.OneOf(KINDS)), required=True,
                        validate=validate.Length(min=1))
    grade = fields.String(allow_none=True, load_default=None)
    job_title = fields.String(allow_none=True, load_default=None)
    identifier = fields.String(allow_none=True, load_default=None)
    school_source_ids = fields.List(fields.String(), load_default=list)


class UpsertPeopleRequest(Schema):
    district_id = fields.String(required=True)
    people = page_of(PersonInput, required=True)


class EnrollmentInput(Schema):
    source_id = fields.String(required=True)
    classroom_source_id = fields.String(required=True)
    person_source_id = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(("student", "teacher", "aide", "administrator")))


class UpsertEnrollmentsRequest(Schema):
    district_id = fields.String(required=True)
    enrollments = page_of(EnrollmentInput, required=True)


class GuardianLinkInput(Schema):
    guardian_source_id = fields.String(required=True)
    student_source_id = fields.String(required=True)


class UpsertGuardianLinksRequest(Schema):
    district_id = fields.String(required=True)
    links = page_of(GuardianLinkInput, required=True)

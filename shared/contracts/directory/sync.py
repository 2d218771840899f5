"""What a roster sync hands the directory: pages of schools, classrooms, people, enrollments and links."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contracts.common import page_of
from shared.contracts.directory.vocabulary import KINDS


class UpsertDistrictRequest(Schema):
    source_id = fields.String(required=True, metadata={
        "description": "the district's sourcedId in the roster source; the district is created or updated under it"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=255), metadata={
        "description": "the district's name, 1 to 255 characters"})


class District(Schema):
    id = fields.String(required=True, metadata={
        "description": "the directory's id of the district, which every later sync page names"})
    source_id = fields.String(allow_none=True, metadata={
        "description": "the district's sourcedId in the roster source; null for a district not made by a sync"})
    name = fields.String(required=True, metadata={"description": "the district's name"})


class GetDistrictRequest(Schema):
    district_id = fields.String(required=True, metadata={"description": "the district's id"})


class SchoolInput(Schema):
    source_id = fields.String(required=True, metadata={
        "description": "the school's sourcedId in the roster source, unique in the district"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=255), metadata={
        "description": "the school's name, 1 to 255 characters"})
    identifier = fields.String(allow_none=True, load_default=None, metadata={
        "description": "the school's own code (the source's identifier column); null when it has none"})


class UpsertSchoolsRequest(Schema):
    district_id = fields.String(required=True, metadata={
        "description": "the directory's id of the district the schools belong to"})
    schools = page_of(SchoolInput, required=True, metadata={
        "description": "the page of schools to create or update, at most 5,000, each answered by its sourcedId"})


class ClassroomInput(Schema):
    source_id = fields.String(required=True, metadata={
        "description": "the classroom's sourcedId in the roster source, unique in the district"})
    school_source_id = fields.String(required=True, metadata={
        "description": "the sourcedId of the school the classroom belongs to, sent in an earlier page"})
    title = fields.String(required=True, validate=validate.Length(min=1, max=255), metadata={
        "description": "the classroom's title, 1 to 255 characters"})
    class_code = fields.String(allow_none=True, load_default=None, metadata={
        "description": "the source's class code; null when it has none"})
    course_title = fields.String(allow_none=True, load_default=None, metadata={
        "description": "the title of the course the classroom teaches; null when the source names none"})
    grades = fields.List(fields.String(), load_default=list, metadata={
        "description": "the grades the classroom is for, as the source "
                       "writes them (09, KG, ...); empty when it names none"})


class UpsertClassroomsRequest(Schema):
    district_id = fields.String(required=True, metadata={
        "description": "the directory's id of the district the classrooms belong to"})
    classrooms = page_of(ClassroomInput, required=True, metadata={
        "description": "the page of classrooms to create or update, at most 5,000, each answered by its sourcedId"})
    unarchive_reappearing = fields.Boolean(load_default=True, metadata={
        "description": "an archived classroom the sync lists again is unarchived (the district setting "
                       "\"unarchive classrooms that reappear\"); when false it stays archived and is answered skipped"})


class PersonInput(Schema):
    source_id = fields.String(required=True, metadata={
        "description": "the person's sourcedId in the roster source, unique in the district"})
    given_name = fields.String(required=True, metadata={"description": "the person's given name"})
    family_name = fields.String(required=True, metadata={"description": "the person's family name"})
    middle_name = fields.String(allow_none=True, load_default=None, metadata={
        "description": "the person's middle name; null when the source has none"})
    kinds = fields.List(fields.String(validate=validate.OneOf(KINDS)), required=True,
                        validate=validate.Length(min=1),
                        metadata={"description": "what the person is in the district, one "
                                                 "or more of student, staff and guardian"})
    grade = fields.String(allow_none=True, load_default=None, metadata={
        "description": "a student's grade as the source writes it (09, KG, ...); null when it names none"})
    job_title = fields.String(allow_none=True, load_default=None, metadata={
        "description": "a staff member's job title; null when the source names none"})
    identifier = fields.String(allow_none=True, load_default=None, metadata={
        "description": "the source's own identifier for the person (a student number, say); null when it has none"})
    school_source_ids = fields.List(fields.String(), load_default=list, metadata={
        "description": "the sourcedIds of the person's schools, sent in an "
                       "earlier page; an unknown one is reported and left out"})


class UpsertPeopleRequest(Schema):
    district_id = fields.String(required=True, metadata={
        "description": "the directory's id of the district the people belong to"})
    people = page_of(PersonInput, required=True, metadata={
        "description": "the page of people to create or update, at most 5,000, each answered by its sourcedId"})


class EnrollmentInput(Schema):
    source_id = fields.String(required=True, metadata={
        "description": "the enrollment's sourcedId in the roster source, unique in the district"})
    classroom_source_id = fields.String(required=True, metadata={
        "description": "the sourcedId of the classroom, sent in an earlier page"})
    person_source_id = fields.String(required=True, metadata={
        "description": "the sourcedId of the person enrolled, sent in an earlier page"})
    role = fields.String(required=True, validate=validate.OneOf(("student", "teacher", "aide", "administrator")),
                         metadata={"description": "the person's role in the classroom: "
                                                  "student, teacher, aide or administrator"})


class UpsertEnrollmentsRequest(Schema):
    district_id = fields.String(required=True, metadata={
        "description": "the directory's id of the district the enrollments belong to"})
    enrollments = page_of(EnrollmentInput, required=True, metadata={
        "description": "the page of enrollments to create or update, at most 5,000, each answered by its sourcedId"})


class GuardianLinkInput(Schema):
    guardian_source_id = fields.String(required=True, metadata={
        "description": "the sourcedId of the guardian, a person of kind guardian sent in an earlier page"})
    student_source_id = fields.String(required=True, metadata={
        "description": "the sourcedId of the student, a person of kind student sent in an earlier page"})
    relationship = fields.String(allow_none=True, validate=validate.Length(max=64), metadata={
        "description": "how the guardian is related to the student (mother, grandparent, ...), at most 64 "
                       "characters, when the source says (a guardians.csv); absent leaves the link's as it is"})


class UpsertGuardianLinksRequest(Schema):
    district_id = fields.String(required=True, metadata={
        "description": "the directory's id of the district the people belong to"})
    links = page_of(GuardianLinkInput, required=True, metadata={
        "description": "the page of guardian links to create or update, at most "
                       "5,000, each answered as guardian_source_id:student_source_id"})

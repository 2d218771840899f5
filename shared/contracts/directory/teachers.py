"""Who teaches a guardian's students or a student: whom a family may start a conversation with."""
from __future__ import annotations

from marshmallow import Schema, fields

from shared.contracts import identity


class ListTeachersRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True, metadata={
        "description": "the guardian or student asking (an identity Principal): the teachers of their linked "
                       "students' classes, or of their own classes"})


class Teacher(Schema):
    person_id = fields.String(required=True, metadata={"description": "the directory's id of the staff member"})
    given_name = fields.String(required=True, metadata={"description": "the staff member's given name"})
    family_name = fields.String(required=True, metadata={"description": "the staff member's family name"})
    classroom_ids = fields.List(fields.String(), required=True, metadata={
        "description": "the directory's ids of the viewer's (or their students') classes this person teaches"})


class Teachers(Schema):
    teachers = fields.List(fields.Nested(Teacher), required=True, metadata={
        "description": "every current teacher or aide of those classes, once each, by family and given name"})

"""notify: who can be reached and how. This first slice holds the recipient projection."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contracts import directory, identity
from shared.contracts.base import ServiceContract

NAME = "notify"
contract = ServiceContract(NAME)


class GetRecipientsRequest(Schema):
    person_ids = fields.List(fields.String(), required=True, validate=validate.Length(max=5000))


class Recipient(Schema):
    person_id = fields.String(required=True)
    district_id = fields.String(allow_none=True)
    given_name = fields.String(allow_none=True)
    family_name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    mobile_phone = fields.String(allow_none=True)
    account_status = fields.String(allow_none=True, validate=validate.OneOf(identity.ACCOUNT_STATUSES),
                                   metadata={"description": "identity's account status; null until identity "
                                                            "has described the account"})
    roles = fields.List(fields.String(), required=True)
    kinds = fields.List(fields.String(), required=True)
    school_ids = fields.List(fields.String(), required=True)
    student_account_enabled = fields.Boolean(required=True)
    joined = fields.Boolean(required=True)
    archived = fields.Boolean(required=True)


class Recipients(Schema):
    recipients = fields.List(fields.Nested(Recipient), required=True)


get_recipients = contract.rpc("get_recipients", request=GetRecipientsRequest, response=Recipients)

contract.subscribe(
    identity.ACCOUNTS_UPSERTED,
    identity.USER_JOINED,
    directory.PEOPLE_UPSERTED,
    directory.STUDENT_ACCOUNTS_ENABLED,
)

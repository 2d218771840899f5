"""Bodies and answers of the joining and account-settings endpoints, built from identity's contract.

The person comes from the token (`viewer`, `changed_by`), the credential kind from the path.
"""
from __future__ import annotations

from marshmallow import Schema, fields

from shared.contracts import identity


class DistrictLanguagesBody(identity.SetDistrictLanguagesRequest):
    class Meta:
        exclude = ("district_id", "changed_by")


class LanguageBody(identity.SetLanguageRequest):
    class Meta:
        exclude = ("viewer",)


class CredentialCodeBody(identity.SendCredentialCodeRequest):
    class Meta:
        exclude = ("viewer", "kind")


class ConfirmCredentialBody(identity.ConfirmCredentialRequest):
    class Meta:
        exclude = ("viewer", "kind")


class MyCredentials(Schema):
    credentials = fields.List(fields.Nested(identity.Credential), required=True, metadata={
        "description": "Your email and mobile phone; `shared` when another account holds it too."})

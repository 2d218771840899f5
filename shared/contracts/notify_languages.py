"""notify's schemas for each person's language and the audience preview (declared in shared/contracts/notify.py)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contracts.common import ItemResult

SMS_ENCODINGS = ("GSM-7", "UCS-2")
TRANSLATION_OUTCOMES = ("translated", "unavailable")
# How many unreachable people a preview names; the total counts every one.
PREVIEW_UNREACHABLE_CAP = 100


class SmsSize(Schema):
    sms_encoding = fields.String(required=True, validate=validate.OneOf(SMS_ENCODINGS), metadata={
        "description": "GSM-7 when every character is in the GSM 03.38 alphabet, else UCS-2"})
    sms_characters = fields.Integer(required=True, metadata={
        "description": "the SMS body's length as the network counts it: septets (GSM-7, the extension "
                       "characters ^{}\\[~]|€ count two) or UTF-16 code units (UCS-2)"})
    sms_segments = fields.Integer(required=True, metadata={
        "description": "SMS segments the body takes: 160/153 per segment in GSM-7, 70/67 in UCS-2"})


class OriginalText(SmsSize):
    language = fields.String(required=True, metadata={
        "description": "the BCP 47 tag the communication was written in (its sender's language)"})
    subject = fields.String(allow_none=True, metadata={"description": "the subject as written"})
    body = fields.String(required=True, metadata={"description": "the text as written"})


class TranslationLine(SmsSize):
    language = fields.String(required=True, metadata={"description": "the BCP 47 tag of the readers' language"})
    outcome = fields.String(required=True, validate=validate.OneOf(TRANSLATION_OUTCOMES), metadata={
        "description": "translated, or unavailable: the translator failed or was too slow, and these readers "
                       "got the original with a short note"})
    subject = fields.String(allow_none=True, metadata={"description": "the subject these readers got"})
    body = fields.String(required=True, metadata={"description": "the text these readers got"})
    reason = fields.String(allow_none=True, metadata={
        "description": "why the translation is unavailable; null when translated"})


class ChannelReach(Schema):
    email = fields.Integer(required=True, metadata={"description": "people an email would go to"})
    sms = fields.Integer(required=True, metadata={"description": "people an SMS would go to"})
    call = fields.Integer(required=True, metadata={"description": "people a voice call would go to"})
    app_only = fields.Integer(required=True, metadata={
        "description": "people it would reach in the app only (no email, SMS or call)"})


class UnreachablePerson(Schema):
    person_id = fields.String(required=True, metadata={"description": "the directory's id of the person"})
    given_name = fields.String(allow_none=True, metadata={"description": "the person's given name"})
    family_name = fields.String(allow_none=True, metadata={"description": "the person's family name"})
    reason = fields.String(required=True, metadata={
        "description": "why nothing would go to them outside the app, e.g. no_email, email_bad, "
                       "mobile_opted_out, app_only_preference"})


class LanguagePreview(SmsSize):
    language = fields.String(required=True, metadata={"description": "the BCP 47 tag of the readers' language"})
    people = fields.Integer(required=True, metadata={"description": "people it would reach who read this language"})
    translated = fields.Boolean(required=True, metadata={
        "description": "true when these people would get a translation; false for the original's language, and "
                       "when the translator failed (they would get the original with a note)"})
    body = fields.String(required=True, metadata={
        "description": "the SMS body these people would get (before any For <name>: label of a shared phone)"})
    reason = fields.String(allow_none=True, metadata={
        "description": "why a translation this preview needed is unavailable; null otherwise"})


class AudiencePreview(Schema):
    recipient_count = fields.Integer(required=True, metadata={
        "description": "people the audience resolves to, as the send would store them"})
    reached = fields.Integer(required=True, metadata={
        "description": "people it would reach on some channel, the app included"})
    not_contacted = fields.Integer(required=True, metadata={
        "description": "people of the audience it would not go to at all: students whose account is not "
                       "enabled, archived people, people notify does not know yet"})
    reach = fields.Nested(ChannelReach, required=True, metadata={"description": "people reached per channel"})
    unreachable_total = fields.Integer(required=True, metadata={
        "description": "people who would get nothing outside the app (U1), over the whole audience"})
    unreachable = fields.List(fields.Nested(UnreachablePerson), required=True, metadata={
        "description": f"the first {PREVIEW_UNREACHABLE_CAP} of them, by family name, then given name"})
    original_language = fields.String(required=True, metadata={
        "description": "the BCP 47 tag it is written in (the sender's language)"})
    languages = fields.List(fields.Nested(LanguagePreview), required=True, metadata={
        "description": "each language among the people reached, with the SMS segments its text takes"})
    refused = fields.List(fields.Nested(ItemResult), required=True, metadata={
        "description": "selected people the directory left out, as the send would"})

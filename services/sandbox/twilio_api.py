"""Twilio's Messages and Calls create endpoints, answered as Twilio answers them.

Requests: form-encoded, HTTP basic auth with the account SID and auth token.
Refusals are Twilio's legacy error JSON ({code, message, more_info, status}),
which the SDK turns into TwilioRestException(code=...). Accepted messages get
status callbacks (sent, then delivered/undelivered with ErrorCode); accepted
calls get one final callback (completed, busy, no-answer, failed), as Twilio
sends by default.
"""
from __future__ import annotations

import base64
import binascii
import hmac
import re
import xml.etree.ElementTree as ElementTree
from datetime import datetime, timezone
from email.utils import format_datetime
from urllib.parse import urlsplit

from services.sandbox.outbox import OutgoingRequest, twilio_form_request
from services.sandbox.rules import TwilioFate
from services.sandbox.state import ApiAnswer, Sandbox, json_answer, new_sid

API_VERSION = "2010-04-01"
E164 = re.compile(r"^\+[1-9]\d{1,14}$")
MAX_BODY_CHARACTERS = 1600
MESSAGING_SERVICE_NUMBER = "+15005550006"  # the sender a Messaging Service picks from its pool

ERROR_MESSAGES = {
    20003: "Authenticate",
    20404: "The requested resource {path} was not found",
    21201: "No 'To' number is specified",
    21205: "Url parameter is required. A 'Url', 'Twiml' or 'ApplicationSid' must be given.",
    21211: "The 'To' number {to} is not a valid phone number.",
    21213: "No 'From' number is specified",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21609: "Invalid StatusCallback url: {callback}",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number {to} is not a valid mobile number",
    21617: "The concatenated message body exceeds the 1600 character limit.",
}
# Refusals are HTTP 400, except a failed login and someone else's account.
HTTP_STATUS_FOR_CODE = {20003: 401, 20404: 404}


def twilio_error(code: int, **details: str) -> ApiAnswer:
    status = HTTP_STATUS_FOR_CODE.get(code, 400)
    template = ERROR_MESSAGES.get(code, "Error {code}")
    return json_answer(status, {
        "code": code,
        "message": template.format(code=code, **details),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    })


def check_auth(sandbox: Sandbox, path_account_sid: str, authorization: str | None) -> ApiAnswer | None:
    """None when the caller may act on this account."""
    expected = f"{sandbox.config.twilio_account_sid}:{sandbox.config.twilio_auth_token}"
    scheme, _, encoded = (authorization or "").partition(" ")
    try:
        given = base64.b64decode(encoded, validate=True).decode() if scheme.lower() == "basic" else ""
    except (binascii.Error, UnicodeDecodeError):
        given = ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return twilio_error(20003)
    if path_account_sid != sandbox.config.twilio_account_sid:
        return twilio_error(20404, path=f"/{API_VERSION}/Accounts/{path_account_sid}")
    return None


def _callback_url_problem(form: dict[str, str]) -> ApiAnswer | None:
    callback = form.get("StatusCallback")
    if callback and urlsplit(callback).scheme not in ("http", "https"):
        return twilio_error(21609, callback=callback)
    return None


def _now_rfc2822() -> str:
    return format_datetime(datetime.now(timezone.utc))


def _resource(sandbox: Sandbox, sid: str, collection: str, fields: dict) -> dict:
    account = sandbox.config.twilio_account_sid
    now = _now_rfc2822()
    return {
        "account_sid": account,
        "api_version": API_VERSION,
        "date_created": now,
        "date_updated": now,
        "direction": "outbound-api",
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "uri": f"/{API_VERSION}/Accounts/{account}/{collection}/{sid}.json",
        **fields,
    }


def create_message(sandbox: Sandbox, form: dict[str, str]) -> ApiAnswer:
    to, body = form.get("To", "").strip(), form.get("Body")
    service_sid = form.get("MessagingServiceSid")
    from_ = form.get("From") or (MESSAGING_SERVICE_NUMBER if service_sid else "")
    if not to:
        return twilio_error(21604)
    if not E164.match(to):
        return twilio_error(21211, to=to)
    if not from_:
        return twilio_error(21603)
    if not body and not form.get("MediaUrl"):
        return twilio_error(21602)
    if body and len(body) > MAX_BODY_CHARACTERS:
        return twilio_error(21617)
    if problem := _callback_url_problem(form):
        return problem
    fate = sandbox.rules.sms_fate(to)
    sid = new_sid("SM")
    if fate.refusal_code is not None:
        sandbox.log.record(channel="sms", to=to, from_=from_, body=body or "", provider_message_id=sid,
                           status="refused", error_code=fate.refusal_code)
        return twilio_error(fate.refusal_code, to=to)
    sandbox.remember_sender(to, from_)
    sandbox.log.record(channel="sms", to=to, from_=from_, body=body or "", provider_message_id=sid,
                       status=fate.final_status, error_code=fate.error_code)
    status = "accepted" if service_sid and not form.get("From") else "queued"
    resource = _resource(sandbox, sid, "Messages", {
        "body": body, "from": from_, "to": to, "status": status, "messaging_service_sid": service_sid,
        "num_media": "0", "num_segments": str(max(1, -(-len(body or "") // 160))), "date_sent": None,
        "error_code": None, "error_message": None,
        "subresource_uris": {"media": f"/{API_VERSION}/Accounts/{sandbox.config.twilio_account_sid}"
                                      f"/Messages/{sid}/Media.json"},
    })
    callbacks = _message_callbacks(sandbox, form.get("StatusCallback"), sid, to, from_, service_sid, fate)
    return json_answer(201, resource, callbacks=callbacks)


def _message_callbacks(sandbox: Sandbox, url: str | None, sid: str, to: str, from_: str,
                       service_sid: str | None, fate: TwilioFate) -> list[OutgoingRequest]:
    if not url:
        return []
    common = {"SmsSid": sid, "MessageSid": sid, "AccountSid": sandbox.config.twilio_account_sid,
              "From": from_, "To": to, "ApiVersion": API_VERSION}
    if service_sid:
        common["MessagingServiceSid"] = service_sid
    final = {"SmsStatus": fate.final_status, "MessageStatus": fate.final_status}
    if fate.error_code is not None:
        final["ErrorCode"] = str(fate.error_code)
    token = sandbox.config.twilio_auth_token
    return [
        twilio_form_request("twilio_status", url, {**common, "SmsStatus": "sent", "MessageStatus": "sent"}, token),
        twilio_form_request("twilio_status", url, {**common, **final}, token),
    ]


def spoken_text(twiml: str) -> str | None:
    """What a <Say> would read out; None when the TwiML does not parse."""
    try:
        root = ElementTree.fromstring(twiml)
    except ElementTree.ParseError:
        return None
    return " ".join((element.text or "").strip() for element in root.iter("Say"))


def create_call(sandbox: Sandbox, form: dict[str, str]) -> ApiAnswer:
    to, from_ = form.get("To", "").strip(), form.get("From", "").strip()
    twiml, url = form.get("Twiml"), form.get("Url")
    if not to:
        return twilio_error(21201)
    if not E164.match(to):
        return twilio_error(21211, to=to)
    if not from_:
        return twilio_error(21213)
    if not (twiml or url or form.get("ApplicationSid")):
        return twilio_error(21205)
    if problem := _callback_url_problem(form):
        return problem
    fate = sandbox.rules.call_fate(to)
    sid = new_sid("CA")
    spoken = spoken_text(twiml) if twiml else None
    body = spoken if spoken is not None else (twiml or url or "")
    extra = {"twiml": twiml, "url": url}
    if fate.refusal_code is not None:
        sandbox.log.record(channel="voice", to=to, from_=from_, body=body, provider_message_id=sid,
                           status="refused", error_code=fate.refusal_code, extra=extra)
        return twilio_error(fate.refusal_code, to=to)
    sandbox.log.record(channel="voice", to=to, from_=from_, body=body, provider_message_id=sid,
                       status=fate.final_status, error_code=fate.error_code, extra=extra)
    resource = _resource(sandbox, sid, "Calls", {
        "to": to, "to_formatted": to, "from": from_, "from_formatted": from_, "status": "queued",
        "answered_by": None, "caller_name": None, "duration": None, "start_time": None, "end_time": None,
        "parent_call_sid": None, "phone_number_sid": None, "queue_time": "0", "trunk_sid": None,
        "subresource_uris": {"recordings": f"/{API_VERSION}/Accounts/{sandbox.config.twilio_account_sid}"
                                           f"/Calls/{sid}/Recordings.json"},
    })
    callbacks = []
    if callback := form.get("StatusCallback"):
        params = {"CallSid": sid, "CallStatus": fate.final_status, "AccountSid": sandbox.config.twilio_account_sid,
                  "From": from_, "To": to, "Direction": "outbound-api", "ApiVersion": API_VERSION,
                  "CallbackSource": "call-progress-events", "SequenceNumber": "0", "Timestamp": _now_rfc2822(),
                  "CallDuration": "12" if fate.final_status == "completed" else "0"}
        if fate.error_code is not None:
            params["ErrorCode"] = str(fate.error_code)
        callbacks.append(twilio_form_request("twilio_status", callback, params, sandbox.config.twilio_auth_token))
    return json_answer(201, resource, callbacks=callbacks)

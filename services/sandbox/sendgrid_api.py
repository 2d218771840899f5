"""SendGrid's v3 mail send, answered as SendGrid answers it, and the events it later reports.

202 with an empty body and X-Message-Id on success; 400 with every problem
listed as {"errors": [{"message", "field", "help"}]}; 401 for a bad key. Each
recipient then gets events in the Event Webhook's shape: `processed` and its
fate (delivered, bounce, deferred, spamreport, unsubscribe), or `dropped` for a
suppressed address. custom_args ride along as top-level event fields, which is
how a delivery id finds its way back.

The suppression API (GET/DELETE /v3/suppression/<list>/<email>, /v3/asm/suppressions/global/<email>) shows and
lifts the lists those fates put an address on, so a Reset Status that lifts a bounce is seen to work.
"""
from __future__ import annotations

import hmac
import json
import re
import secrets
import time
from urllib.parse import unquote

from services.sandbox.rules import EmailFate
from services.sandbox.state import ApiAnswer, Sandbox, json_answer

MAX_PERSONALIZATIONS = 1000
MAX_RECIPIENTS = 1000
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HELP = "https://www.twilio.com/docs/sendgrid/api-reference/mail-send/errors#"


def _error(message: str, field: str | None, anchor: str = "") -> dict:
    return {"message": message, "field": field, "help": HELP + anchor if anchor else None}


def _errors_answer(status: int, errors: list[dict]) -> ApiAnswer:
    return json_answer(status, {"errors": errors})


def check_auth(sandbox: Sandbox, authorization: str | None) -> ApiAnswer | None:
    expected = f"Bearer {sandbox.config.sendgrid_api_key}"
    if hmac.compare_digest((authorization or "").encode(), expected.encode()):
        return None
    return _errors_answer(401, [_error("The provided authorization grant is invalid, expired, or revoked", None)])


def _address_errors(recipients: object, where: str) -> list[dict]:
    if recipients is None:
        return []
    if not isinstance(recipients, list):
        return [_error(f"The {where} field must be an array.", where)]
    return [_error("Does not contain a valid address.", f"{where}.{index}.email", "message.personalizations.to")
            for index, recipient in enumerate(recipients)
            if not (isinstance(recipient, dict) and isinstance(recipient.get("email"), str)
                    and EMAIL.match(recipient["email"]))]


def validate(mail: object) -> list[dict]:
    if not isinstance(mail, dict):
        return [_error("Bad Request", None)]
    errors: list[dict] = []
    personalizations = mail.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        errors.append(_error("The personalizations field is required and must have at least one personalization.",
                             "personalizations", "message.personalizations"))
        personalizations = []
    elif len(personalizations) > MAX_PERSONALIZATIONS:
        errors.append(_error(f"The personalizations field may have at most {MAX_PERSONALIZATIONS} items.",
                             "personalizations", "message.personalizations"))
    recipients = 0
    for index, personalization in enumerate(personalizations):
        where = f"personalizations.{index}"
        if not isinstance(personalization, dict) or not personalization.get("to"):
            errors.append(_error("The to array is required for all personalization objects, and must have at "
                                 "least one email object with a valid email address.", f"{where}.to",
                                 "message.personalizations.to"))
            continue
        for kind in ("to", "cc", "bcc"):
            errors.extend(_address_errors(personalization.get(kind), f"{where}.{kind}"))
            recipients += len(personalization.get(kind) or [])
    if recipients > MAX_RECIPIENTS:
        errors.append(_error(f"The total number of recipients must be less than {MAX_RECIPIENTS + 1}.",
                             "personalizations", "message.personalizations"))
    sender = mail.get("from")
    if not (isinstance(sender, dict) and isinstance(sender.get("email"), str) and EMAIL.match(sender["email"])):
        errors.append(_error("The from email does not contain a valid address.", "from.email", "message.from"))
    every_personalization_has_subject = bool(personalizations) and all(
        isinstance(p, dict) and p.get("subject") for p in personalizations)
    if not mail.get("template_id"):
        if not mail.get("subject") and not every_personalization_has_subject:
            errors.append(_error("The subject is required. You can get around this requirement if you use a "
                                 "template with a subject defined or if every personalization has a subject "
                                 "defined.", "subject", "message.subject"))
        content = mail.get("content")
        if not (isinstance(content, list) and content and all(
                isinstance(c, dict) and c.get("type") and isinstance(c.get("value"), str) and c["value"]
                for c in content)):
            errors.append(_error("Unless a valid template_id is provided, the content parameter is required. "
                                 "There must be at least one defined content block.", "content", "message.content"))
    return errors


def new_message_id() -> str:
    """X-Message-Id: 22 URL-safe characters, like SendGrid's."""
    return secrets.token_urlsafe(16)[:22]


def _events_for(fate: EmailFate, base: dict) -> list[dict]:
    def event(name: str, **fields: object) -> dict:
        return {**base, "event": name, "sg_event_id": secrets.token_urlsafe(16), **fields}

    if fate.event == "dropped":
        return [event("dropped", reason=fate.reason, status=fate.status)]
    processed = event("processed")
    if fate.event == "delivered":
        return [processed, event("delivered", response="250 OK", tls=1)]
    if fate.event == "bounce":
        return [processed, event("bounce", type=fate.bounce_type, status=fate.status, reason=fate.reason,
                                 bounce_classification=fate.bounce_classification, tls=1)]
    if fate.event == "deferred":
        return [processed, event("deferred", response=fate.reason, attempt="1", tls=1)]
    # spam reports and unsubscribes come after a delivery
    return [processed, event("delivered", response="250 OK", tls=1), event(fate.event)]


def mail_send(sandbox: Sandbox, raw_body: bytes) -> ApiAnswer:
    try:
        mail = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError):
        return _errors_answer(400, [_error("Bad Request", None)])
    if errors := validate(mail):
        return _errors_answer(400, errors)
    message_id = new_message_id()
    now = int(time.time())
    subject, sender = mail.get("subject"), mail["from"]["email"]
    body = next((c["value"] for c in mail["content"] if c["type"] == "text/plain"), mail["content"][0]["value"]) \
        if mail.get("content") else ""
    shared_args = mail.get("custom_args") or {}
    events: list[dict] = []
    for index, personalization in enumerate(mail["personalizations"]):
        custom_args = {**shared_args, **(personalization.get("custom_args") or {})}
        for kind in ("to", "cc", "bcc"):
            for recipient in personalization.get(kind) or []:
                email = recipient["email"]
                fate = sandbox.rules.email_fate(email)
                sg_message_id = f"{message_id}.recvd-sandbox-1-{now:X}-{index}.0"
                sandbox.log.record(channel="email", to=email, from_=sender,
                                   subject=personalization.get("subject") or subject, body=body,
                                   provider_message_id=sg_message_id, batch_id=message_id,
                                   status=fate.bounce_type if fate.event == "bounce" else fate.event,
                                   extra={"custom_args": custom_args,
                                          "reply_to": (mail.get("reply_to") or {}).get("email")})
                base = {**custom_args, "email": email, "timestamp": now, "sg_message_id": sg_message_id,
                        "smtp-id": f"<{message_id}@sandbox.sendgrid.net>"}
                if categories := mail.get("categories"):
                    base["category"] = categories
                events.extend(_events_for(fate, base))
    return ApiAnswer(202, b"", {"X-Message-Id": message_id}, events=events)


# --- the suppression API: what Reset Status reads and lifts ------------------------------------------------------

SUPPRESSION_PATH = re.compile(
    r"^/v3/(?:suppression/(?P<list>bounces|blocks|invalid_emails|spam_reports)|asm/suppressions/(?P<group>global))"
    r"/(?P<email>[^/]+)$")
GLOBAL_UNSUBSCRIBES = "global_unsubscribes"


def suppression(sandbox: Sandbox, method: str, match: re.Match) -> ApiAnswer:
    """GET answers the entries for one address (an array; global unsubscribes an object), DELETE answers 204."""
    list_name = match["list"] or GLOBAL_UNSUBSCRIBES
    email = unquote(match["email"]).lower()
    if method == "DELETE":
        sandbox.rules.unsuppress(email, list_name)
        return ApiAnswer(204)
    if method != "GET":
        return _errors_answer(405, [_error(f"{method} is not allowed here", None)])
    listed = list_name in sandbox.rules.suppression_lists(email)
    if list_name == GLOBAL_UNSUBSCRIBES:
        return json_answer(200, {"recipient_email": email} if listed else {})
    return json_answer(200, [{"created": int(time.time()), "email": email, "reason": "suppressed in the sandbox",
                              "status": "5.0.0"}] if listed else [])

"""The sandbox's own endpoints under /sandbox: read what was sent, set rules, fake replies.

    GET    /sandbox/messages?channel=&to=&status=&offset=&limit=   recorded messages, oldest first
    GET    /sandbox/messages/count?channel=&to=&status=            {"count": n}
    DELETE /sandbox/messages                                       forget messages and request counts
    GET    /sandbox/rules      POST /sandbox/rules {address, kind, times?, code?}
    POST   /sandbox/inbound-sms {from, to?, body}                  a text from a handset to us
    POST   /sandbox/inbound-email {from, to, text, html?, message_id?}  an email reply (Inbound Parse)
    POST   /sandbox/config {sendgrid_events_url?, twilio_inbound_url?}
    GET    /sandbox/latency    POST /sandbox/latency {seconds}     each Twilio create and SendGrid send answers late
    POST   /sandbox/reset                                          forget everything but the config
    GET    /sandbox/stats      GET /sandbox/sendgrid/public-key    GET /sandbox/health
    GET    /sandbox/translator POST /sandbox/translator {fail?, status?, delay_seconds?}   (deepl_api.py)
    GET    /sandbox/pushes?to=       POST /sandbox/push/tokens {token, fate, times?}   (fcm_api.py)
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from services.sandbox.outbox import sendgrid_inbound_request, twilio_form_request
from services.sandbox.rules import RuleError, RuleKind, is_email, make_rule
from services.sandbox.signing import public_key_base64, public_key_pem
from services.sandbox.state import ApiAnswer, Sandbox, json_answer, json_object, new_sid, seconds_up_to
from services.sandbox.twilio_api import API_VERSION, E164

# Twilio's default Advanced Opt-Out keywords, as the provider applies them (our own
# classification of replies lives in notify's outcomes table, on the other side).
TWILIO_OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
TWILIO_OPT_IN = frozenset({"START", "YES", "UNSTOP"})
TWILIO_HELP = frozenset({"HELP", "INFO"})


def _bad_request(message: str) -> ApiAnswer:
    return json_answer(400, {"error": message})


def _filters(query: Mapping[str, str]) -> dict[str, str | None]:
    return {name: query.get(name) or None for name in ("channel", "to", "status")}


def list_messages(sandbox: Sandbox, query: Mapping[str, str]) -> ApiAnswer:
    try:
        offset = int(query.get("offset", "0"))
        limit = int(query["limit"]) if query.get("limit") else None
    except ValueError:
        return _bad_request("offset and limit must be whole numbers")
    return json_answer(200, {"messages": sandbox.log.query(**_filters(query), offset=offset, limit=limit)})


def count_messages(sandbox: Sandbox, query: Mapping[str, str]) -> ApiAnswer:
    return json_answer(200, {"count": sandbox.log.count(**_filters(query))})


def clear_messages(sandbox: Sandbox) -> ApiAnswer:
    sandbox.log.clear()
    return ApiAnswer(204)


def list_rules(sandbox: Sandbox) -> ApiAnswer:
    return json_answer(200, {"rules": [rule.to_json() for rule in sandbox.rules.rules()]})


def add_rule(sandbox: Sandbox, raw: bytes) -> ApiAnswer:
    payload = json_object(raw)
    if payload is None:
        return _bad_request("expected a JSON object")
    try:
        rule = make_rule(payload.get("address", ""), payload.get("kind", ""), payload.get("times"),
                         payload.get("code"))
    except RuleError as error:
        return _bad_request(str(error))
    sandbox.rules.add(rule)
    callbacks = []
    if rule.kind is RuleKind.STOP_REPLY and not is_email(rule.address):
        # The handset texts STOP now, as a parent would on reading our message.
        callbacks = receive_sms(sandbox, rule.address, sandbox.sender_for(rule.address), "STOP").callbacks
    return json_answer(201, {"rule": rule.to_json()}, callbacks=callbacks)


def receive_sms(sandbox: Sandbox, from_: str, to: str, body: str) -> ApiAnswer:
    """A text from a handset: Twilio applies its opt-out keywords, then posts our inbound webhook."""
    if not E164.match(from_ or "") or not E164.match(to or ""):
        return _bad_request("from and to must be E.164 phone numbers")
    word = body.strip().upper()
    opt_out_type = None
    if word in TWILIO_OPT_OUT:
        sandbox.rules.set_opted_out(from_, True)
        opt_out_type = "STOP"
    elif word in TWILIO_OPT_IN:
        sandbox.rules.set_opted_out(from_, False)
        opt_out_type = "START"
    elif word in TWILIO_HELP:
        opt_out_type = "HELP"
    sandbox.count_inbound()
    sid = new_sid("SM")
    url = sandbox.twilio_inbound_url
    if url is None:
        return json_answer(200, {"message_sid": sid, "posted": False})
    params = {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid,
              "AccountSid": sandbox.config.twilio_account_sid, "From": from_, "To": to, "Body": body,
              "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received", "ApiVersion": API_VERSION}
    if opt_out_type:
        params["OptOutType"] = opt_out_type
    callback = twilio_form_request("twilio_inbound", url, params, sandbox.config.twilio_auth_token)
    return json_answer(200, {"message_sid": sid, "posted": True}, callbacks=[callback])


def inbound_sms(sandbox: Sandbox, raw: bytes) -> ApiAnswer:
    payload = json_object(raw)
    if payload is None or not isinstance(payload.get("body"), str):
        return _bad_request("expected a JSON object with from, body and optionally to")
    from_ = payload.get("from", "")
    return receive_sms(sandbox, from_, payload.get("to") or sandbox.sender_for(from_), payload["body"])


def inbound_email(sandbox: Sandbox, raw: bytes) -> ApiAnswer:
    """An email someone sends to one of our reply addresses, as SendGrid's Inbound Parse posts it."""
    payload = json_object(raw)
    if payload is None or not all(isinstance(payload.get(name), str) for name in ("from", "to", "text")):
        return _bad_request("expected a JSON object with from, to and text (html and message_id optional)")
    message_id = payload.get("message_id") or f"<{new_sid('EM')}@sandbox.example>"
    fields = {"from": payload["from"], "to": payload["to"], "subject": payload.get("subject") or "Re: your message",
              "text": payload["text"], "html": payload.get("html") or "",
              "envelope": json.dumps({"to": [payload["to"]], "from": payload["from"]}),
              "headers": f"Message-ID: {message_id}\nFrom: {payload['from']}\nTo: {payload['to']}\n",
              "charsets": json.dumps({"to": "UTF-8", "text": "UTF-8", "from": "UTF-8"}), "SPF": "pass"}
    url = sandbox.config.sendgrid_inbound_url
    if url is None:
        return json_answer(200, {"message_id": message_id, "posted": False})
    return json_answer(200, {"message_id": message_id, "posted": True},
                       callbacks=[sendgrid_inbound_request(url, fields)])


def configure(sandbox: Sandbox, raw: bytes) -> ApiAnswer:
    payload = json_object(raw)
    if payload is None:
        return _bad_request("expected a JSON object")
    sandbox.configure(sendgrid_events_url=payload.get("sendgrid_events_url"),
                      twilio_inbound_url=payload.get("twilio_inbound_url"))
    return json_answer(200, sandbox.targets())


# A provider slower than this is a provider down: tests of that use rules or a closed port.
MAX_PROVIDER_LATENCY_SECONDS = 5.0


def provider_latency(sandbox: Sandbox) -> ApiAnswer:
    return json_answer(200, {"seconds": sandbox.provider_latency_seconds})


def set_provider_latency(sandbox: Sandbox, raw: bytes) -> ApiAnswer:
    """A provider that takes `seconds` to answer each request, as a real one does over the internet: a fan-out
    then lasts long enough for a test to fault it midway on a fast machine."""
    payload = json_object(raw)
    seconds = seconds_up_to(payload.get("seconds"), MAX_PROVIDER_LATENCY_SECONDS) if payload is not None else None
    if seconds is None:
        return _bad_request(f"seconds: a number from 0 to {MAX_PROVIDER_LATENCY_SECONDS:g}")
    sandbox.provider_latency_seconds = seconds
    return provider_latency(sandbox)


def reset(sandbox: Sandbox) -> ApiAnswer:
    sandbox.reset()
    return ApiAnswer(204)


def public_key(sandbox: Sandbox) -> ApiAnswer:
    return json_answer(200, {"public_key": public_key_base64(sandbox.signing_key),
                             "pem": public_key_pem(sandbox.signing_key)})


def stats(sandbox: Sandbox, webhook_stats: Callable[[], dict]) -> ApiAnswer:
    return json_answer(200, {"requests": sandbox.log.requests(), "messages": sandbox.log.count(),
                             "inbound_sms": sandbox.inbound_sms_count, "webhooks": webhook_stats(),
                             "connections": sandbox.connections_accepted,
                             "targets": sandbox.targets()})

"""message_*, inbound_replies_*: conversations on the idle stack, with `make run`'s two notify workers.

- `message_p50_ms`, `message_p95_ms`: a district administrator starts a conversation with 15 guardians, then
  writes MESSAGES messages into it through the gateway, one after the other. Each is timed from the request
  until it is handed off to every participant: its app deliveries written and every provider delivery of
  its communication (email or SMS, by rows M1-M4) recorded `sent` in the send ledger, which a worker
  writes once the provider (the sandbox) answered. At the end the sandbox must hold every one of them.
- `inbound_replies_per_s`, `inbound_replies_lost`: INBOUND_PHONES guardians are set to SMS+app and each is
  sent a message of a conversation of their own (so their phone's latest conversation message went to it
  by SMS). Then Twilio inbound webhooks, signed as Twilio signs them, are posted to the gateway from those
  phones at INBOUND_OFFERED_PER_S for the scale's inbound seconds; every reply has its own MessageSid.
  The rate is the replies filed in the conversation store over the time from the first post until the
  last one was filed. Counting waits until the webhook queue is drained and notify has no stored text left
  to file (however long that takes); a reply not filed then is lost. `inbound_replies_drain_s` is how long
  the filing ran on after the last post. Replies are offered above
  the target rate, since a run offered exactly the target can only come in just under it. The stage ends
  once every filed reply was handed off to the staff member too (not timed).
"""
from __future__ import annotations

import itertools
import secrets
import statistics
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import requests

from bench.context import Context
from bench.platform_stack import Platform, cpu_per_item, wait_for
from bench.report import Row
from bench.stages.people import Viewer
from services.notify.domain.inbound_texts import TWILIO_SOURCE_PREFIX
from services.sandbox.signing import twilio_signature
from shared.contracts.conversations import MAX_PARTICIPANTS
from shared.contracts.provider_webhooks import TWILIO_INBOUND, WEBHOOK_DEAD_QUEUE, WEBHOOK_QUEUE
from shared.provider_signatures import TWILIO_SIGNATURE_HEADER
from shared.testing.stack import BIN

API = "/api/v1/conversations"
WORKERS = 2  # as the Procfile starts them
MESSAGES = 40
PROVIDER_CHANNELS = ("email", "sms", "voice")
HANDOFF_POLL_SECONDS = 0.01
HANDOFF_TIMEOUT_SECONDS = 60.0
INBOUND_PHONES = 100
INBOUND_OFFERED_PER_S = 250  # a quarter above the 200/s target
INBOUND_CLIENTS = 16
# With the queue and notify's stored texts both empty, a text not filed after this long without any change is lost.
SETTLE_SECONDS = 10.0
PROGRESS_SECONDS = 15.0


def run(ctx: Context, platform: Platform, admin: Viewer) -> list[Row]:
    names = {f"bench-conversation-worker-{n}": [str(BIN / "notify-worker")] for n in range(1, WORKERS + 1)}
    platform.stack.start(names)
    try:
        guardians = single_phone_guardians(platform, MAX_PARTICIPANTS + INBOUND_PHONES)
        if len(guardians) < MAX_PARTICIPANTS + INBOUND_PHONES:
            raise RuntimeError(f"the district has only {len(guardians)} guardians with a phone of their own")
        group, repliers = guardians[:MAX_PARTICIPANTS], guardians[MAX_PARTICIPANTS:]
        latencies = message_latencies(ctx, platform, admin, [person_id for person_id, _ in group])
        inbound = inbound_replies(ctx, platform, admin, repliers)
    finally:
        platform.stack.stop(names)
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return [Row("message_p50_ms", cuts[49] * 1000, "ms"),
            Row("message_p95_ms", cuts[94] * 1000, "ms"),
            Row("inbound_replies_offered_per_s", inbound.offered_per_s, "replies/s"),
            Row("inbound_replies_per_s", inbound.filed_per_s, "replies/s"),
            Row("inbound_replies_drain_s", inbound.drain_seconds, "s"),
            Row("inbound_replies_lost", inbound.sent - inbound.filed, "replies")]


def single_phone_guardians(platform: Platform, count: int) -> list[tuple[str, str]]:
    """(person id, mobile) of guardians notify can reach whose mobile nobody else shares."""
    return [(person_id, phone) for person_id, phone in platform.query(
        "notify", "SELECT min(person_id), mobile_phone FROM recipients WHERE NOT archived AND in_directory "
        "AND kinds::jsonb ? 'guardian' AND mobile_phone IS NOT NULL GROUP BY mobile_phone HAVING count(*) = 1 "
        "ORDER BY mobile_phone LIMIT %s", (count,))]


# --- a message to a group --------------------------------------------------------------------------------

def message_latencies(ctx: Context, platform: Platform, admin: Viewer, group: list[str]) -> list[float]:
    stack = platform.stack
    recorded_before = stack.sandbox.count()
    started = _created(stack.api("POST", API, admin.token, json={
        "participant_ids": group, "text": "Welcome to the class group for the trip."}))
    conversation_id = started["conversation_id"]
    communications = [started["messages"][0]["communication_id"]]
    _wait_handed_off(ctx, platform, communications[0])
    ctx.progress(f"conversations: {MESSAGES} messages to {len(group)} guardians, one after the other")
    latencies = []
    for n in range(1, MESSAGES + 1):
        sent_at = time.monotonic()
        message = _created(stack.api("POST", f"{API}/{conversation_id}/messages", admin.token,
                                     json={"text": f"Trip update {n}: the bus leaves at 8:{n:02d}."}))
        communications.append(message["communication_id"])
        latencies.append(_wait_handed_off(ctx, platform, message["communication_id"]) - sent_at)
    provider_deliveries = int(platform.scalar(
        "notify", "SELECT count(*) FROM deliveries WHERE communication_id = ANY(%s) AND channel IN %s "
        "AND status <> 'skipped'", (communications, PROVIDER_CHANNELS)))
    wait_for(ctx, "the sandbox holding every message's provider deliveries",
             lambda: stack.sandbox.count() - recorded_before >= provider_deliveries, timeout=HANDOFF_TIMEOUT_SECONDS)
    ctx.progress(f"  {provider_deliveries} provider deliveries for {len(communications)} messages; "
                 f"slowest hand-off {max(latencies) * 1000:.0f} ms")
    return latencies


def _wait_handed_off(ctx: Context, platform: Platform, communication_id: str) -> float:
    def handed_off() -> bool:
        planned, sent, people = platform.query("notify", (
            "SELECT count(*) FILTER (WHERE d.channel IN %s AND d.status <> 'skipped'), "
            "count(*) FILTER (WHERE l.state = 'sent'), count(DISTINCT d.person_id) "
            "FROM deliveries d LEFT JOIN send_ledger l ON l.delivery_id = d.id WHERE d.communication_id = %s"),
            (PROVIDER_CHANNELS, communication_id))[0]
        # A message's deliveries (app, provider, skipped) are written in one transaction before the gateway
        # answers, so any row at all means all of them; then every provider one must be sent.
        return people > 0 and sent >= planned

    return wait_for(ctx, f"message {communication_id} handed off", handed_off, timeout=HANDOFF_TIMEOUT_SECONDS,
                    every=HANDOFF_POLL_SECONDS)


def _created(response: requests.Response) -> dict:
    if response.status_code != 201:
        raise RuntimeError(f"the conversation refused the message: {response.status_code} {response.text[:500]}")
    return response.json()


# --- texts back ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Inbound:
    sent: int
    filed: int
    offered_per_s: float
    filed_per_s: float
    drain_seconds: float  # from the last post until the last reply was filed


def inbound_replies(ctx: Context, platform: Platform, admin: Viewer, repliers: list[tuple[str, str]]) -> Inbound:
    stack = platform.stack
    ctx.progress(f"conversations: a message by SMS to each of {len(repliers)} guardians")
    communications = []
    for person_id, _ in repliers:
        chosen = stack.api("PUT", f"/api/v1/people/{person_id}/preference", admin.token,
                           json={"preference": "sms_app"})
        if chosen.status_code != 200:
            raise RuntimeError(f"the preference was refused: {chosen.status_code} {chosen.text[:300]}")
        started = _created(stack.api("POST", API, admin.token, json={
            "participant_ids": [person_id], "text": "Could you confirm the pick-up time? Just text back."}))
        communications.append(started["messages"][0]["communication_id"])
    for communication_id in communications:
        _wait_handed_off(ctx, platform, communication_id)
    texted = int(platform.scalar("notify", "SELECT count(DISTINCT address) FROM deliveries "
                                 "WHERE communication_id = ANY(%s) AND channel = 'sms'", (communications,)))
    if texted != len(repliers):
        raise RuntimeError(f"only {texted} of {len(repliers)} guardians were texted")

    url = stack.env["SANDBOX_TWILIO_INBOUND_URL"]
    replies = signed_replies(url, stack.env, [phone for _, phone in repliers],
                             int(INBOUND_OFFERED_PER_S * ctx.sizes.inbound_seconds))
    ctx.progress(f"  posting {len(replies):,} texts back at {INBOUND_OFFERED_PER_S}/s "
                 f"from {INBOUND_CLIENTS} connections")
    cpu_before = platform.cpu_seconds()
    started_wall = time.time()
    offered, refused = post_at_rate(ctx, url, replies, INBOUND_OFFERED_PER_S)
    if refused:
        ctx.progress(f"  {len(refused)} posts were not answered 200, e.g. {refused[0]}")

    posted_wall = time.time()
    backlog = InboundSettling(inbound_backlog(platform, [sid for sid, _ in replies]), len(replies))
    wait_for(ctx, "the webhook queue drained and the texts back filed", backlog.settled,
             timeout=ctx.sizes.fanout_timeout_seconds, every=0.5, report=backlog.describe)
    count, last_filed = platform.query("notify", "SELECT count(*), extract(epoch FROM max(created_at)) "
                                       "FROM conversation_messages WHERE source_ref = ANY(%s)",
                                       ([f"{TWILIO_SOURCE_PREFIX}{sid}" for sid, _ in replies],))[0]
    last_filed = float(last_filed or time.time())
    elapsed = last_filed - started_wall
    ctx.progress(f"  {count:,} of {len(replies):,} filed in {elapsed:.1f}s (offered at {offered:.0f}/s), the last "
                 f"{max(0.0, last_filed - posted_wall):.1f}s after the last post; {backlog.describe()}; "
                 f"CPU per reply: {cpu_per_item(cpu_before, platform.cpu_seconds(), len(replies))}")
    _wait_replies_delivered(ctx, platform)
    return Inbound(len(replies), int(count), offered, int(count) / elapsed, max(0.0, last_filed - posted_wall))


def _wait_replies_delivered(ctx: Context, platform: Platform) -> None:
    """Every filed reply handed off to the staff member too, so that no job of this stage is left on the
    queue for the stages after it (fanout counts what the sandbox records)."""
    def outstanding() -> int:
        return int(platform.scalar("notify", (
            "SELECT count(*) FROM conversation_messages m JOIN deliveries d ON d.communication_id = m.communication_id "
            "LEFT JOIN send_ledger l ON l.delivery_id = d.id WHERE m.via = 'sms' AND d.channel IN %s "
            "AND d.status <> 'skipped' AND l.state IS DISTINCT FROM 'sent'"), (PROVIDER_CHANNELS,)))

    wait_for(ctx, "the replies delivered to the staff member", lambda: outstanding() == 0,
             timeout=ctx.sizes.fanout_timeout_seconds, every=1.0, report=lambda: f"{outstanding():,} still to send")


def signed_replies(url: str, env: Mapping[str, str], phones: list[str],
                   count: int) -> list[tuple[str, dict[str, str]]]:
    """(MessageSid, body and signature) of `count` texts from the phones in turn, as Twilio posts them to
    our number (env: the stack's Twilio settings)."""
    replies = []
    for n, phone in zip(range(count), itertools.cycle(phones)):
        sid = f"SM{secrets.token_hex(16)}"
        params = {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "AccountSid": env["TWILIO_ACCOUNT_SID"],
                  "From": phone, "To": env["TWILIO_FROM_NUMBER"], "Body": f"Yes, 3:30 works for us ({n}).", "NumMedia": "0",
                  "NumSegments": "1", "SmsStatus": "received", "ApiVersion": "2010-04-01"}
        replies.append((sid, {"body": urlencode(params), "signature": twilio_signature(url, params, env["TWILIO_AUTH_TOKEN"])}))
    return replies


def post_at_rate(ctx: Context, url: str, replies: list[tuple[str, dict[str, str]]],
                 per_second: float) -> tuple[float, list[str]]:
    """Post each reply at its place in a schedule of `per_second`; (the rate achieved, the posts refused)."""
    schedule = iter(range(len(replies)))
    lock = threading.Lock()
    refused: list[str] = []
    taken = [0]
    started = time.monotonic()

    def client() -> None:
        with requests.Session() as session:
            while True:
                with lock:
                    n = next(schedule, None)
                    taken[0] += n is not None
                if n is None:
                    return
                time.sleep(max(0.0, started + n / per_second - time.monotonic()))
                reply = replies[n][1]
                try:
                    answer = session.post(url, data=reply["body"], timeout=60, headers={
                        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                        TWILIO_SIGNATURE_HEADER: reply["signature"]})
                    if answer.status_code != 200:
                        refused.append(f"{answer.status_code} {answer.text[:200]}")
                except requests.RequestException as failed:
                    refused.append(repr(failed))

    threads = [threading.Thread(target=client, daemon=True) for _ in range(INBOUND_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(PROGRESS_SECONDS)
            if thread.is_alive():
                ctx.progress(f"  {taken[0]:,} of {len(replies):,} posted after {time.monotonic() - started:.0f}s")
    return len(replies) / (time.monotonic() - started), refused


@dataclass(frozen=True)
class Backlog:
    """Where the posted texts are at one moment."""

    queued: int  # on notify.webhooks, ready or handed out (the management API's figure, a few seconds old)
    dead: int  # on notify.webhooks.dead
    stored: int  # taken off the queue and stored by notify, once per MessageSid
    unfiled: int  # of those, not applied yet
    filed: int  # conversation messages

    def __str__(self) -> str:
        return (f"{self.queued:,} on {WEBHOOK_QUEUE}, {self.dead:,} on {WEBHOOK_DEAD_QUEUE}, {self.stored:,} stored "
                f"by notify ({self.unfiled:,} not yet filed), {self.filed:,} filed")


class InboundSettling:
    """Settled once every text is filed, or once nothing is left to file (the queue and notify's stored inbound
    texts both empty) and nothing moved for SETTLE_SECONDS: only then is a text not filed lost. A slow filing
    is waited for, however slow (up to the stage's timeout)."""

    def __init__(self, snapshot: Callable[[], Backlog], expected: int) -> None:
        self.snapshot, self.expected = snapshot, expected
        self.last: Backlog | None = None
        self.moved_at = time.monotonic()

    def settled(self) -> bool:
        now = self.snapshot()
        if now != self.last:
            self.last, self.moved_at = now, time.monotonic()
        drained = now.queued == 0 and now.unfiled == 0
        return now.filed >= self.expected or (drained and time.monotonic() - self.moved_at > SETTLE_SECONDS)

    def describe(self) -> str:
        return str(self.last or self.snapshot())


def inbound_backlog(platform: Platform, sids: list[str]) -> Callable[[], Backlog]:
    sources = [f"{TWILIO_SOURCE_PREFIX}{sid}" for sid in sids]

    def snapshot() -> Backlog:
        depths = platform.queue_depths()
        stored, unfiled = platform.query("notify", (
            "SELECT count(*), count(*) FILTER (WHERE applied_at IS NULL) FROM webhook_receipts "
            "WHERE kind = %s AND provider_message_id = ANY(%s)"), (TWILIO_INBOUND, sids))[0]
        filed = platform.scalar("notify", "SELECT count(*) FROM conversation_messages WHERE source_ref = ANY(%s)",
                                (sources,))
        return Backlog(depths.get(WEBHOOK_QUEUE, 0), depths.get(WEBHOOK_DEAD_QUEUE, 0), int(stored), int(unfiled),
                       int(filed))

    return snapshot

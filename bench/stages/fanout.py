"""fanout_*: a priority announcement to every guardian and enabled student of the district.

Timed from the gateway call: `fanout_enqueue_seconds` until notify has every job confirmed on the queue
(the communication turns `queued`), `fanout_<n>w_seconds` until the provider sandbox has recorded
every provider delivery (one recipient on one channel), with one and then two notify workers running
from before the call. `fanout_duplicates` counts, over both announcements, the messages the sandbox recorded
beyond what notify planned for each channel and address.
"""
from __future__ import annotations

import collections
import time
from dataclasses import dataclass

from bench.context import Context
from bench.platform_stack import Platform, cpu_per_item, cpu_spent, wait_for
from bench.report import Row
from bench.stages.people import Viewer
from shared.testing.stack import BIN

PROVIDER_CHANNELS = ("email", "sms", "voice")
MESSAGES_PAGE = 20_000
# Deliveries still missing and the sandbox's count standing still this long: something is stuck.
STALL_SECONDS = 120.0
# The polls themselves cost the box CPU (a count over the communication's deliveries, the sandbox's count
# over every message it holds): at district scale, polling every 0.1 s took a third of a core.
POLL_SECONDS = 1.0
CALLBACKS_APPLIED_SECONDS = 1.0
WHOLE_DISTRICT = {"district": True, "include_students": True, "include_guardians": True}


@dataclass(frozen=True)
class Fanout:
    enqueue_seconds: float
    seconds: float
    deliveries: int
    duplicates: int


def run(ctx: Context, platform: Platform, admin: Viewer) -> list[Row]:
    one = _with_workers(ctx, platform, admin, 1)
    two = _with_workers(ctx, platform, admin, 2)
    return [
        Row("fanout_enqueue_seconds", two.enqueue_seconds, "s",
            scaled_baseline=("baseline_publish_msgs_per_s", two.deliveries)),
        Row("fanout_1w_seconds", one.seconds, "s"),
        Row("fanout_1w_deliveries_per_s", one.deliveries / one.seconds, "deliveries/s"),
        Row("fanout_2w_seconds", two.seconds, "s"),
        Row("fanout_2w_deliveries_per_s", two.deliveries / two.seconds, "deliveries/s"),
        Row("fanout_duplicates", one.duplicates + two.duplicates, "messages"),
    ]


def _with_workers(ctx: Context, platform: Platform, admin: Viewer, workers: int) -> Fanout:
    names = {f"bench-worker-{n}": [str(BIN / "notify-worker")] for n in range(1, workers + 1)}
    platform.stack.start(names)
    try:
        return _announce(ctx, platform, admin, workers)
    finally:
        platform.note_peak_rss()  # the kernel forgets a process's peak when it exits
        platform.stack.stop(names)


def _announce(ctx: Context, platform: Platform, admin: Viewer, workers: int) -> Fanout:
    sandbox = platform.stack.sandbox
    sandbox.clear_messages()
    timeout = ctx.sizes.fanout_timeout_seconds
    cpu_before = platform.cpu_seconds(with_database=True)
    started = time.monotonic()
    response = platform.stack.api("POST", "/api/v1/announcements", admin.token, timeout=timeout, json={
        "audience": WHOLE_DISTRICT, "priority": True, "subject": f"Schools closed tomorrow ({workers}w)",
        "body": "All schools are closed tomorrow because of the storm. Stay safe."})
    if response.status_code != 202:
        raise RuntimeError(f"the announcement was refused: {response.status_code} {response.text[:500]}")
    communication_id = response.json()["communication_id"]
    ctx.progress(f"fanout with {workers} worker(s): {response.json()['recipient_count']:,} recipients")

    def state() -> str:
        return str(platform.scalar("notify", "SELECT state FROM communications WHERE id = %s", (communication_id,)))

    queued_at = wait_for(ctx, "jobs confirmed on the queue", lambda: state() != "planning", timeout=timeout,
                         every=0.1, report=lambda: f"still {state()}")
    enqueue = queued_at - started

    def expected() -> int:
        # Skipped deliveries (no usable address on that channel) never reach a provider; fallbacks do.
        return int(platform.scalar("notify", "SELECT count(*) FROM deliveries WHERE communication_id = %s "
                                   "AND channel IN %s AND status <> 'skipped'", (communication_id, PROVIDER_CHANNELS)))

    progress = _Stall(sandbox.count)
    target = expected()

    def all_recorded() -> bool:
        # Counting deliveries is a scan of the communication's rows: done again only when the sandbox
        # caught up, in case fallbacks added deliveries meanwhile.
        nonlocal target
        if progress.check() < target:
            return False
        target = expected()
        return progress.last >= target

    finished_at = wait_for(ctx, "the sandbox recording every delivery", all_recorded, timeout=timeout,
                           every=POLL_SECONDS, report=lambda: f"{progress.last:,} of {target:,} recorded")
    seconds = finished_at - started
    _callbacks_drained(ctx, sandbox)
    cpu_after = platform.cpu_seconds(with_database=True)  # before the duplicates' count reads every message
    deliveries = sandbox.count()
    planned = platform.query("notify", "SELECT channel, lower(address), count(*) FROM deliveries "
                             "WHERE communication_id = %s AND channel IN %s AND status <> 'skipped' "
                             "GROUP BY channel, lower(address)", (communication_id, PROVIDER_CHANNELS))
    duplicates = _duplicates(sandbox, {(channel, address): count for channel, address, count in planned})
    per_delivery = sum(cpu_spent(cpu_before, cpu_after).values()) * 1000 / max(deliveries, 1)
    ctx.progress(f"  {deliveries:,} deliveries in {seconds:.1f}s (queued after {enqueue:.1f}s), "
                 f"{duplicates} duplicates; CPU per delivery (its status callbacks included; RabbitMQ left "
                 f"out): {per_delivery:.2f} ms in all, "
                 f"{cpu_per_item(cpu_before, cpu_after, max(deliveries, 1), digits=2)}")
    return Fanout(enqueue, seconds, deliveries, duplicates)


def _callbacks_drained(ctx: Context, sandbox) -> None:
    """Until the sandbox has posted every status callback it owes, and a moment for notify to apply the last
    batch (it gathers for 0.05 s): the CPU per delivery then counts each delivery's callbacks whole. At district
    scale the callbacks run minutes behind the sends, so the wait is bounded by their progress, not a clock."""
    pending = _Stall(lambda: sandbox.stats()["webhooks"]["pending"])
    wait_for(ctx, "the sandbox posting its status callbacks", lambda: pending.check() == 0,
             timeout=ctx.sizes.fanout_timeout_seconds, every=0.5, report=lambda: f"{pending.last:,} pending")
    time.sleep(CALLBACKS_APPLIED_SECONDS)


class _Stall:
    def __init__(self, count) -> None:
        self.count, self.last, self.moved_at = count, -1, time.monotonic()

    def check(self) -> int:
        now, value = time.monotonic(), self.count()
        if value != self.last:
            self.last, self.moved_at = value, now
        elif now - self.moved_at > STALL_SECONDS:
            raise RuntimeError(f"the sandbox stayed at {value:,} messages for {STALL_SECONDS:.0f}s")
        return value


def _duplicates(sandbox, planned: dict[tuple[str, str], int]) -> int:
    """Messages beyond what was planned for each (channel, address).

    Counted per address, not per message text: two guardians with one first name on one shared phone
    rightly get two identical `For <name>:` texts, while a job sent twice shows as one address too many.
    """
    recorded: collections.Counter = collections.Counter()
    offset = 0
    while page := sandbox.messages(offset=offset, limit=MESSAGES_PAGE):
        recorded.update((m["channel"], m["to"].lower()) for m in page)
        offset += len(page)
    return sum(max(0, count - planned.get(key, 0)) for key, count in recorded.items())

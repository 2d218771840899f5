"""plan_recipients_per_s: the pure planner over generated PlanRecipients, a priority announcement.

The recipients are a seeded mix of students, guardians and staff with every
preference and credential state, ~5 % on a shared mobile; building them is
not timed, planning every one of them (consuming the iterator) is.
"""
from __future__ import annotations

import random
import time

from bench.context import SEED, Context
from bench.report import Row
from services.notify.domain.delivery import Communication, CredentialState, Preference
from services.notify.domain.planner import PlanRecipient, PlanRequest, plan

STATES = (CredentialState.GOOD,) * 8 + (CredentialState.BAD, CredentialState.OPTED_OUT)
PREFERENCES = (None, None, Preference.EMAIL_APP, Preference.SMS_APP, Preference.APP_ONLY)


def recipients(count: int, seed: int = SEED) -> list[PlanRecipient]:
    rng = random.Random(seed)
    out = []
    for n in range(count):
        student = rng.random() < 0.4
        has_mobile = not student or rng.random() < 0.3
        out.append(PlanRecipient(
            person_id=f"p{n:07d}", given_name=f"Given{n % 997}", is_student=student,
            student_account_enabled=student and rng.random() < 0.5, joined=rng.random() < 0.6,
            preference=rng.choice(PREFERENCES),
            email=None if rng.random() < 0.05 else f"person{n}@example.org", email_state=rng.choice(STATES),
            mobile_phone=f"+1555{n % 10_000_000:07d}" if has_mobile else None, mobile_state=rng.choice(STATES),
            mobile_shared_with=1 if has_mobile and rng.random() < 0.05 else 0))
    return out


def run(ctx: Context) -> list[Row]:
    count = ctx.sizes.plan_recipients
    ctx.progress(f"building {count:,} PlanRecipients")
    people = recipients(count)
    request = PlanRequest(Communication.ANNOUNCEMENT, priority=True)
    ctx.progress("planning a priority announcement for all of them")
    started = time.perf_counter()
    planned = sum(1 for _ in plan(people, request))
    elapsed = time.perf_counter() - started
    if planned != count:
        raise RuntimeError(f"planned {planned} of {count}")
    return [Row("plan_recipients_per_s", count / elapsed, "recipients/s")]

"""Use cases behind the endpoints: each takes the validated call and the backends, and returns the JSON body.

Service answers are already dumped through their contract schemas, so they
pass through as they are; only what the gateway composes is built here.
"""
from __future__ import annotations

import time

import eventlet

from services.gateway.api import ApiCall, Backends
from services.gateway.domain.access import may_see_contact_details, require_permission_change, require_staff
from services.gateway.domain.profiles import account_of, user_profile
from services.gateway.domain.readiness import readiness_report
from services.gateway.errors import SERVICE_UNAVAILABLE_ERRORS
from services.gateway.domain.results import summarize_outcomes
from shared.contracts.permissions import (
    HISTORY_NOTHING, communication_history_scope, effective_actions, may_see_delivery_status,
)
from services.gateway.lists import page_of
from shared.contracts.health import FAILING, OK

# How many of a person's latest communications their profile shows (notify's first page).
PROFILE_HISTORY_SHOWN = 20


def health(call: ApiCall, backends: Backends) -> dict:
    return {"status": "ok"}


def show_me(call: ApiCall, backends: Backends) -> dict:
    person_id = call.principal["person_id"]
    accounts = backends.identity.get_accounts({"person_ids": [person_id]})["accounts"]
    return {"principal": call.principal, "account": account_of(accounts, person_id),
            "effective_permissions": effective_actions(call.principal)}


def search_people(call: ApiCall, backends: Backends) -> dict:
    return backends.directory.search_people({**call.query, "viewer": call.principal})


def show_student_profile(call: ApiCall, backends: Backends) -> dict:
    return backends.directory.get_student_profile({"viewer": call.principal, "person_id": call.path["id"]})


def show_user_profile(call: ApiCall, backends: Backends) -> dict:
    person_id = call.path["id"]
    # Directory decides whether the viewer may see this person at all (NotFound when not).
    profile = backends.directory.get_person_profile({"viewer": call.principal, "person_id": person_id})
    account = account_of(backends.identity.get_accounts({"person_ids": [person_id]})["accounts"], person_id)
    show_contact_details = may_see_contact_details(call.principal, person_id)
    show_delivery_status = show_contact_details and may_see_delivery_status(call.principal, person_id)
    health = []
    if show_delivery_status and account and account["credentials"]:
        health = backends.notify.get_credential_health({"person_ids": [person_id]})["credentials"]
    history = None
    if communication_history_scope(call.principal, person_id) != HISTORY_NOTHING:
        # notify judges the viewer again: only it knows who sent what and who takes part in what.
        history = backends.notify.get_communication_history(
            {"viewer": call.principal, "person_id": person_id, "page": 1, "per_page": PROFILE_HISTORY_SHOWN})
    return user_profile(profile, account, show_contact_details=show_contact_details,
                        show_delivery_status=show_delivery_status, credential_health=health,
                        communication_history=history)


def enable_student_accounts(call: ApiCall, backends: Backends) -> dict:
    answer = backends.directory.enable_student_accounts(
        {"viewer": call.principal, "student_ids": call.body["student_ids"]})
    return {"results": answer["results"], "summary": summarize_outcomes(answer["results"])}


def set_staff_permissions(call: ApiCall, backends: Backends) -> dict:
    person_id = call.path["id"]
    # Only staff the caller can see: a district admin of one district never edits another's.
    require_staff(backends.directory.get_person_profile({"viewer": call.principal, "person_id": person_id}))
    # The rule identity applies again on its own records; asked here first so a refusal costs no write.
    target = account_of(backends.identity.get_accounts({"person_ids": [person_id]})["accounts"], person_id)
    require_permission_change(call.principal, target, call.body["permissions"])
    return backends.identity.set_staff_permissions({
        "person_id": person_id,
        "permissions": call.body["permissions"],
        "changed_by": call.principal["person_id"],
    })


def list_schools(call: ApiCall, backends: Backends) -> dict:
    district_id = call.principal["district_id"]
    if district_id is None:
        # directory reads a missing district as "every district": never hand that to a caller.
        return page_of([], call.query)
    return page_of(backends.directory.get_schools({"district_id": district_id})["schools"], call.query)


# How long `/health/ready` waits for every service's answer: a probe must answer well within its own timeout.
READINESS_WAIT_SECONDS = 3.0
CHECKED_SERVICES = ("identity", "directory", "notify", "rostering")


def show_readiness(call: ApiCall, backends: Backends) -> dict:
    """Asks every service at once over the broker, then waits for all the answers up to one deadline."""
    started = time.perf_counter()
    asked, answers = {}, {}
    broker = {"name": "broker", "status": OK, "latency_ms": 0.0, "detail": None}
    for name in CHECKED_SERVICES:
        try:
            asked[name] = getattr(backends, name).check_health.call_async()
        except SERVICE_UNAVAILABLE_ERRORS as unreachable:
            broker = {**broker, "status": FAILING, "detail": f"cannot publish to the broker: {unreachable}"}
            answers[name] = "not asked: the broker is unreachable"
    broker["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    deadline = started + READINESS_WAIT_SECONDS
    for name, reply in asked.items():
        waited = eventlet.Timeout(max(deadline - time.perf_counter(), 0.01))
        try:
            answers[name] = reply.result()
        except eventlet.Timeout as timeout:
            if timeout is not waited:  # the request's own deadline: not this service's failure
                raise
            answers[name] = f"no answer within {READINESS_WAIT_SECONDS:g} s"
        except Exception as error:  # noqa: BLE001 - any failure of one service is that service's state
            answers[name] = f"answered with an error: {type(error).__name__}"
        finally:
            waited.cancel()
    return readiness_report(broker, {name: answers[name] for name in CHECKED_SERVICES})

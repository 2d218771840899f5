"""Sending rows to the services that own them: a page per call, a few calls in flight, per-item results tallied.

Each entity is a stage: which bulk call takes it, which field of the request carries the page, and
how an item is named in errors. A call that fails ends the run (ApplyFailed); a row the contract
refuses is taken out of its page and reported, and the rest of the page still goes.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableSequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from nameko.exceptions import RemoteError, RpcTimeout, UnknownService

from services.rostering.domain import mapping
from services.rostering.domain.run import Refusal, Tally, Tallying
from shared.contracts.errors import InvalidRequest, PlatformError

# A few pages in flight keep the owning service's workers busy while replies
# travel back; more would only queue up behind its worker pool.
PAGES_IN_FLIGHT = 4

# What a call to another service can fail with; any of these ends the run as failed.
CALL_FAILURES = (PlatformError, RemoteError, RpcTimeout, UnknownService)


class ApplyFailed(Exception):
    """A call to another service failed; the run stops where it is."""


@dataclass(frozen=True)
class Stage:
    """One entity's bulk call: which field carries the page, how a row is named in errors."""

    entity: str
    method: str
    page_field: str
    label: Callable[[dict], str]
    # Later stages need the ids this one's items are given (schools and people).
    gives_ids: bool = False


def _source_id(row: dict) -> str:
    return row["source_id"]


SCHOOLS = Stage("schools", "directory.upsert_schools", "schools", _source_id, gives_ids=True)
CLASSROOMS = Stage("classrooms", "directory.upsert_classrooms", "classrooms", _source_id)
PEOPLE = Stage("people", "directory.upsert_people", "people", _source_id, gives_ids=True)
ACCOUNTS = Stage("accounts", "identity.upsert_accounts", "accounts", lambda row: row["person_id"])
ENROLLMENTS = Stage("enrollments", "directory.upsert_enrollments", "enrollments", _source_id)
# A link has no id of its own: the pair names it.
GUARDIAN_LINKS = Stage("guardian_links", "directory.upsert_guardian_links", "links",
                        lambda row: f"{row['guardian_source_id']}:{row['student_source_id']}")


@contextmanager
def calling(name: str) -> Iterator[None]:
    try:
        yield
    except InvalidRequest as invalid:
        raise ApplyFailed(f"{name} refused the request: {invalid} {invalid.fields}") from invalid
    except CALL_FAILURES as error:
        raise ApplyFailed(f"{name} failed: {error}") from error


def send_pages(stage: Stage, call: Any, payload: dict, rows: MutableSequence[dict], *,
               labels: Mapping[str, str] | None, on_answered: Callable[[list[dict]], None]) -> Tally:
    """Send `rows` a page per call, a few calls at a time, and tally the per-item results.

    `rows` (a list, or applied_rows.RowsToSend, which builds its rows as they are read) is emptied a window at a
    time as its pages are made, and each window's pages and results are let go once they are tallied: a district's
    stage of half a million rows is never held whole, nor its results.
    Only stages whose ids a later stage needs (`stage.gives_ids`) keep the ids answered.

    `on_answered` gets each window's results once every page of it is answered:
    while the next window's pages are being worked on, so the two overlap, and
    before any later reply is waited for, so a failure later on still leaves
    the answered windows handed over.
    """
    counting = Tallying(stage.entity, labels, keep_ids=stage.gives_ids)
    refusals: list[Refusal] = []
    sent = 0
    answered_before: list[dict] = []
    window_rows = mapping.PAGE_ROWS * PAGES_IN_FLIGHT
    while rows:
        window = list(mapping.pages(rows[:window_rows]))
        del rows[:window_rows]
        replies = []
        for page in window:
            reply, accepted, refused = _dispatch(stage, call, payload, page)
            # `labels` is asked only of refused items, never made true or false (importing.SourceIdsOf is lazy).
            refusals += refused if labels is None else [replace(r, label=labels.get(r.label, r.label)) for r in refused]
            sent += accepted
            if reply is not None:
                replies.append(reply)
        del window
        if answered_before:
            on_answered(answered_before)
            counting.add(answered_before)
        answered: list[dict] = []
        for reply in replies:
            answered += reply.result()["results"]
        answered_before = answered
    if answered_before:
        on_answered(answered_before)
        counting.add(answered_before)
    counted = counting.done(sent)
    counted.counts.failed += len({refusal.label for refusal in refusals})
    return Tally(counted.counts, counted.ids, refusals + counted.refusals)


def _dispatch(stage: Stage, call: Any, payload: dict, page: list[dict]) -> tuple[Any, int, list[Refusal]]:
    """Start one page's call; rows the contract refuses are taken out so the rest still go.

    Returns the pending reply (None when no row was left), how many rows went, and the refusals.
    """
    try:
        return call.call_async({**payload, stage.page_field: page}), len(page), []
    except InvalidRequest as invalid:
        bad_rows = invalid.fields.get(stage.page_field)
        # Only per-row refusals can be split off; anything else is the whole request's fault.
        if set(invalid.fields) != {stage.page_field} or not isinstance(bad_rows, dict):
            raise
        refusals = [
            Refusal(stage.entity, stage.label(page[index]), field, reason)
            for index, messages in bad_rows.items()
            for field, reason in _reasons(messages)
        ]
        accepted = [row for index, row in enumerate(page) if index not in bad_rows]
        reply = call.call_async({**payload, stage.page_field: accepted}) if accepted else None
        return reply, len(accepted), refusals


def _reasons(messages: Any, field: str | None = None) -> Iterator[tuple[str | None, str]]:
    """(field, reason) pairs from marshmallow's nested error messages."""
    if isinstance(messages, dict):
        for name, nested in messages.items():
            yield from _reasons(nested, name if isinstance(name, str) else field)
    elif isinstance(messages, list):
        for nested in messages:
            yield from _reasons(nested, field)
    else:
        yield field, str(messages)

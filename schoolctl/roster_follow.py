"""Waiting for a sync run to end, as `schoolctl roster import` and `schoolctl roster follow` do.

The run is polled through the rostering service as the operator. The operator's service token lasts 15
minutes and a district's run may take longer: when it expires, the credential is exchanged again.
"""
from __future__ import annotations

import json
import time

import typer

from schoolctl.broker import EXIT_NO_PERMISSION, EXIT_TEMPORARY, connected_as_operator, errors, fail
from schoolctl.run_progress import StillRunning, follow
from shared.contracts import rostering
from shared.contracts.errors import NotAuthenticated

# Each poll is one short call; the overall wait is the command's --timeout.
POLL_CALL_SECONDS = 30
# A token refused again this soon after it was issued did not expire: it is refused for good.
FRESH_TOKEN_SECONDS = 60


def followed(run_id: str, amqp_uri: str | None, timeout: float) -> dict:
    """The run once it has ended; exits EXIT_TEMPORARY, saying how to follow on, if it runs past `timeout`."""
    deadline = time.monotonic() + timeout
    console = errors()
    while True:
        issued_at = time.monotonic()
        with connected_as_operator(amqp_uri, min(timeout, POLL_CALL_SECONDS)) as operator:
            service = operator.rpc(rostering.contract)
            try:
                ended = follow(lambda wanted: service.follow_sync_run({"run_id": wanted}), run_id,
                               deadline=deadline, console=console)
                # Polled without its findings; the whole run, listing them, once it has ended.
                return service.get_sync_run({"run_id": ended["run_id"]})
            except NotAuthenticated as refused:
                if time.monotonic() - issued_at < FRESH_TOKEN_SECONDS:
                    raise fail(f"rostering refused the operator's token: {refused.message}",
                               EXIT_NO_PERMISSION) from None
                continue  # the operator's token expired while the run went on: exchange the credential again
            except StillRunning as still:
                raise fail(f"Run {still.run['short_id']} is still running after {timeout:g} s; it goes on in the "
                           f"service: `schoolctl roster follow {still.run['short_id']}`", EXIT_TEMPORARY) from None
            except KeyboardInterrupt:
                raise fail(f"Stopped following; run {run_id} goes on in the service: "
                           f"`schoolctl roster follow {run_id}`", EXIT_TEMPORARY) from None


def announce_start(run: dict) -> None:
    """The run id at once, on stderr (stdout stays the report, or JSON)."""
    errors().print(f"Sync run {run['short_id']} started ({run['run_id']}); follow it from anywhere with "
                   f"`schoolctl roster follow {run['short_id']}`", markup=False, highlight=False)


def detached(run: dict, as_json: bool) -> typer.Exit:
    if as_json:
        typer.echo(json.dumps(run, indent=2, ensure_ascii=False))
    return typer.Exit(0)

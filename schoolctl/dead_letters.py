"""`schoolctl dead-letters list|show|replay|purge`: the delivery jobs notify's workers gave up on, as the operator
(a service credential with the deliveries:manage scope, like every command that reaches a service).

Replaying puts a job back on its channel's queue under its own id; the send ledger keeps anything it had
sent from being sent again, so replaying is always safe. Purging deletes, so it asks first (or --yes).
"""
from __future__ import annotations

import json
from typing import Annotated, Optional

import typer
from rich.console import Console

from schoolctl.broker import EXIT_DATA, EXIT_NO_USER, connected_as_operator, fail
from shared.contracts import notify
from shared.contracts.notify_queues import MAX_DEAD_LETTERS

app = typer.Typer(help="The delivery queue's dead letters: list, show, replay, purge.", no_args_is_help=True)

AmqpUri = Annotated[Optional[str], typer.Option(
    "--amqp-uri", help="RabbitMQ to reach the services through (default: $AMQP_URI, else the local broker)",
    show_default=False)]
Timeout = Annotated[float, typer.Option(help="Seconds to wait for an answer", min=1)]
AsJson = Annotated[bool, typer.Option("--json", help="Print notify's answer as JSON")]


def _console() -> Console:
    return Console(soft_wrap=True, highlight=False)


def _call(method, request: dict, amqp_uri: str | None, timeout: float) -> dict:
    with connected_as_operator(amqp_uri, timeout) as operator:
        return getattr(operator.rpc(notify.contract), method.name)(request)


@app.command("list")
def list_dead_letters(
    limit: Annotated[int, typer.Option(help="The most to show, oldest first", min=1, max=MAX_DEAD_LETTERS)] = 100,
    as_json: AsJson = False, amqp_uri: AmqpUri = None, timeout: Timeout = 30,
) -> None:
    """The dead letters, oldest first, one a line: message id, reason, communication, channel, deliveries, when,
    detail (tab-separated)."""
    answer = _call(notify.list_dead_letters, {"limit": limit}, amqp_uri, timeout)
    if as_json:
        typer.echo(json.dumps(answer))
        return
    console = _console()
    if not answer["items"]:
        console.print("No dead letters.", markup=False)
        return
    # One line each, tab-separated: nothing cut to the terminal's width, and easy to filter.
    for item in answer["items"]:
        typer.echo("\t".join((
            item["message_id"] or "-", item["reason"], item["communication_id"] or "-", item["channel"] or "-",
            "-" if item["delivery_count"] is None else f"{item['delivery_count']} deliveries",
            item["dead_at"] or "-", item["detail"])))
    shown = len(answer["items"])
    more = f", the oldest {shown} shown" if shown < answer["total"] else ""
    console.print(f"{answer['total']} dead letters{more}", markup=False)


@app.command("show")
def show_dead_letter(
    message_id: Annotated[str, typer.Argument(help="The dead letter's message id, as `list` shows it")],
    as_json: AsJson = False, amqp_uri: AmqpUri = None, timeout: Timeout = 30,
) -> None:
    """One dead letter in full: its reason, its job's deliveries, the start of the message."""
    answer = _call(notify.list_dead_letters, {"limit": MAX_DEAD_LETTERS}, amqp_uri, timeout)
    found = [item for item in answer["items"] if item["message_id"] == message_id]
    if not found:
        raise fail(f"No dead letter {message_id} among the oldest {MAX_DEAD_LETTERS}", EXIT_NO_USER)
    item = found[0]
    if as_json:
        typer.echo(json.dumps(item))
        return
    console = _console()
    for label, value in (("message id", item["message_id"]), ("reason", item["reason"]), ("detail", item["detail"]),
                         ("dead at", item["dead_at"] or "- (dead-lettered by the broker)"),
                         ("communication", item["communication_id"] or "-"), ("channel", item["channel"] or "-"),
                         ("replayable", "yes" if item["replayable"] else "no: not a delivery job; purge it"),
                         ("deliveries", ", ".join(item["delivery_ids"]) or "-"), ("message", item["body_preview"])):
        console.print(f"{label + ':':<15}{value}", markup=False)


def _chosen(message_ids: list[str] | None, every: bool) -> list[str] | None:
    if bool(message_ids) == every:
        raise fail("Name the dead letters' message ids, or --all for every one (not both)", EXIT_DATA)
    return None if every else message_ids


@app.command("replay")
def replay_dead_letters(
    message_ids: Annotated[Optional[list[str]], typer.Argument(
        help="Message ids to replay", show_default=False)] = None,
    every: Annotated[bool, typer.Option("--all", help="Replay every dead letter that is a delivery job")] = False,
    as_json: AsJson = False, amqp_uri: AmqpUri = None, timeout: Timeout = 60,
) -> None:
    """Put dead jobs back on their channels' queues under their own ids: what they had sent is not sent again."""
    answer = _call(notify.replay_dead_letters, {"message_ids": _chosen(message_ids, every)}, amqp_uri, timeout)
    if as_json:
        typer.echo(json.dumps(answer))
        return
    console = _console()
    console.print(f"Replayed {len(answer['replayed'])} dead letters.", markup=False)
    for skipped in answer["skipped"]:
        console.print(f"left {skipped['message_id']}: {skipped['reason']}", markup=False)
    if message_ids:
        missing = sorted(set(message_ids) - set(answer["replayed"]) - {s["message_id"] for s in answer["skipped"]})
        if missing:
            raise fail(f"No dead letter {', '.join(missing)}", EXIT_NO_USER)


@app.command("purge")
def purge_dead_letters(
    message_ids: Annotated[Optional[list[str]], typer.Argument(
        help="Message ids to delete", show_default=False)] = None,
    every: Annotated[bool, typer.Option("--all", help="Delete every dead letter")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
    as_json: AsJson = False, amqp_uri: AmqpUri = None, timeout: Timeout = 30,
) -> None:
    """Delete dead letters for good (their deliveries stay as they are); asks first unless --yes."""
    chosen = _chosen(message_ids, every)
    what = "every dead letter" if chosen is None else f"{len(chosen)} dead letter(s)"
    if not yes and not typer.confirm(f"Delete {what}? Their jobs cannot be replayed afterwards.", default=False):
        raise typer.Abort()
    answer = _call(notify.purge_dead_letters, {"message_ids": chosen}, amqp_uri, timeout)
    if as_json:
        typer.echo(json.dumps(answer))
        return
    _console().print(f"Purged {answer['purged']} dead letters.", markup=False)

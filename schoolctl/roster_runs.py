"""`schoolctl roster runs|show|approve|reject`: sync runs and runs held for approval.

Registered on the `roster` app of schoolctl/roster.py; everything goes through the rostering service, as the
operator (schoolctl.broker.connected_as_operator, scope rostering:manage): deciding a run records the operator
credential's principal (`service:<client id>`), the only decider rostering accepts from it. District settings
and provider syncs are roster_settings.py's.
"""
from __future__ import annotations

import json
from enum import Enum
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from schoolctl.broker import EXIT_USAGE, connected_as_operator, fail
from schoolctl.roster import EXIT_CODES, AmqpUri, AsJson, app
from schoolctl.roster_display import changes_table, show_run
from schoolctl.roster_follow import followed
from schoolctl.run_progress import progress_line
from shared.contracts import rostering
from shared.contracts.errors import Conflict, InvalidRequest, NotFound

Timeout = Annotated[float, typer.Option(help="Seconds to wait for an answer", min=1)]

RunState = Enum("RunState", {state: state for state in rostering.RUN_STATES}, type=str)
Entity = Enum("Entity", {entity: entity for entity in rostering.ARCHIVED_ENTITIES}, type=str)


@app.command("show")
def show(
    run_id: Annotated[str, typer.Argument(help="The run id an import printed, or a unique prefix of it")],
    changes: Annotated[bool, typer.Option("--changes", help="Also list what the run archives, row by row.")] = False,
    entity: Annotated[Optional[Entity], typer.Option(help="With --changes: only this kind of record")] = None,
    page: Annotated[int, typer.Option(help="With --changes: which page of rows", min=1)] = 1,
    per_page: Annotated[int, typer.Option(help="With --changes: rows per page", min=1, max=1000)] = 100,
    as_json: AsJson = False,
    amqp_uri: AmqpUri = None,
    timeout: Timeout = 30,
) -> None:
    """Show a sync run: its state, counts, errors and archive diff (while running, what has landed so far)."""
    with connected_as_operator(amqp_uri, timeout) as operator:
        service = operator.rpc(rostering.contract)
        try:
            run = service.get_sync_run({"run_id": run_id})
            rows = service.get_sync_run_changes({"run_id": run_id, "entity": entity and entity.value, "page": page,
                                                 "per_page": per_page}) if changes else None
        except NotFound:
            raise fail(f"No sync run {run_id}", EXIT_USAGE) from None
        except InvalidRequest as invalid:  # a prefix that names several runs
            raise fail(invalid.message, EXIT_USAGE) from None
    if as_json:
        typer.echo(json.dumps({**run, "changes": rows} if rows else run, indent=2, ensure_ascii=False))
    else:
        show_run(run, as_json=False)
        if rows is not None:
            Console().print(changes_table(rows["changes"], rows["total"]))
    raise typer.Exit(EXIT_CODES[run["state"]])


@app.command("follow")
def follow_run(
    run_id: Annotated[str, typer.Argument(help="The run id an import printed, or a unique prefix of it")],
    as_json: AsJson = False,
    amqp_uri: AmqpUri = None,
    timeout: Annotated[float, typer.Option(help="Seconds to follow the run before leaving it to run on",
                                           min=1)] = 3600,
) -> None:
    """Follow a sync run to its end, showing its progress (rows read, pages applied, ETA), then its report.

    Exits as `schoolctl roster import` does: 0 completed, 2 rejected, 1 failed,
    3 held for approval, 75 still running when --timeout ran out.
    """
    with connected_as_operator(amqp_uri, timeout) as operator:
        try:
            run_id = operator.rpc(rostering.contract).get_sync_run({"run_id": run_id})["run_id"]
        except NotFound:
            raise fail(f"No sync run {run_id}", EXIT_USAGE) from None
        except InvalidRequest as invalid:
            raise fail(invalid.message, EXIT_USAGE) from None
    run = followed(run_id, amqp_uri, timeout)
    show_run(run, as_json)
    raise typer.Exit(EXIT_CODES[run["state"]])


@app.command("runs")
def list_runs(
    limit: Annotated[int, typer.Option(help="How many of the latest runs", min=1, max=100)] = 20,
    state: Annotated[Optional[RunState], typer.Option(help="Only runs in this state, e.g. awaiting_approval")] = None,
    as_json: AsJson = False,
    amqp_uri: AmqpUri = None,
    timeout: Timeout = 30,
) -> None:
    """The latest sync runs, newest first."""
    with connected_as_operator(amqp_uri, timeout) as operator:
        runs = operator.rpc(rostering.contract).list_sync_runs({"limit": limit, "state": state and state.value})["runs"]
    if as_json:
        typer.echo(json.dumps(runs, indent=2, ensure_ascii=False))
        return
    table = Table("run", "state", "started", "errors", "warnings", "source", "progress")
    for run in runs:
        table.add_row(run["short_id"], run["state"], run["started_at"], str(run["error_count"]),
                      str(run["warning_count"]), escape(run["source"]),
                      escape(progress_line(run)) if run["state"] == "running" else "")
    Console().print(table)


@app.command("approve")
def approve(
    run_id: Annotated[str, typer.Argument(help="A run awaiting approval")],
    as_json: AsJson = False,
    amqp_uri: AmqpUri = None,
    timeout: Timeout = 30,
) -> None:
    """Approve a run the mass-change guard held: exactly its diff is applied, in the background.

    Follow it with `schoolctl roster show RUN`.
    """
    _decide(rostering.approve_sync_run.name, run_id, None, as_json, amqp_uri, timeout)


@app.command("reject")
def reject(
    run_id: Annotated[str, typer.Argument(help="A run awaiting approval")],
    reason: Annotated[Optional[str], typer.Option(help="Why, for the run's report")] = None,
    as_json: AsJson = False,
    amqp_uri: AmqpUri = None,
    timeout: Timeout = 30,
) -> None:
    """Reject a run the mass-change guard held: nothing of it is applied; its report is kept."""
    _decide(rostering.reject_sync_run.name, run_id, reason, as_json, amqp_uri, timeout)


def _decide(method: str, run_id: str, reason: str | None, as_json: bool, amqp_uri: str | None,
            timeout: float) -> None:
    with connected_as_operator(amqp_uri, timeout) as operator:
        try:
            run = getattr(operator.rpc(rostering.contract), method)(
                {"run_id": run_id, "decided_by": operator.person_id, "reason": reason})
        except NotFound:
            raise fail(f"No sync run {run_id}", EXIT_USAGE) from None
        except InvalidRequest as invalid:
            raise fail(invalid.message, EXIT_USAGE) from None
        except Conflict as conflict:
            raise fail(conflict.message, EXIT_USAGE) from None
    show_run(run, as_json)

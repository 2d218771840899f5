"""`schoolctl roster settings|connect|sync`: a district's sync settings (a new district connecting its provider first
made with them), and a sync from its provider now.

Registered on the `roster` app of schoolctl/roster.py; everything goes through the rostering service as the
operator (schoolctl.broker.connected_as_operator, scope rostering:manage), whose principal
(`service:<client id>`) is recorded as who changed the settings or started the run.

    schoolctl roster settings DISTRICT --set source=classlink --set connection.tenant_id=1234 \\
        --set connection.client_secret=- --set daily_sync=true --set daily_time=05:30

A value `-` is asked for without echo (a secret kept out of the shell's history); `null` clears a setting.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, Optional

import typer
from marshmallow import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from schoolctl.broker import EXIT_OK, EXIT_USAGE, connected_as_operator, fail
from schoolctl.roster import EXIT_CODES, AmqpUri, AsJson, app, refusal
from schoolctl.roster_display import show_run
from schoolctl.roster_runs import Timeout
from shared.contracts import rostering
from shared.contracts.errors import Conflict, InvalidRequest

CONNECTION = "connection."
ASKED = "-"  # a value asked for without echo
CLEARED = "null"


@app.command("settings")
def settings(
    district_id: Annotated[str, typer.Argument(help="The directory's district id (a run's district_id)")],
    assignments: Annotated[Optional[list[str]], typer.Option(
        "--set", help="key=value to change, repeatable: source, daily_sync, daily_time (HH:MM), time_zone, region, "
                      "sync_manages_guardians, unarchive_classrooms_that_reappear, "
                      "sync_updates_contact_details_of_active_users, enable_student_accounts_automatically, "
                      "mass_change_threshold, connection.<field> (e.g. connection.tenant_id); `-` asks for the "
                      "value without echo, `null` clears it", show_default=False)] = None,
    as_json: AsJson = False,
    amqp_uri: AmqpUri = None,
    timeout: Timeout = 30,
) -> None:
    """Show a district's sync settings, or change the ones given with --set (secrets are never shown)."""
    def ask(service, person_id: str, changes: dict) -> dict:
        return service.update_district_sync_settings(
            {"district_id": district_id, "changed_by": person_id, **changes}) if changes \
            else service.get_district_sync_settings({"district_id": district_id})

    show_settings(_answered(assignments, amqp_uri, timeout, ask), as_json)


@app.command("connect")
def connect(
    source_id: Annotated[str, typer.Argument(help="The district's id at its provider: the sourcedId of its ClassLink "
                                                  "district org, or its Clever district id")],
    name: Annotated[str, typer.Option("--name", help="The district's name (its first run reads the provider's)")],
    assignments: Annotated[Optional[list[str]], typer.Option(
        "--set", help="key=value settings, as `roster settings` takes them (source, connection.<field>, "
                      "daily_sync, ...)", show_default=False)] = None,
    as_json: AsJson = False,
    amqp_uri: AmqpUri = None,
    timeout: Timeout = 30,
) -> None:
    """Onboard a district that connects its provider before anything was imported: make it in the directory under
    its provider's id and save its sync settings; prints them with the directory's id of the district."""
    def ask(service, person_id: str, changes: dict) -> dict:
        return service.connect_district({"source_id": source_id, "name": name, "changed_by": person_id, **changes})

    show_settings(_answered(assignments, amqp_uri, timeout, ask), as_json)


def _answered(assignments: list[str] | None, amqp_uri: str | None, timeout: float,
              ask: Callable[[Any, str, dict], dict]) -> dict:
    """The settings rostering answers `ask(service, the operator's person id, the --set changes)` with; exits 64
    on an unusable --set or a refusal."""
    try:
        changes = settings_changes(assignments or [])
    except ValueError as unusable:
        raise fail(str(unusable), EXIT_USAGE) from None
    try:
        with connected_as_operator(amqp_uri, timeout) as operator:
            return ask(operator.rpc(rostering.contract), operator.person_id, changes)
    except InvalidRequest as invalid:
        raise fail(refusal(invalid), EXIT_USAGE) from None


def show_settings(current: dict, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(current, indent=2, ensure_ascii=False))
        return
    table = Table("Setting", "Value", title=f"Sync settings of district {current['district_id']}",
                  title_justify="left")
    for name, value in current.items():
        if name == "connection":
            for field, field_value in value.items():
                table.add_row(f"connection.{field}", escape(str(field_value)))
        elif name != "district_id":
            table.add_row(name, escape(str(value)))
    Console().print(table)


@app.command("sync")
def sync(
    district_id: Annotated[str, typer.Argument(help="The directory's district id, whose settings name its source")],
    now: Annotated[bool, typer.Option("--now", help="Start a run now (it is read and applied in the background; "
                                                    "follow it with `schoolctl roster show RUN`).")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what a run would read (full, or changes "
                                                            "since when) and when the schedule starts the next; "
                                                            "start nothing.")] = False,
    full: Annotated[bool, typer.Option("--full", help="Read the whole roster even when an incremental run is "
                                                      "due.")] = False,
    as_json: AsJson = False,
    amqp_uri: AmqpUri = None,
    timeout: Timeout = 30,
) -> None:
    """Sync a district from its provider now (--now), or show what a sync would do (the default, and --dry-run).

    Exits 0 when the run started (or the plan was shown), 64 when the district has no source rostering reads
    or a run of it is in progress.
    """
    try:
        with connected_as_operator(amqp_uri, timeout) as operator:
            service = operator.rpc(rostering.contract)
            if now and not dry_run:
                run = service.sync_district({"district": district_id, "full": full,
                                             "requested_by": operator.person_id})
            else:
                show_plan(service.plan_district_sync({"district": district_id, "full": full}), as_json, now)
                raise typer.Exit(EXIT_OK)
    except (InvalidRequest, Conflict) as refused:
        raise fail(refusal(refused), EXIT_USAGE) from None
    show_run(run, as_json)
    if not as_json:
        Console().print(f"Follow it with `schoolctl roster show {run['run_id']}`.", highlight=False)
    raise typer.Exit(EXIT_CODES[run["state"]])


def show_plan(plan: dict, as_json: bool, asked_now: bool) -> None:
    if as_json:
        typer.echo(json.dumps(plan, indent=2, ensure_ascii=False))
        return
    console = Console()
    what = "the whole roster" if plan["full"] else f"what changed since {plan['changes_since']}"
    console.print(f"A run of district {plan['district_id']} would read {what} from {escape(plan['source'])}.",
                  highlight=False)
    if plan["running_run_id"]:
        console.print(f"A run is in progress ({plan['running_run_id']}): a new one must wait for it.", highlight=False)
    console.print(f"The daily schedule starts the next run at {plan['next_scheduled_at']}." if plan["daily_sync"]
                  else "The daily sync is off (schoolctl roster settings DISTRICT --set daily_sync=true).",
                  highlight=False)
    console.print("Nothing was started." + ("" if asked_now else " --now starts a run."), highlight=False)


def settings_changes(assignments: list[str]) -> dict:
    """The settings request of `key=value` assignments, each value read as its setting's type."""
    fields = rostering.UpdateDistrictSyncSettingsRequest().fields
    changes: dict = {}
    for assignment in assignments:
        name, equals, raw = assignment.partition("=")
        name = name.strip()
        if not equals or not name:
            raise ValueError(f"--set {assignment!r}: give key=value, e.g. --set daily_sync=true")
        value = typer.prompt(name, hide_input=True) if raw == ASKED else raw
        if name.startswith(CONNECTION) and len(name) > len(CONNECTION):
            changes.setdefault("connection", {})[name[len(CONNECTION):]] = None if value == CLEARED else value
        elif name in fields and name not in ("district_id", "changed_by", "connection"):
            changes[name] = _typed(name, fields[name], value)
        else:
            settable = sorted(set(fields) - {"district_id", "changed_by", "connection"})
            raise ValueError(f"--set {name}: not a setting (one of {', '.join(settable)}, or connection.<field>)")
    return changes


def _typed(name: str, field, value: str):
    if value == CLEARED:
        return None
    try:
        return field.deserialize(value)
    except ValidationError as invalid:
        raise ValueError(f"--set {name}={value}: {' '.join(map(str, invalid.messages))}") from None

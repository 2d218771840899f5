"""`schoolctl roster ...`: check, generate and import OneRoster packages, and look at sync runs.

`check` and `generate` work on files alone; `import`, `show` and `runs` go
through the rostering service.
"""
from __future__ import annotations

import json
import time
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import phonenumbers
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from schoolctl.broker import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    connected,
    fail,
)
from services.rostering.domain.errors import PackageRejected
from services.rostering.domain.generator import SCALES, write_district
from services.rostering.domain.package_report import package_report, rejection_report
from services.rostering.domain.reader import read_package
from shared.contracts import rostering
from shared.contracts.errors import InvalidRequest, NotFound

app = typer.Typer(help="Roster syncs: check, generate and import OneRoster packages; look at their runs.",
                  no_args_is_help=True)

# More than a screenful of errors is better read with --json or in the admin screens.
SHOWN_PROBLEMS = 50
ENTITY_LABELS = {
    "schools": "Schools",
    "classrooms": "Classrooms",
    "people": "People",
    "accounts": "Accounts",
    "enrollments": "Enrollments",
    "guardian_links": "Guardian links",
}
EXIT_CODES = {"completed": EXIT_OK, "rejected": EXIT_REJECTED, "failed": EXIT_FAILED, "running": EXIT_OK}
COUNT_LABELS = {
    "orgs": "Orgs",
    "schools": "Schools",
    "students": "Students",
    "staff": "Staff",
    "guardians": "Guardians",
    "classes": "Classes",
    "enrollments": "Enrollments",
    "guardian_links": "Guardian links",
}


class ScaleName(str, Enum):
    small = "small"
    district = "district"


AmqpUri = Annotated[Optional[str], typer.Option(
    "--amqp-uri", help="RabbitMQ to reach the services through (default: $AMQP_URI, else the local broker)",
    show_default=False)]
AsJson = Annotated[bool, typer.Option("--json", help="Print the whole run as JSON instead of a summary.")]


@app.command("import")
def import_package(
    path: Annotated[Path, typer.Argument(help="OneRoster 1.1 or 1.2 CSV package: a folder or a .zip")],
    region: Annotated[str, typer.Option(help="Country for phone numbers written without one")] = "US",
    district_name: Annotated[Optional[str], typer.Option(
        help="Name of the district when the package has no district org")] = None,
    full: Annotated[bool, typer.Option(
        "--full", help="Resend every row even if unchanged since the last import (after restoring a service's "
                       "database from backup, say).")] = False,
    as_json: AsJson = False,
    amqp_uri: AmqpUri = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the import to finish", min=1)] = 600,
) -> None:
    """Import a OneRoster package into the directory and identity, and report what changed.

    Rows unchanged since the district's last import are not sent again and
    count as unchanged; --full sends them all.

    Exits 0 when the package was applied (row errors allowed), 2 when it was
    rejected, 1 when applying it failed part way.
    """
    if not path.exists():
        raise fail(f"No such file or folder: {path}", EXIT_USAGE)
    # The service reads the package itself, so it needs a path that does not depend on our working directory.
    request = {"path": str(path.resolve()), "region": region.upper(), "district_name": district_name, "full": full}
    with connected(amqp_uri, timeout) as rpc:
        try:
            run = rpc(rostering.contract).import_package(request)
        except InvalidRequest as invalid:
            raise fail(_refusal(invalid), EXIT_USAGE) from None
    _show(run, as_json)
    if not as_json and not full and any(counts["unchanged"] for counts in run["counts"].values()):
        Console().print("Rows unchanged since the last import were not sent again; --full resends every row.")
    raise typer.Exit(EXIT_CODES[run["state"]])


@app.command("check")
def check_package(
    path: Annotated[Path, typer.Argument(help="OneRoster 1.1 or 1.2 CSV package: a folder or a .zip")],
    region: Annotated[str, typer.Option(help="Country for phone numbers written without one")] = "US",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON instead of a summary.")] = False,
) -> None:
    """Read and validate a package without applying anything.

    Exits 0 when the package can be applied (warnings and row errors
    allowed), 2 when it is rejected, 64 for a usage error.
    """
    if not path.exists():
        raise fail(f"No such file or folder: {path}", EXIT_USAGE)
    region = region.upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise fail(f"Unknown phone region {region}: use a two-letter country code such as US or GB", EXIT_USAGE)
    started = time.perf_counter()
    try:
        report = package_report(read_package(path, region=region))
    except PackageRejected as rejected:
        report = rejection_report(rejected)
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        _show_check(path, report, time.perf_counter() - started)
    raise typer.Exit(EXIT_OK if report["applicable"] else EXIT_REJECTED)


@app.command("generate")
def generate_package(
    out: Annotated[Path, typer.Argument(help="Folder to write the package to (or a path ending in .zip)")],
    scale: Annotated[ScaleName, typer.Option(
        help="small: ~2,000 students; district: 100,000 students")] = ScaleName.small,
    seed: Annotated[int, typer.Option(help="The same seed writes the same bytes")] = 1,
) -> None:
    """Write a synthetic district as a valid OneRoster 1.1 package (for demos and benchmarks)."""
    if out.exists() and not (out.is_dir() and not any(out.iterdir())):
        raise fail(f"{out} already exists; give a new path or an empty folder", EXIT_USAGE)
    started = time.perf_counter()
    write_district(out, scale=SCALES[scale.value], seed=seed)
    typer.echo(f"Wrote a {scale.value}-scale package (seed {seed}) to {out} in {time.perf_counter() - started:.1f} s")


@app.command("show")
def show_run(
    run_id: Annotated[str, typer.Argument(help="The run id an import printed")],
    as_json: AsJson = False,
    amqp_uri: AmqpUri = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for an answer", min=1)] = 30,
) -> None:
    """Show a sync run: its state, counts and errors (while running, what has landed so far)."""
    with connected(amqp_uri, timeout) as rpc:
        try:
            run = rpc(rostering.contract).get_sync_run({"run_id": run_id})
        except NotFound:
            raise fail(f"No sync run {run_id}", EXIT_USAGE) from None
    _show(run, as_json)
    raise typer.Exit(EXIT_CODES[run["state"]])


@app.command("runs")
def list_runs(
    limit: Annotated[int, typer.Option(help="How many of the latest runs", min=1, max=100)] = 20,
    as_json: AsJson = False,
    amqp_uri: AmqpUri = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for an answer", min=1)] = 30,
) -> None:
    """The latest sync runs, newest first."""
    with connected(amqp_uri, timeout) as rpc:
        runs = rpc(rostering.contract).list_sync_runs({"limit": limit})["runs"]
    if as_json:
        typer.echo(json.dumps(runs, indent=2, ensure_ascii=False))
        return
    table = Table("run", "state", "started", "errors", "warnings", "source")
    for run in runs:
        table.add_row(run["run_id"], run["state"], run["started_at"], str(run["error_count"]),
                      str(run["warning_count"]), escape(run["source"]))
    Console().print(table)


def _show(run: dict, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(run, indent=2, ensure_ascii=False))
        return
    console = Console()
    console.print(_headline(run), highlight=False)
    if run["counts"]:
        console.print(_counts_table(run["counts"]))
    _print_problems(console, run["errors"], run["warnings"])


def _print_problems(console: Console, errors: list[dict], warnings: list[dict]) -> None:
    for title, problems in (("Errors", errors), ("Warnings", warnings)):
        if problems:
            console.print(_problems_table(title, problems))
            if len(problems) > SHOWN_PROBLEMS:
                console.print(f"… {len(problems) - SHOWN_PROBLEMS} more {title.lower()} (see --json)")


def _show_check(path: Path, report: dict, seconds: float) -> None:
    console = Console()
    if not report["applicable"]:
        console.print(Text.assemble(("Rejected", "bold red"), f" — {path}: {report['rejected']}"))
        return
    errors, warnings = report["errors"], report["warnings"]
    console.print(Text.assemble((f"OneRoster {report['version']} package", "bold"), f" — {path}\n",
                                ("can be applied", "bold green"),
                                f": {len(errors)} row error(s), {len(warnings)} warning(s); read in {seconds:.1f} s"))
    files = Table("File", "Mode", "Rows", title="Files", title_justify="left")
    for name, file in report["files"].items():
        files.add_row(name, file["mode"] if file["read"] else f"{file['mode']} (not read)", str(file["rows"]))
    console.print(files)
    counts = Table("Entity", "Count", title="What it holds", title_justify="left")
    for key, count in report["counts"].items():
        counts.add_row(COUNT_LABELS.get(key, key), str(count))
    console.print(counts)
    _print_problems(console, errors, warnings)


def _headline(run: dict) -> str:
    colour = {"completed": "green", "rejected": "red", "failed": "red"}.get(run["state"], "yellow")
    lines = [f"Sync run {run['run_id']} [bold {colour}]{run['state']}[/] — {escape(run['source'])}"]
    if run["district_id"]:
        lines.append(f"District {run['district_id']}")
    if run["finished_at"]:
        took = datetime.fromisoformat(run["finished_at"]) - datetime.fromisoformat(run["started_at"])
        lines.append(f"Took {took.total_seconds():.1f} s")
    if run["message"]:
        lines.append(escape(run["message"]))
    return "\n".join(lines)


def _counts_table(counts: dict) -> Table:
    columns = ("created", "updated", "unchanged", "skipped", "failed")
    table = Table(title="What changed", title_justify="left")
    table.add_column("Entity")
    for column in columns:
        table.add_column(column.capitalize(), justify="right")
    for entity, entity_counts in counts.items():
        table.add_row(ENTITY_LABELS.get(entity, entity), *(str(entity_counts.get(c, 0)) for c in columns),
                      style="red" if entity_counts.get("failed") else None)
    return table


def _problems_table(title: str, problems: list[dict]) -> Table:
    table = Table(title=f"{title} ({len(problems)})", title_justify="left")
    for column in ("Where", "Column", "Value", "Reason"):
        table.add_column(column)
    for problem in problems[:SHOWN_PROBLEMS]:
        where = problem["file"] if problem["line"] is None else f"{problem['file']}:{problem['line']}"
        where = where or "package"
        # Source values are data, never rich markup.
        table.add_row(*(Text(cell) for cell in (where, problem["column"] or "", problem["value"] or "",
                                                problem["reason"])))
    return table


def _refusal(invalid: InvalidRequest) -> str:
    reasons = "; ".join(f"{name}: {', '.join(map(str, why))}" for name, why in invalid.fields.items())
    return f"{invalid.message}: {reasons}" if reasons else invalid.message

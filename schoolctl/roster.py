"""`schoolctl roster ...`: check, generate and import OneRoster packages, and look at sync runs.

`check` and `generate` work on files alone; `import` goes through the rostering service, and so do the
run commands of roster_runs.py (runs, show, approve, reject) and roster_settings.py (settings, sync),
registered on the same app.
"""
from __future__ import annotations

import json
import time
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import phonenumbers
import typer
from rich.console import Console

from schoolctl.broker import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_TEMPORARY,
    EXIT_USAGE,
    connected_as_operator,
    fail,
)
from schoolctl.roster_display import show_check, show_preview, show_run
from schoolctl.roster_follow import announce_start, detached, followed
from services.rostering.domain.errors import PackageRejected
from services.rostering.adapters.sources.oneroster_csv.generator import SCALES, write_district
from services.rostering.domain.package_report import package_report, rejection_report
from services.rostering.adapters.sources.oneroster_csv.reader import read_package
from shared.contracts import rostering
from shared.contracts.errors import Conflict, InvalidRequest

app = typer.Typer(help="Roster syncs: check, generate and import OneRoster packages; look at their runs.",
                  no_args_is_help=True)

# awaiting_approval: applied nothing yet, by design; a scheduler should see it apart from success and failure.
EXIT_AWAITING_APPROVAL = 3
EXIT_CODES = {"completed": EXIT_OK, "rejected": EXIT_REJECTED, "failed": EXIT_FAILED, "running": EXIT_OK,
              "awaiting_approval": EXIT_AWAITING_APPROVAL, "superseded": EXIT_REJECTED}


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
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show what the import would send and archive (and whether it would be held for "
                          "approval) without applying anything.")] = False,
    detach: Annotated[bool, typer.Option(
        "--detach", help="Start the import and return at once with its run id; the run goes on in the service "
                         "(`schoolctl roster follow RUN`).")] = False,
    as_json: AsJson = False,
    amqp_uri: AmqpUri = None,
    timeout: Annotated[float, typer.Option(
        help="Seconds to follow the import before leaving it to run on", min=1)] = 3600,
) -> None:
    """Import a OneRoster package into the directory and identity, and report what changed.

    The run's id is printed at once and its progress shown as it goes (rows
    read, pages applied, ETA); --detach returns at once instead.

    Rows unchanged since the district's last import are not sent again and
    count as unchanged; --full sends them all. What a full (bulk) file no
    longer lists, and what a file marks tobedeleted, is archived; a run that
    would archive more than the district's limit is held for approval.

    Exits 0 when the package was applied (row errors allowed), 2 when it was
    rejected (also when another run of the district is going), 1 when applying it
    failed part way, 3 when it is held for approval, 75 when the same package is
    being imported already or the wait ran out (the run goes on).
    """
    if not path.exists():
        raise fail(f"No such file or folder: {path}", EXIT_USAGE)
    # The service reads the package itself, so it needs a path that does not depend on our working directory.
    request = {"path": str(path.resolve()), "region": region.upper(), "district_name": district_name, "full": full}
    with connected_as_operator(amqp_uri, timeout) as operator:
        try:
            if dry_run:
                show_preview(operator.rpc(rostering.contract).preview_import(request), as_json)
                raise typer.Exit(EXIT_OK)
            run = operator.rpc(rostering.contract).import_package(request)
        except InvalidRequest as invalid:
            raise fail(refusal(invalid), EXIT_USAGE) from None
        except Conflict as busy:
            raise fail(busy.message, EXIT_TEMPORARY) from None
    announce_start(run)
    if detach:
        raise detached(run, as_json)
    run = followed(run["run_id"], amqp_uri, timeout)
    show_run(run, as_json)
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
        show_check(path, report, time.perf_counter() - started)
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


def refusal(invalid: InvalidRequest) -> str:
    reasons = "; ".join(f"{name}: {', '.join(map(str, why))}" for name, why in invalid.fields.items())
    return f"{invalid.message}: {reasons}" if reasons else invalid.message

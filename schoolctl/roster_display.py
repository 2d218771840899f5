"""How `schoolctl roster` prints a run, a package check, an archive diff and its rows."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from schoolctl.run_progress import progress_line

# More than a screenful of errors is better read with --json or in the admin screens.
SHOWN_PROBLEMS = 50
# A longer list than this is summarised by reason first: how many of each, then the first few rows of each.
SUMMARISED_AFTER = 20
FIRST_PER_REASON = 3
ENTITY_LABELS = {
    "schools": "Schools",
    "classrooms": "Classrooms",
    "people": "People",
    "accounts": "Accounts",
    "enrollments": "Enrollments",
    "guardian_links": "Guardian links",
}
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
DIFF_COLUMNS = ("student", "staff", "guardian", "enrollments", "classrooms", "guardian_links")


def show_run(run: dict, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(run, indent=2, ensure_ascii=False))
        return
    console = Console()
    console.print(headline(run), highlight=False)
    if run["counts"]:
        console.print(counts_table(run["counts"]))
    if run.get("diff"):
        console.print(diff_table(run["diff"]))
    print_problems(console, run["errors"], run["warnings"])
    if run["state"] == "awaiting_approval":
        console.print(f"Nothing was applied. See every row with `schoolctl roster show {run['run_id']} --changes`; "
                      f"then `schoolctl roster approve {run['run_id']}` or `schoolctl roster reject {run['run_id']}`.",
                      soft_wrap=True, highlight=False)


@dataclass(frozen=True)
class ReasonGroup:
    reason: str
    count: int
    first: list[dict]  # the first rows with this reason, in the order found


def by_reason(problems: list[dict], first: int = FIRST_PER_REASON) -> list[ReasonGroup]:
    """Findings grouped by reason, the commonest first (ties in the order first found)."""
    counts: Counter = Counter()
    firsts: dict[str, list[dict]] = {}
    for problem in problems:
        counts[problem["reason"]] += 1
        rows = firsts.setdefault(problem["reason"], [])
        if len(rows) < first:
            rows.append(problem)
    order = list(firsts)
    return [ReasonGroup(reason, counts[reason], firsts[reason])
            for reason in sorted(order, key=lambda reason: (-counts[reason], order.index(reason)))]


def print_problems(console: Console, errors: list[dict], warnings: list[dict]) -> None:
    for title, problems in (("Errors", errors), ("Warnings", warnings)):
        if len(problems) > SUMMARISED_AFTER:
            print_summary(console, title, problems)
        elif problems:
            console.print(problems_table(title, problems))


def print_summary(console: Console, title: str, problems: list[dict]) -> None:
    groups = by_reason(problems)
    reasons = Table("Reason", "Rows", title=f"{title} by reason ({len(problems):,})", title_justify="left")
    for group in groups:
        reasons.add_row(Text(group.reason), f"{group.count:,}")
    console.print(reasons)
    shown = [row for group in groups[:SHOWN_PROBLEMS // FIRST_PER_REASON] for row in group.first]
    console.print(problems_table(f"{title}: the first {FIRST_PER_REASON} of each reason", shown))
    console.print(f"… {len(problems) - len(shown):,} more {title.lower()} (see --json)", highlight=False)


def show_check(path: Path, report: dict, seconds: float) -> None:
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
    print_problems(console, errors, warnings)


def headline(run: dict) -> str:
    colour = {"completed": "green", "rejected": "red", "failed": "red", "superseded": "red"}.get(run["state"], "yellow")
    lines = [f"Sync run {run['run_id']} [bold {colour}]{run['state']}[/] — {escape(run['source'])}"]
    if run["district_id"]:
        lines.append(f"District {run['district_id']}")
    if run["finished_at"]:
        took = datetime.fromisoformat(run["finished_at"]) - datetime.fromisoformat(run["started_at"])
        lines.append(f"Took {took.total_seconds():.1f} s")
    if run.get("decided_by"):
        lines.append(f"Decided by {run['decided_by']} at {run['decided_at']}")
    if run["message"]:
        lines.append(escape(run["message"]))
    if run["state"] == "running":
        lines.append(escape(progress_line(run)))
    return "\n".join(lines)


def counts_table(counts: dict) -> Table:
    columns = ("created", "updated", "unchanged", "skipped", "failed")
    table = Table(title="What changed", title_justify="left")
    table.add_column("Entity")
    for column in columns:
        table.add_column(column.capitalize(), justify="right")
    for entity, entity_counts in counts.items():
        table.add_row(ENTITY_LABELS.get(entity, entity), *(str(entity_counts.get(c, 0)) for c in columns),
                      style="red" if entity_counts.get("failed") else None)
    return table


def problems_table(title: str, problems: list[dict]) -> Table:
    table = Table(title=f"{title} ({len(problems)})", title_justify="left")
    for column in ("Where", "Column", "Value", "Reason"):
        table.add_column(column)
    for problem in problems[:SHOWN_PROBLEMS]:
        where = problem_place(problem)
        # Source values are data, never rich markup.
        table.add_row(*(Text(cell) for cell in (where, problem["column"] or "", problem["value"] or "",
                                                problem["reason"])))
    return table


def problem_place(problem: dict) -> str:
    """Where a finding is: a provider's record by its endpoint (/users/ID), a package's by file and line."""
    if problem.get("source_id") and problem["file"].startswith("/"):
        return f"{problem['file']}/{problem['source_id']}"
    where = problem["file"] if problem["line"] is None else f"{problem['file']}:{problem['line']}"
    return where or "package"


def diff_table(diff: dict) -> Table:
    """What a run archives (or would), per school, beside the district's current counts."""
    archiving, current = diff["archiving"], diff["current"]
    title = (f"To archive: {archiving['people']:,} of {current['people']:,} people ({diff['people_share']:.1%}), "
             f"{archiving['enrollments']:,} of {current['enrollments']:,} enrollments "
             f"({diff['enrollments_share']:.1%}); limit {diff['threshold']:.0%}")
    table = Table(title=title, title_justify="left")
    table.add_column("School")
    for column in DIFF_COLUMNS:
        table.add_column(column.replace("_", " ").capitalize(), justify="right")
    for school in diff["by_school"]:
        name = school["school_name"] or school["school_id"] or "(no school)"
        table.add_row(Text(name), *(str(school["counts"].get(column, 0)) for column in DIFF_COLUMNS))
    return table


def changes_table(changes: list[dict], total: int) -> Table:
    table = Table(title=f"Rows archived, or to archive ({total:,})", title_justify="left")
    for column in ("Where", "What", "Id", "Name", "Outcome", "Reason"):
        table.add_column(column)
    for change in changes:
        where = change["file"] if change["line"] is None else f"{change['file']}:{change['line']}"
        table.add_row(*(Text(cell) for cell in (where, change["entity"], change["key"], change["name"] or "",
                                                change["outcome"], change["reason"])))
    return table


def show_preview(preview: dict, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(preview, indent=2, ensure_ascii=False, default=str))
        return
    console = Console()
    district = preview["district_id"] or "a district never imported before"
    console.print(f"Dry run: nothing was applied. District {escape(preview['district_name'])} ({district})",
                  highlight=False)
    table = Table("Entity", "To send", "Unchanged", title="What an import would send", title_justify="left")
    for entity, counts in preview["entities"].items():
        table.add_row(ENTITY_LABELS.get(entity, entity), str(counts["to_send"]), str(counts["unchanged"]))
    console.print(table)
    if preview["diff"]:
        console.print(diff_table(preview["diff"]))
        console.print(changes_table(preview["changes"][:SHOWN_PROBLEMS], len(preview["changes"])))
    if preview["message"]:
        console.print(escape(preview["message"]))
    print_problems(console, preview["errors"], preview["warnings"])

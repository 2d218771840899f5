"""Following a sync run from the command line: what its progress says in words, and the loop that polls it.

On a terminal the progress is a live bar (pages applied of pages to send, rows read, ETA); elsewhere (a log,
a CI job) a line is printed each time the run moves to another phase or stage, never one per poll.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

POLL_SECONDS = 0.5
RUNNING = "running"

PHASE_WORDS = {"queued": "waiting for a rostering worker", "reading": "reading the source",
               "checking": "checking what it would archive", "archiving": "archiving what the source no longer lists"}


class StillRunning(Exception):
    """The run had not ended when the wait did; `run` is how it was last seen."""

    def __init__(self, run: dict) -> None:
        super().__init__(run["run_id"])
        self.run = run


def phase_text(progress: dict) -> str:
    if progress["phase"] == "applying":
        return f"applying {(progress['stage'] or 'rows').replace('_', ' ')}"
    return PHASE_WORDS.get(progress["phase"], progress["phase"])


def eta_text(seconds: float | None) -> str:
    if seconds is None:
        return "ETA unknown"
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"ETA {hours}h {minutes:02d}m"
    return f"ETA {minutes}m {secs:02d}s" if minutes else f"ETA {secs}s"


def progress_line(run: dict) -> str:
    """One line for a running run: phase, rows read, pages applied, ETA."""
    progress = run["progress"]
    return (f"{run['short_id']} {phase_text(progress)}: {progress['rows_read']:,} rows read, "
            f"{progress['pages_applied']:,}/{progress['pages_total']:,} pages applied, "
            f"{eta_text(progress['eta_seconds'])}")


@dataclass
class _LineDisplay:
    """Not a terminal: a line when the phase or stage changes."""

    console: Console
    shown: tuple | None = None

    def update(self, run: dict) -> None:
        step = (run["progress"]["phase"], run["progress"]["stage"])
        if step != self.shown:
            self.shown = step
            self.console.print(progress_line(run), markup=False, highlight=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


class _BarDisplay:
    """A terminal: one live bar, gone once the run ends (the run's report follows)."""

    def __init__(self, console: Console) -> None:
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[pages]}"),
                            TextColumn("{task.fields[rows]}"), TextColumn("{task.fields[eta]}"),
                            TimeElapsedColumn(), console=console, transient=True)
        self.task = self.bar.add_task("starting", total=None, pages="", rows="", eta="")

    def update(self, run: dict) -> None:
        progress = run["progress"]
        self.bar.update(self.task, description=f"{run['short_id']} {phase_text(progress)}",
                        total=progress["pages_total"] or None, completed=progress["pages_applied"],
                        pages=f"{progress['pages_applied']:,}/{progress['pages_total']:,} pages",
                        rows=f"{progress['rows_read']:,} rows read", eta=eta_text(progress["eta_seconds"]))

    def __enter__(self):
        self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.stop()


def follow(get_run: Callable[[str], dict], run_id: str, *, deadline: float, console: Console,
           sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> dict:
    """Poll the run until it ends, showing its progress; StillRunning if it has not by `deadline` (clock time).

    `get_run` answers the run as rostering's follow_sync_run does (its findings counted, not listed), and so
    does `follow`: the caller asks for the whole run once it has ended."""
    display = _BarDisplay(console) if console.is_terminal else _LineDisplay(console)
    with display:
        run = get_run(run_id)
        while run["state"] == RUNNING:
            display.update(run)
            if clock() >= deadline:
                raise StillRunning(run)
            sleep(POLL_SECONDS)
            run = get_run(run_id)
    return run

"""How `schoolctl roster import|follow` word a run's progress, and the polling loop that follows it."""
import io

import pytest
from rich.console import Console

from schoolctl.roster_display import by_reason
from schoolctl.run_progress import StillRunning, eta_text, follow, phase_text, progress_line


def make_run(state="running", phase="applying", stage="people", pages_applied=3, pages_total=10, eta=42.0):
    return {"run_id": "3f2a9c1b44d0e8aa", "short_id": "3f2a9c1b", "state": state,
            "progress": {"phase": phase, "stage": stage, "rows_read": 12_345, "pages_applied": pages_applied,
                         "pages_total": pages_total, "applying_since": None, "eta_seconds": eta}}


@pytest.mark.parametrize("seconds, text", [(None, "ETA unknown"), (4.4, "ETA 4s"), (65, "ETA 1m 05s"),
                                           (3 * 3600 + 7 * 60, "ETA 3h 07m")])
def test_the_eta_reads_in_the_largest_units_that_matter(seconds, text):
    assert eta_text(seconds) == text


def test_a_progress_line_says_phase_rows_pages_and_eta():
    assert progress_line(make_run(stage="guardian_links")) == (
        "3f2a9c1b applying guardian links: 12,345 rows read, 3/10 pages applied, ETA 42s")
    assert phase_text(make_run(phase="queued")["progress"]) == "waiting for a rostering worker"


def test_following_polls_until_the_run_ends_printing_a_line_per_phase_off_a_terminal():
    answers = iter([make_run(phase="reading", stage=None), make_run(pages_applied=1), make_run(pages_applied=2),
                    make_run(stage="enrollments"), make_run(state="completed")])
    out = io.StringIO()
    naps = []

    ended = follow(lambda run_id: next(answers), "3f2a9c1b", deadline=100, console=Console(file=out, width=200),
                   sleep=naps.append, clock=lambda: 0)

    assert ended["state"] == "completed" and len(naps) == 4
    assert [line.split(":")[0] for line in out.getvalue().splitlines()] == [
        "3f2a9c1b reading the source", "3f2a9c1b applying people", "3f2a9c1b applying enrollments"]


def test_following_stops_at_the_deadline_with_the_run_as_last_seen():
    with pytest.raises(StillRunning) as still:
        follow(lambda run_id: make_run(), "3f2a9c1b", deadline=10, console=Console(file=io.StringIO()),
               sleep=lambda seconds: None, clock=lambda: 10)

    assert still.value.run["short_id"] == "3f2a9c1b"


def test_findings_are_grouped_by_reason_commonest_first_with_the_first_rows_of_each():
    problems = ([{"reason": "unknown school", "line": line} for line in (2, 3)]
                + [{"reason": "invalid email", "line": line} for line in range(4, 10)])

    groups = by_reason(problems, first=2)

    assert [(group.reason, group.count) for group in groups] == [("invalid email", 6), ("unknown school", 2)]
    assert [row["line"] for row in groups[0].first] == [4, 5]

"""`make test`'s groups: their summaries added up in pytest's words, and the run's exit status."""
from __future__ import annotations

import textwrap
from collections import Counter

from shared.testing.test_groups import Group, combined_counts, exit_status, main, merged_durations, summary_line


def test_summaries_framed_or_quiet_add_up_by_outcome():
    summaries = [
        "============ 2 failed, 2050 passed, 1 skipped, 3800 deselected, 3 warnings in 812.34s (0:13:32) ============",
        "1800 passed, 4 skipped in 700.10s (0:11:40)",
        None,  # a group that died before its summary
        "no tests ran in 0.21s",
    ]
    assert combined_counts(summaries) == Counter(failed=2, passed=3850, skipped=5, warnings=3)


def test_the_closing_line_puts_failures_first_as_pytest_does():
    line = summary_line(Counter(passed=10, failed=1, skipped=2), 61.5, 3)
    assert "1 failed, 10 passed, 2 skipped in 61.50s (3 groups side by side)" in line
    assert line.startswith("=") and line.endswith("=")
    assert "no tests ran" in summary_line(Counter(), 1.0, 2)


def _ended(*returncodes):
    return [Group(number, None, None, 0.0, returncode) for number, returncode in enumerate(returncodes, 1)]


def test_the_first_failing_group_decides_and_an_empty_group_is_no_failure():
    assert exit_status(_ended(0, 0, 0)) == 0
    assert exit_status(_ended(0, 5, 0)) == 0
    assert exit_status(_ended(0, 1, 2)) == 1
    assert exit_status(_ended(5, 5)) == 5


def test_groups_run_every_test_once_and_report_in_one_line(tmp_path, capsys):
    suite = tmp_path / "suite"
    suite.mkdir()
    for number in range(4):
        (suite / f"test_part_{number}.py").write_text(textwrap.dedent(f"""
            def test_passes_{number}():
                assert True
        """))
    (suite / "test_failing.py").write_text("def test_fails():\n    assert 1 == 2\n")

    status = main(["--groups", "2", "--logs", str(tmp_path / "logs"), "--",
                   "-c", "/dev/null", "--rootdir", str(suite), "-p", "no:cacheprovider", str(suite)])

    output = capsys.readouterr().out
    assert status == 1
    assert output.rstrip().splitlines()[-1].strip("= ").startswith("1 failed, 4 passed in ")
    assert "FAILED" in output and "test_fails" in output
    assert sorted(path.name for path in (tmp_path / "logs").iterdir()) == ["group-1.log", "group-2.log"]


def test_durations_measured_by_each_group_replace_the_earlier_ones_and_the_rest_stay():
    earlier = {"a": 1.0, "b": 2.0, "c": 3.0}
    group_1 = {**earlier, "a": 1.5, "new": 9.0}
    group_2 = {**earlier, "c": 2.5}
    assert merged_durations(earlier, [group_1, group_2]) == {"a": 1.5, "b": 2.0, "c": 2.5, "new": 9.0}

"""The bench's table, JSON document and ratio maths; no timing here."""
from __future__ import annotations

import json

import pytest

from bench.report import (Row, format_markdown, format_table, ratio, rows_from_document, target_status, to_document,
                          with_ratios, write_json)


def test_ratio_divides_by_the_baseline():
    assert ratio(50.0, 200.0) == pytest.approx(0.25)


@pytest.mark.parametrize("baseline", [None, 0.0, -1.0])
def test_no_ratio_without_a_usable_baseline(baseline):
    assert ratio(10.0, baseline) is None


def test_with_ratios_uses_the_named_baseline_only():
    rows = [Row("baseline_copy_rows_per_s", 80_000.0, "rows/s"), Row("roster_read_rows_per_s", 20_000.0, "rows/s"),
            Row("plan_recipients_per_s", 300_000.0, "recipients/s")]
    out = {row.name: row for row in with_ratios(rows)}
    assert out["roster_read_rows_per_s"].ratio == pytest.approx(0.25)
    assert out["baseline_copy_rows_per_s"].ratio is None
    assert out["plan_recipients_per_s"].ratio is None


def test_a_providers_full_run_and_its_cpu_are_each_divided_by_the_csv_imports():
    rows = [Row("sync_full_seconds", 100.0, "s"), Row("sync_full_cpu_seconds", 20.0, "s"),
            Row("sync_clever_full_seconds", 90.0, "s"), Row("sync_clever_full_cpu_seconds", 21.0, "s")]
    out = {row.name: row for row in with_ratios(rows)}
    assert out["sync_clever_full_seconds"].ratio == pytest.approx(0.9)
    assert out["sync_clever_full_cpu_seconds"].ratio == pytest.approx(1.05)


def test_a_missing_baseline_leaves_no_ratio():
    (row,) = with_ratios([Row("roster_read_rows_per_s", 20_000.0, "rows/s")])
    assert row.ratio is None


def test_units_must_match_for_a_ratio():
    with pytest.raises(ValueError):
        with_ratios([Row("a", 1.0, "rows/s"), Row("b", 2.0, "s")], baselines={"b": "a"})


def test_two_rates_can_be_divided():
    (_, row) = with_ratios([Row("a", 400.0, "posts/s"), Row("b", 600.0, "deliveries/s")], baselines={"b": "a"})
    assert row.ratio == pytest.approx(1.5)


def test_a_duration_is_divided_by_the_time_the_baseline_needs_for_as_much_work():
    rows = with_ratios([Row("baseline_publish_msgs_per_s", 10_000.0, "msgs/s"),
                        Row("fanout_enqueue_seconds", 30.0, "s",
                            scaled_baseline=("baseline_publish_msgs_per_s", 200_000))])
    assert rows[1].ratio == pytest.approx(30.0 / 20.0)
    assert "fanout_enqueue_seconds" in format_table(rows) and "ratio <= 2.00 (met)" in format_table(rows)


def test_target_is_shown_met_or_not():
    assert target_status(Row("plan_recipients_per_s", 250_000, "recipients/s")) == ">= 200,000 (met)"
    assert target_status(Row("plan_recipients_per_s", 150_000, "recipients/s")) == ">= 200,000 (NOT met)"
    assert target_status(Row("baseline_copy_rows_per_s", 1.0, "rows/s")) == ""


def test_a_target_relative_to_another_metric():
    full = Row("sync_full_seconds", 100.0, "s")
    by_name = {"sync_full_seconds": full}
    assert target_status(Row("sync_unchanged_seconds", 9.0, "s"), by_name) == "<= 0.10 x sync_full_seconds (met)"
    assert target_status(Row("sync_unchanged_seconds", 11.0, "s"), by_name).endswith("(NOT met)")
    assert target_status(Row("sync_delta_seconds", 4.0, "s")).endswith("(n/a)")


def test_every_target_of_a_metric_is_shown():
    rows = with_ratios([Row("baseline_http_posts_2p_per_s", 800.0, "posts/s"),
                        Row("fanout_1w_deliveries_per_s", 600.0, "deliveries/s"),
                        Row("fanout_2w_deliveries_per_s", 1000.0, "deliveries/s")])
    status = target_status(rows[2], {row.name: row for row in rows})
    assert status == "ratio >= 1.00 (met); >= 1.50 x fanout_1w_deliveries_per_s (met)"


def test_table_lists_every_row_with_ratio_and_target():
    rows = with_ratios([Row("baseline_http_posts_per_s", 400.0, "posts/s"),
                        Row("baseline_http_posts_2p_per_s", 700.0, "posts/s"),
                        Row("plan_recipients_per_s", 441_464.2, "recipients/s")])
    lines = format_table(rows).splitlines()
    assert lines[0].split() == ["metric", "value", "unit", "ratio", "vs", "target"]
    assert len(lines) == 2 + 3
    assert "1.750" in lines[3] and "baseline_http_posts_per_s" in lines[3]
    assert "441,464" in lines[4] and ">= 200,000 (met)" in lines[4]


def test_json_document_has_the_issue_shape(tmp_path):
    rows = with_ratios([Row("baseline_copy_rows_per_s", 80_000.0, "rows/s"),
                        Row("roster_read_rows_per_s", 40_000.0, "rows/s")])
    path = tmp_path / "results" / "latest.json"
    write_json(path, to_document(rows, scale="small", date="2026-11-23T00:00:00+00:00",
                                 machine={"cores": 2, "memory": "24105 MB"}))
    document = json.loads(path.read_text())
    assert set(document) == {"rows", "scale", "date", "machine"}
    assert document["scale"] == "small"
    assert document["machine"] == {"cores": 2, "memory": "24105 MB"}
    assert document["rows"][0] == {"name": "baseline_copy_rows_per_s", "value": 80_000.0, "unit": "rows/s"}
    assert document["rows"][1]["ratio"] == pytest.approx(0.5)


def test_markdown_table_round_trips_through_the_json(tmp_path):
    rows = with_ratios([Row("baseline_publish_msgs_per_s", 10_000.0, "msgs/s"),
                        Row("fanout_enqueue_seconds", 30.0, "s",
                            scaled_baseline=("baseline_publish_msgs_per_s", 200_000))])
    document = json.loads(json.dumps(to_document(rows, scale="district", date="d", machine={"cores": 2})))
    markdown = format_markdown(rows_from_document(document)).splitlines()
    assert markdown[0].startswith("| metric | value |")
    assert markdown[3] == ("| `fanout_enqueue_seconds` | 30.00 | s | 1.500 | time for 200,000 at "
                           "baseline_publish_msgs_per_s | ratio <= 2.00 (met) |")


def test_every_process_peak_rss_row_has_the_one_gigabyte_target_beside_it():
    rows = [Row("directory_peak_rss_mb", 180.0, "MB"), Row("notify_worker_peak_rss_mb", 1500.0, "MB")]
    by_name = {row.name: row for row in rows}
    assert [target_status(row, by_name) for row in rows] == ["<= 1,024 (met)", "<= 1,024 (NOT met)"]


def test_the_search_rows_carry_their_targets_at_10_and_50_clients():
    rows = [Row("search_p95_ms", 40.0, "ms"), Row("search_p99_ms", 120.0, "ms"), Row("search50_p95_ms", 140.0, "ms")]
    by_name = {row.name: row for row in rows}
    assert [target_status(row, by_name) for row in rows] == [
        "<= 50.00 (met)", "<= 100 (NOT met)", "<= 150 (met)"]


def test_the_search_right_after_writes_is_shown_as_information_beside_the_settled_targets():
    rows = [Row("search_after_writes_p95_ms", 61.8, "ms"), Row("search_settle_seconds", 14.2, "s"),
            Row("search_settle_still_due", 0, "items"), Row("search_p95_ms", 40.0, "ms")]
    table = format_table(rows)
    assert target_status(rows[0]).startswith("no target: right after the stage before")
    assert target_status(rows[1]).startswith("no target: the wait")
    assert target_status(rows[2]) == "<= 0 (met); tables due or maintenance running as search_* began"
    assert target_status(rows[3]) == "<= 50.00 (met)"
    assert "search_after_writes_p95_ms" in table and "search_settle_seconds" in table


def test_a_search_measured_before_the_directory_settled_is_never_hidden():
    assert target_status(Row("search_settle_still_due", 2, "items")).startswith("<= 0 (NOT met)")

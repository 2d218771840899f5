"""The bench's table, JSON document and ratio maths; no timing here."""
from __future__ import annotations

import json

import pytest

from bench.report import Row, format_table, ratio, target_status, to_document, with_ratios, write_json


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


def test_a_missing_baseline_leaves_no_ratio():
    (row,) = with_ratios([Row("roster_read_rows_per_s", 20_000.0, "rows/s")])
    assert row.ratio is None


def test_units_must_match_for_a_ratio():
    with pytest.raises(ValueError):
        with_ratios([Row("a", 1.0, "rows/s"), Row("b", 2.0, "msgs/s")], baselines={"b": "a"})


def test_target_is_shown_met_or_not():
    assert target_status("plan_recipients_per_s", 250_000) == ">= 200,000 (met)"
    assert target_status("plan_recipients_per_s", 150_000) == ">= 200,000 (NOT met)"
    assert target_status("baseline_copy_rows_per_s", 1.0) == ""


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

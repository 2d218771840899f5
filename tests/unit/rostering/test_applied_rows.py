"""Fingerprints of rows as sent, and choosing which rows of an import still need sending."""
import itertools
import random
import sys

import pytest

from services.rostering.domain.applied_rows import (
    FINGERPRINT_BYTES,
    AppliedRow,
    RowsDigest,
    applied_by,
    fingerprint,
    plan_sends,
    plan_whole_stage,
    rows_digest,
    stale_keys,
    summarised,
    with_unsent,
)
from services.rostering.domain.run import EntityCounts, Refusal, Tally


def person(source_id="student-1", **overrides):
    return {"source_id": source_id, "given_name": "Ada", "family_name": "Lovelace", "grade": "03",
            "school_source_ids": ["school-1"], **overrides}


def key(row):
    return row["source_id"]


def remembered(*rows, ids=None):
    ids = ids or {}
    return {row["source_id"]: AppliedRow(fingerprint(row), ids.get(row["source_id"])) for row in rows}


def test_a_fingerprint_is_sixteen_bytes_and_the_same_for_the_same_row_whatever_its_key_order():
    row = person()
    reordered = dict(reversed(list(row.items())))

    assert len(fingerprint(row)) == FINGERPRINT_BYTES
    assert fingerprint(row) == fingerprint(reordered)


def test_equal_rows_have_equal_fingerprints_whichever_string_objects_they_share():
    # The reader shares repeated values (one string object for many rows) and Python interns some strings:
    # neither may change what a row's fingerprint is.
    shared = "".join(["Love", "lace"])
    interned = sys.intern("Lovelace")
    built_apart = person(family_name="".join(["Love", "lace"]), middle_name="".join(["Love", "lace"]))

    assert fingerprint(person(family_name=shared, middle_name=shared)) == fingerprint(built_apart)
    assert fingerprint(person(family_name=interned, middle_name=interned)) == fingerprint(built_apart)


def test_values_of_other_types_make_other_fingerprints():
    assert len({fingerprint(person(grade=value)) for value in ("1", 1, True, None, ["1"], "")}) == 6


def test_any_changed_value_changes_the_fingerprint_nested_ones_and_none_included():
    row = person(roles=[{"role": "student", "school_ids": ["s-1"]}], middle_name=None)
    changes = [
        person(roles=[{"role": "student", "school_ids": ["s-2"]}], middle_name=None),
        person(roles=[{"role": "student", "school_ids": ["s-1"]}], middle_name=""),
        person(roles=[{"role": "student", "school_ids": ["s-1"]}]),
        {**row, "given_name": "Augusta"},
        {**row, "school_source_ids": ["school-1", "school-2"]},
    ]

    assert len({fingerprint(row), *map(fingerprint, changes)}) == 1 + len(changes)


def test_nothing_applied_before_means_every_row_is_sent():
    rows = [person("a"), person("b")]

    plan = plan_sends(rows, key=key, applied={})

    assert plan.to_send == rows
    assert plan.fingerprints == {"a": fingerprint(rows[0]), "b": fingerprint(rows[1])}
    assert (plan.unsent, plan.kept_ids, plan.keys) == (0, {}, {"a", "b"})


def test_rows_applied_exactly_as_they_are_are_not_sent_and_keep_their_remembered_ids():
    same, changed, new = person("a"), person("b", given_name="Augusta"), person("c")
    applied = {**remembered(same, ids={"a": "id-a"}), **remembered(person("b"), ids={"b": "id-b"})}

    plan = plan_sends([same, changed, new], key=key, applied=applied)

    assert plan.to_send == [changed, new]
    assert set(plan.fingerprints) == {"b", "c"}
    assert plan.unsent == 1 and plan.kept_ids == {"a": "id-a"}
    assert plan.keys == {"a", "b", "c"}


def test_a_row_remembered_without_an_id_goes_again_when_later_stages_need_its_id():
    row = person("a")

    assert plan_sends([row], key=key, applied=remembered(row), needs_ids=True).to_send == [row]
    assert plan_sends([row], key=key, applied=remembered(row), needs_ids=False).to_send == []


def test_only_items_the_owning_service_saved_are_remembered():
    fingerprints = {name: bytes([n]) * 16 for n, name in enumerate("abcdef")}
    results = [
        {"key": "a", "id": "id-a", "outcome": "created", "problems": []},
        {"key": "b", "id": "id-b", "outcome": "updated", "problems": []},
        {"key": "c", "id": None, "outcome": "unchanged", "problems": []},
        {"key": "d", "id": None, "outcome": "failed", "problems": [{"field": "x", "reason": "no"}]},
        {"key": "e", "id": "id-e", "outcome": "skipped", "problems": []},
        {"key": "not-sent", "id": "id-x", "outcome": "created", "problems": []},
    ]

    assert applied_by(results, fingerprints) == {
        "a": AppliedRow(fingerprints["a"], "id-a"),
        "b": AppliedRow(fingerprints["b"], "id-b"),
        "c": AppliedRow(fingerprints["c"], None),
    }


def test_ids_are_remembered_only_where_later_stages_need_them():
    results = [{"key": "enr-1", "id": "id-1", "outcome": "created", "problems": []}]

    assert applied_by(results, {"enr-1": b"f" * 16}, keep_ids=False) == {"enr-1": AppliedRow(b"f" * 16, None)}


def test_rows_not_sent_count_unchanged_and_their_ids_join_the_ids_of_rows_sent():
    plan = plan_sends([person("a"), person("b"), person("c", grade="04")], key=key,
                      applied=remembered(person("a"), person("b"), person("c"), ids={"a": "id-a", "b": "id-b",
                                                                                       "c": "id-c"}))
    refusal = Refusal("people", "d", "grade", "bad")
    sent = Tally(EntityCounts(updated=1, failed=1), {"c": "id-c"}, [refusal])

    total = with_unsent(sent, plan)

    assert total.counts == EntityCounts(updated=1, unchanged=2, failed=1)
    assert total.ids == {"a": "id-a", "b": "id-b", "c": "id-c"}
    assert total.refusals == [refusal]
    assert sent.counts == EntityCounts(updated=1, failed=1)  # the tally it started from is left as it was


def test_keys_a_full_file_no_longer_lists_are_stale():
    applied = remembered(person("a"), person("b"), person("c"))

    assert stale_keys(applied, frozenset({"a", "c", "d"})) == ["b"]
    assert stale_keys(applied, frozenset({"a", "b", "c"})) == []


def test_rows_digest_is_the_same_for_equal_rows_in_the_same_order_and_differs_otherwise():
    rows = [{"source_id": f"enr-{n}", "role": "student", "grades": ["09"]} for n in range(2500)]
    same = [dict(row) for row in rows]
    changed = [*rows[:-1], {**rows[-1], "role": "aide"}]

    assert rows_digest(rows) == rows_digest(same)
    assert rows_digest(changed) != rows_digest(rows)
    assert rows_digest(rows[::-1]) != rows_digest(rows)


def test_a_whole_stage_is_unchanged_only_with_its_digest_and_as_many_keys_remembered():
    rows = [{"source_id": "enr-1"}, {"source_id": "enr-2"}]
    kept = AppliedRow(rows_digest(rows), None)

    plan = plan_whole_stage(rows, key=lambda row: row["source_id"], digest=rows_digest(rows), remembered=kept,
                            remembered_count=2)

    assert (plan.to_send, plan.unsent, plan.keys) == ([], 2, frozenset({"enr-1", "enr-2"}))
    for remembered, count in ((None, 2), (AppliedRow(b"\0" * 16, None), 2), (kept, 3)):
        assert plan_whole_stage(rows, key=lambda row: row["source_id"], digest=rows_digest(rows),
                                remembered=remembered, remembered_count=count) is None


def test_rows_with_other_fields_digest_otherwise():
    rows = [{"guardian_source_id": "g", "student_source_id": "s"}] * 3
    said = [*rows[:2], {**rows[2], "relationship": "aunt"}]
    renamed = [*rows[:2], {"guardian_source_id": "g", "child_source_id": "s"}]
    reordered = [*rows[:2], {"student_source_id": "s", "guardian_source_id": "g"}]

    assert len({rows_digest(rows), rows_digest(said), rows_digest(renamed), rows_digest(reordered)}) == 4
    assert rows_digest([]) == rows_digest(())


def as_columns(rows):
    """Rows as RowsDigest takes them: each run of rows with the same fields, one column per field."""
    return [(fields, [[row[name] for row in alike] for name in fields])
            for fields, alike in ((fields, list(alike)) for fields, alike in itertools.groupby(rows, key=tuple))]


def test_rows_given_as_columns_digest_as_the_rows_however_they_are_split_into_calls():
    shuffle = random.Random(16)
    for count in (1, 999, 1000, 1001, 2500):
        rows = [{"source_id": f"enr-{n}", "role": shuffle.choice(["student", "aide"]),
                 **({"relationship": "aunt"} if shuffle.random() < 0.01 else {}), "grades": ["09"]}
                for n in range(count)]
        cuts = sorted(shuffle.sample(range(1, count), min(count - 1, 7))) if count > 1 else []
        digest = RowsDigest()
        for start, end in zip([0, *cuts], [*cuts, count]):
            for fields, columns in as_columns(rows[start:end]):
                digest.add(fields, columns)
            digest.add(("source_id",), [[]])  # no rows: nothing changes

        assert digest.digest() == rows_digest(rows)


def test_a_row_without_fields_is_refused():
    with pytest.raises(ValueError):
        rows_digest([{}])


def test_a_summary_taken_as_columns_are_made_digests_the_rows_as_the_whole_list_and_counts_their_keys():
    for count in (0, 1, 999, 1000, 1001, 2500):
        rows = [{"source_id": f"enr-{n % 700}", "role": "student"} for n in range(count)]

        summary = summarised(as_columns(rows), keys=lambda columns: columns[0])

        assert summary == (rows_digest(rows), frozenset(row["source_id"] for row in rows), count)

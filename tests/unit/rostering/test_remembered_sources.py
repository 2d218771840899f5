"""Planning rows built one per record against only the remembered rows whose source fingerprint changed."""
import random

import pytest

from services.rostering.domain.applied_rows import (
    AppliedRow,
    ListedKeys,
    RememberedColumns,
    Sourced,
    SourcedColumns,
    fingerprint,
    plan_sends_from_sources,
    plan_sourced,
    remembered_in_columns,
    remembered_sources,
    sourced_columns,
    sourced_records,
    sources_by_key,
    stale_keys,
)


def source_of(n: int) -> bytes:
    return bytes([n % 256]) * 16


def plan(records: list[Sourced], applied, needs_ids: bool):
    return plan_sends_from_sources(records, key=lambda record: record.key, source=lambda record: record.source,
                                   build=lambda record: record.record, applied=applied, needs_ids=needs_ids)


def a_district(seed: int) -> tuple[list[Sourced], dict[str, AppliedRow]]:
    """Records and remembered rows in every relation: unchanged, changed record, changed row, never remembered,
    remembered without an id or a source fingerprint, without a source fingerprint now, a key two records share,
    and remembered rows no record lists any more."""
    chance = random.Random(seed)
    records: list[Sourced] = []
    applied: dict[str, AppliedRow] = {}
    for n in range(300):
        row_key = f"person-{chance.randrange(280)}"  # some keys twice
        row = {"source_id": row_key, "given_name": f"name-{chance.randrange(3)}"}
        source = None if chance.random() < 0.1 else source_of(chance.randrange(4))
        records.append(Sourced(row, row_key, source))
        if chance.random() < 0.8:
            remembered_row = {"source_id": row_key, "given_name": f"name-{chance.randrange(3)}"}
            applied[row_key] = AppliedRow(fingerprint(remembered_row), None if chance.random() < 0.1 else f"id-{n}",
                                          None if chance.random() < 0.1 else source_of(chance.randrange(4)))
    for n in range(20):
        applied[f"gone-{n}"] = AppliedRow(source_of(n), f"gone-id-{n}", source_of(n))
    records.append(Sourced({"source_id": "unkeyed"}, None, source_of(1)))  # an account of a person refused
    return records, applied


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("needs_ids", [False, True])
def test_a_plan_against_the_changed_rows_alone_is_the_plan_against_every_remembered_row(seed, needs_ids):
    records, applied = a_district(seed)

    compared = remembered_sources(applied, sources_by_key(records), needs_ids=needs_ids)

    assert plan(records, compared, needs_ids) == plan(records, applied, needs_ids)
    assert plan_sourced(records, build=lambda row: row, applied=compared, needs_ids=needs_ids) == plan(
        records, applied, needs_ids)
    assert plan_sourced(records, build=lambda row: row, applied={}, needs_ids=needs_ids) == plan(records, {}, needs_ids)
    assert len(compared.unchanged) > 0 and len(compared.differing) > 0  # both kinds met


def test_only_rows_remembered_by_another_source_fingerprint_or_without_the_id_needed_are_read_whole():
    applied = {"same": AppliedRow(b"f" * 16, "id-1", source_of(1)),
               "changed": AppliedRow(b"g" * 16, "id-2", source_of(1)),
               "no id": AppliedRow(b"h" * 16, None, source_of(1)),
               "asked without one": AppliedRow(b"i" * 16, "id-4", source_of(1)),
               "not asked": AppliedRow(b"j" * 16, "id-5", source_of(1))}
    asked = {"same": source_of(1), "changed": source_of(2), "no id": source_of(1), "asked without one": None,
             "new": source_of(1)}

    compared = remembered_sources(applied, asked, needs_ids=True)

    assert compared.unchanged == {"same": "id-1"}
    assert compared.differing == {key: applied[key] for key in ("changed", "no id", "asked without one")}
    assert compared.count == 5
    assert "new" not in compared and "not asked" not in compared
    assert remembered_sources(applied, asked, needs_ids=False).unchanged == {"same": "id-1", "no id": None}


def test_a_key_two_records_share_is_asked_without_a_source_fingerprint():
    records = sourced_records([("a", 1), ("b", 2), ("a", 3), ("c", 4)], key=lambda record: record[0],
                              sources=lambda records, keys: [source_of(record[1]) for record in records])

    assert sources_by_key(records) == {"a": None, "b": source_of(2), "c": source_of(4)}


def test_stale_keys_read_every_remembered_key_only_when_some_are_not_listed():
    applied = {f"person-{n}": AppliedRow(source_of(n), f"id-{n}", source_of(n)) for n in range(5)}
    asked = {f"person-{n}": source_of(n if n % 2 else n + 1) for n in range(6)}
    compared = remembered_sources(applied, asked, needs_ids=True)

    def nothing_to_read():
        raise AssertionError("every key read although every remembered key is listed")

    assert compared.stale_keys(frozenset(asked), nothing_to_read) == []
    listed = frozenset(asked) - {"person-3"}
    assert compared.stale_keys(listed, lambda: iter(applied)) == stale_keys(applied, listed) == ["person-3"]
    applied["person-9"] = AppliedRow(source_of(9), "id-9", source_of(9))  # remembered, never asked
    assert remembered_sources(applied, asked, needs_ids=True).stale_keys(
        frozenset(asked), lambda: iter(applied)) == ["person-9"]


def as_columns(applied: dict[str, AppliedRow], run_rows: int) -> list[RememberedColumns]:
    rows = list(applied.items())
    return [RememberedColumns([row_key for row_key, _ in run], [row.target_id for _, row in run],
                              [row.source for _, row in run], b"".join(row.fingerprint for _, row in run))
            for run in (rows[start:start + run_rows] for start in range(0, len(rows), run_rows))]


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("needs_ids", [False, True])
def test_remembered_rows_compared_as_columns_a_run_at_a_time_answer_as_the_rows_compared_whole(seed, needs_ids):
    records, applied = a_district(seed)
    asked = sources_by_key(records)

    for run_rows in (1, 33, 1_000):
        compared = remembered_in_columns(as_columns(applied, run_rows), asked, needs_ids=needs_ids)

        expected = remembered_sources(applied, asked, needs_ids=needs_ids)
        assert (compared.differing, compared.unchanged, compared.count) == (
            expected.differing, expected.unchanged, expected.count)
        assert plan_sourced(records, build=lambda row: row, applied=compared, needs_ids=needs_ids) == plan(
            records, applied, needs_ids)


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("needs_ids", [False, True])
def test_a_plan_s_keys_kept_apart_give_the_stale_keys_of_the_keys_merged(seed, needs_ids):
    records, applied = a_district(seed)
    # Some records make no row (an account of a person the directory refused): their keys are not listed.
    records = [record._replace(record=None) if n % 7 == 0 else record for n, record in enumerate(records)]
    stale_or_not = set()
    for listed_records in (records, records[::3]):
        every = plan(listed_records, applied, needs_ids).keys
        asked = {record.key for record in listed_records}
        # Every remembered row; only those listed; only those asked (a row of no record is stale, though asked).
        for remembered in ({row_key: row for row_key, row in applied.items() if row_key in kept}
                           for kept in (applied, every, asked)):
            compared = remembered_sources(remembered, sources_by_key(listed_records), needs_ids=needs_ids)

            keys = plan_sourced(listed_records, build=lambda row: row, applied=compared, needs_ids=needs_ids).keys

            assert isinstance(keys, ListedKeys) and keys == every and set(keys) == every and len(keys) == len(every)
            assert all(row_key in keys for row_key in remembered) == all(row_key in every for row_key in remembered)
            assert [row_key in keys for row_key in (*remembered, "never")] == [
                row_key in every for row_key in (*remembered, "never")]
            stale = stale_keys(remembered, every)
            assert compared.stale_keys(keys, lambda: iter(remembered)) == stale
            stale_or_not.add(bool(stale))
    assert stale_or_not == {True, False}  # both kinds met


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("needs_ids", [False, True])
def test_records_as_columns_are_asked_compared_and_planned_as_the_same_records_one_tuple_each(seed, needs_ids):
    # What a stage has now (SourcedColumns, from sourced_records and sourced_ahead) against what it had (a list of
    # Sourced): the same keys asked, in the same order, the same rows remembered unchanged and the same plan.
    records, applied = a_district(seed)
    columns = sourced_columns(records)
    assert isinstance(columns, SourcedColumns) and columns == records and list(columns) == records

    asked = sources_by_key(columns)
    assert list(asked.items()) == list(sources_by_key(records).items())
    for compared in (remembered_sources(applied, asked, needs_ids=needs_ids),
                     remembered_in_columns(as_columns(applied, 33), asked, needs_ids=needs_ids), {}):
        made = plan_sourced(columns, build=lambda row: row, applied=compared, needs_ids=needs_ids)
        assert made == plan_sourced(records, build=lambda row: row, applied=compared, needs_ids=needs_ids)
        assert made == plan(records, compared or {}, needs_ids)
        assert list(made.to_send) == list(plan(records, compared or {}, needs_ids).to_send)
        assert list(made.fingerprints) == list(plan(records, compared or {}, needs_ids).fingerprints)  # in order


def test_records_as_columns_read_as_a_sequence_of_sourced_records():
    columns = sourced_records(["a", "b", "c"], key=str.upper, sources=lambda records, keys: [None, b"b", b"c"])

    assert isinstance(columns, SourcedColumns)
    assert list(columns) == [Sourced("a", "A", None), Sourced("b", "B", b"b"), Sourced("c", "C", b"c")]
    assert columns[1] == Sourced("b", "B", b"b") and columns[-1] == Sourced("c", "C", b"c")
    assert columns[1:] == [Sourced("b", "B", b"b"), Sourced("c", "C", b"c")]
    assert len(columns) == 3 and sourced_columns(columns) is columns
    with pytest.raises(ValueError):
        SourcedColumns(["a"], ["A", "B"], [None])

"""What each district's imports applied, in the rostering database, on SQLite and PostgreSQL."""
import random

import pytest

from services.rostering.adapters.applied_rows import FORGET_CHUNK, REMEMBER_CHUNK, AppliedRowRepository
from services.rostering.domain.applied_rows import AppliedRow, remembered_sources


@pytest.fixture
def applied(rostering_session):
    return AppliedRowRepository(rostering_session)


def row(n: int, target_id: str | None = None) -> AppliedRow:
    return AppliedRow(bytes([n]) * 16, target_id)


def test_rows_remembered_read_back_by_district_and_entity(applied):
    applied.start("district-1", "d-1")
    applied.start("named:springfield", "d-2")
    applied.remember("district-1", "people", {"student-1": row(1, "p-1"), "guardian-1": row(2, "p-2")})
    applied.remember("district-1", "enrollments", {"enr-1": row(3)})
    applied.remember("named:springfield", "people", {"student-1": row(4, "p-9")})

    assert applied.load("district-1", "people") == {"student-1": row(1, "p-1"), "guardian-1": row(2, "p-2")}
    assert applied.load("district-1", "enrollments") == {"enr-1": row(3)}
    assert applied.load("named:springfield", "people") == {"student-1": row(4, "p-9")}
    assert applied.load("district-1", "accounts") == {}


def test_keys_are_read_a_chunk_at_a_time_and_the_session_serves_the_next_call(applied, monkeypatch):
    monkeypatch.setattr("services.rostering.adapters.applied_rows.LOAD_CHUNK", 2)
    applied.start("district-1", "d-1")
    applied.start("named:springfield", "d-2")
    applied.remember("district-1", "enrollments", {f"enr-{n}": row(n) for n in range(5)})
    applied.remember("named:springfield", "enrollments", {"enr-9": row(9)})

    assert sorted(applied.keys("district-1", "enrollments")) == [f"enr-{n}" for n in range(5)]
    assert list(applied.keys("district-1", "people")) == []
    assert applied.count("named:springfield", "enrollments") == 1


def test_rows_remembered_are_counted_by_district_and_entity(applied):
    applied.start("district-1", "d-1")
    applied.start("named:springfield", "d-2")
    applied.remember("district-1", "enrollments", {"enr-1": row(1), "enr-2": row(2)})
    applied.remember("named:springfield", "enrollments", {"enr-1": row(3)})

    assert applied.count("district-1", "enrollments") == 2
    assert applied.count("named:springfield", "enrollments") == 1
    assert applied.count("district-1", "guardian_links") == 0


def test_remembering_a_row_again_replaces_its_fingerprint_and_id(applied):
    applied.start("district-1", "d-1")
    applied.remember("district-1", "people", {"student-1": row(1, "p-1")})

    applied.remember("district-1", "people", {"student-1": row(5, "p-7"), "student-2": row(6, "p-8")})

    assert applied.load("district-1", "people") == {"student-1": row(5, "p-7"), "student-2": row(6, "p-8")}


def test_a_source_fingerprint_is_remembered_replaced_and_read_back_and_may_be_absent(applied):
    applied.start("district-1", "d-1")
    applied.remember("district-1", "people", {"student-1": row(1, "p-1")._replace(source=bytes([7]) * 16),
                                              "student-2": row(2, "p-2")})

    applied.remember("district-1", "people", {"student-2": row(2, "p-2")._replace(source=bytes([8]) * 16)})

    assert applied.load("district-1", "people") == {"student-1": AppliedRow(bytes([1]) * 16, "p-1", bytes([7]) * 16),
                                                    "student-2": AppliedRow(bytes([2]) * 16, "p-2", bytes([8]) * 16)}


def test_a_page_of_thousands_is_remembered_and_forgotten_in_one_go(applied):
    applied.start("district-1", "d-1")
    many = {f"enr-{n}": row(n % 256) for n in range(3 * FORGET_CHUNK)}
    applied.remember("district-1", "enrollments", many)

    applied.forget("district-1", "enrollments", [f"enr-{n}" for n in range(1, 3 * FORGET_CHUNK)])

    assert applied.load("district-1", "enrollments") == {"enr-0": row(0)}


def test_more_rows_than_one_statement_takes_are_all_remembered(applied):
    applied.start("district-1", "d-1")
    many = {f"person-{n}": row(n % 256, f"p-{n}") for n in range(2 * REMEMBER_CHUNK + 1)}

    applied.remember("district-1", "people", many)

    assert applied.load("district-1", "people") == many


def test_a_district_applied_to_another_directory_district_forgets_what_it_applied(applied):
    applied.start("district-1", "d-1")
    applied.remember("district-1", "people", {"student-1": row(1, "p-1")})
    applied.start("district-2", "d-2")
    applied.remember("district-2", "people", {"student-1": row(2, "p-2")})

    applied.start("district-1", "d-1")
    assert applied.load("district-1", "people") == {"student-1": row(1, "p-1")}
    applied.start("district-1", "d-new")
    assert applied.load("district-1", "people") == {}
    assert applied.load("district-2", "people") == {"student-1": row(2, "p-2")}


def test_nothing_is_read_or_written_for_a_district_not_started(applied):
    with pytest.raises(LookupError):
        applied.load("district-1", "people")


def compared_as_every_row_read(applied, asked, *, needs_ids):
    """District-1's people compared with `asked` by the repository, checked against every remembered row read
    whole and compared in memory; the repository's answer."""
    compared = applied.compare_sources("district-1", "people", asked, needs_ids=needs_ids)
    expected = remembered_sources(AppliedRowRepository.load(applied, "district-1", "people"), asked,
                                  needs_ids=needs_ids)
    assert (compared.differing, compared.unchanged, compared.count) == (
        expected.differing, expected.unchanged, expected.count)
    return compared


def test_source_fingerprints_compared_where_the_rows_are_kept_answer_as_every_row_read_and_compared(applied,
                                                                                                    monkeypatch):
    applied.start("district-1", "d-1")
    applied.start("named:springfield", "d-2")
    source = {n: bytes([n]) * 16 for n in range(1, 4)}
    applied.remember("district-1", "people", {
        "same": AppliedRow(bytes([1]) * 16, "p-1", source[1]),
        "same, no id": AppliedRow(bytes([2]) * 16, None, source[1]),
        "changed": AppliedRow(bytes([3]) * 16, "p-3", source[1]),
        "none remembered": AppliedRow(bytes([4]) * 16, "p-4"),
        "asked without one": AppliedRow(bytes([5]) * 16, "p-5", source[1]),
        "not asked": AppliedRow(bytes([6]) * 16, "p-6", source[1]),
    })
    applied.remember("named:springfield", "people", {"new": AppliedRow(bytes([7]) * 16, "p-7", source[2])})
    applied.remember("district-1", "accounts", {"new": AppliedRow(bytes([8]) * 16, None, source[2])})
    asked = {"same": source[1], "same, no id": source[1], "changed": source[2], "none remembered": source[1],
             "asked without one": None, "new": source[2]}
    if applied.session.get_bind().dialect.name == "postgresql":  # compared in the database, not read whole
        monkeypatch.setattr(applied, "load", lambda *_: pytest.fail("every remembered row read"))
    monkeypatch.setattr("services.rostering.adapters.applied_rows.ROWS_PER_RUN", 2)  # two remembered rows a run

    assert compared_as_every_row_read(applied, asked, needs_ids=False).unchanged == {"same": "p-1", "same, no id": None}
    compared = compared_as_every_row_read(applied, asked, needs_ids=True)
    assert compared.unchanged == {"same": "p-1"}
    assert set(compared.differing) == {"same, no id", "changed", "none remembered", "asked without one"}
    assert compared.count == 6
    nothing = applied.compare_sources("district-1", "guardian_links", asked, needs_ids=False)
    assert (nothing.differing, nothing.unchanged, nothing.count) == ({}, {}, 0)
    none_asked = applied.compare_sources("district-1", "people", {}, needs_ids=True)
    assert (none_asked.differing, none_asked.unchanged, none_asked.count) == ({}, {}, 6)


def test_keys_a_line_each_cannot_hold_are_compared_all_the_same(applied):
    applied.start("district-1", "d-1")
    applied.remember("district-1", "people", {"two\nlines": AppliedRow(bytes([1]) * 16, "p-1", bytes([9]) * 16),
                                              "plain": AppliedRow(bytes([2]) * 16, "p-2", bytes([9]) * 16)})

    compared = applied.compare_sources("district-1", "people", {"two\nlines": bytes([9]) * 16, "plain": None, "": None},
                                       needs_ids=True)

    assert compared.unchanged == {"two\nlines": "p-1"}
    assert compared.differing == {"plain": AppliedRow(bytes([2]) * 16, "p-2", bytes([9]) * 16)}


def test_thousands_of_keys_and_ids_with_tabs_quotes_backslashes_and_accents_compare_as_every_row_read(applied,
                                                                                                   monkeypatch):
    applied.start("district-1", "d-1")
    odd = ("\t", "\\", "'", '"', "\\n", "\r", ",", "é", "名", "🙂", " ", "{}", "NULL", "\\x00")
    keys = [f"{odd[n % len(odd)]}student{odd[n // len(odd) % len(odd)]}{n}" for n in range(2_500)]
    # Ids as odd as the keys (they come back in arrays): quoted, braced, "NULL" itself, empty.
    target_ids = [None if n % 7 == 0 else "" if n % 19 == 0 else "NULL" if n % 23 == 0 else
                  f"{odd[n // 3 % len(odd)]}p-{n}{odd[n % len(odd)]}" for n in range(2_500)]
    source = {n: bytes([n % 251]) * 16 for n in range(2_500)}
    applied.remember("district-1", "people", {
        row_key: AppliedRow(bytes([n % 256]) * 16, target_ids[n], None if n % 11 == 0 else source[n])
        for n, row_key in enumerate(keys) if n % 13})
    # Asked: most by the source remembered, some by another, some with none, some never remembered.
    asked = {row_key: None if n % 17 == 0 else source[n] if n % 5 else bytes([n % 256]) * 15 + b"\x00"
             for n, row_key in enumerate(keys)}
    if applied.session.get_bind().dialect.name == "postgresql":
        monkeypatch.setattr(applied, "load", lambda *_: pytest.fail("every remembered row read"))
    # The remembered rows read back in several runs.
    monkeypatch.setattr("services.rostering.adapters.applied_rows.ROWS_PER_RUN", 97)

    for needs_ids in (False, True):
        compared = compared_as_every_row_read(applied, asked, needs_ids=needs_ids)
        assert len(compared.unchanged) > 1_000 and len(compared.differing) > 500
        assert {"", "NULL"} <= set(compared.unchanged.values())  # ids an array's text could take for others
        assert (None in compared.unchanged.values()) is not needs_ids


def a_random_district(chance: random.Random, *, line_breaks: bool) -> tuple[dict[str, AppliedRow],
                                                                             dict[str, bytes | None]]:
    """Remembered people and the keys asked of them, in every relation: remembered by the source asked, by another,
    by none; asked with none; never remembered; remembered and not asked. Keys and ids odd at times (the empty
    string, quotes, with `line_breaks` a line break), ids absent or empty, sources shared by several rows."""
    odd = ("", "\t", "'", '"', "\\", ",", "{}", "NULL", "é", "🙂") + (("\n",) * 3 if line_breaks else ())
    sources = [bytes([n]) * 16 for n in range(5)]
    remembered: dict[str, AppliedRow] = {}
    asked: dict[str, bytes | None] = {}
    for n in range(chance.randrange(1, 400)):
        row_key = f"{chance.choice(odd) if chance.random() < 0.1 else ''}person-{n}"
        if chance.random() < 0.85:
            target_id = None if chance.random() < 0.15 else "" if chance.random() < 0.05 else (
                f"{chance.choice(odd) if chance.random() < 0.1 else ''}p-{n}")
            remembered[row_key] = AppliedRow(chance.randbytes(16), target_id,
                                             None if chance.random() < 0.1 else chance.choice(sources))
        if chance.random() < 0.9:
            asked[row_key] = None if chance.random() < 0.05 else chance.choice(sources)
    return remembered, asked


@pytest.mark.parametrize("seed", range(12))
def test_random_districts_compare_as_every_row_read_in_runs_of_any_size_and_by_key(applied, monkeypatch, seed):
    chance = random.Random(seed)
    line_breaks = seed % 3 == 0  # which the columns cannot hold: every row read whole then
    remembered, asked = a_random_district(chance, line_breaks=line_breaks)
    if applied.session.get_bind().dialect.name == "postgresql" and not line_breaks:
        monkeypatch.setattr(applied, "load", lambda *_: pytest.fail("every remembered row read"))
    applied.start("district-1", "d-1")
    applied.remember("district-1", "people", remembered)
    applied.remember("district-1", "accounts", {"not people": AppliedRow(bytes(16), None, bytes(16))})
    monkeypatch.setattr("services.rostering.adapters.applied_rows.ROWS_PER_RUN", chance.choice((1, 7, 50, 50_000)))

    for by_key_below in (0, 10):  # every remembered row read; only the rows of the keys asked
        monkeypatch.setattr("services.rostering.adapters.applied_rows.BY_KEY_BELOW", by_key_below)
        for needs_ids in (False, True):
            for some in (asked, dict(chance.sample(sorted(asked.items()), len(asked) // 3))):
                compared = compared_as_every_row_read(applied, some, needs_ids=needs_ids)
                assert compared.asked is some

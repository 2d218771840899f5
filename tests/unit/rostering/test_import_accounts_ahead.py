"""The accounts' source fingerprints are worked out while the people's pages are in flight (ImportPorts.ahead), for
the people whose directory ids are remembered; the accounts' stage reuses each one only when the directory confirms
the id it was made with. Whether the work runs ahead or when asked, an import sends and remembers the same."""
import pytest
from rostering_builders import make_guardian, make_snapshot, make_staff, make_student
from rostering_fakes import AHEAD_WAYS, importer_starting_ahead

from services.rostering.domain import mapping, stage_summaries
from services.rostering.domain.applied_rows import (
    AppliedRow,
    SendPlan,
    Sourced,
    remembered_ids,
    sourced_ahead,
    sourced_as_now,
)


@pytest.fixture(params=AHEAD_WAYS)
def run_import(request):
    return importer_starting_ahead(request.param)


def district(**student_changes):
    """The builders' district with raw-cell digests, as a package's reader gives them."""
    student = make_student(**{"source_digest": b"student-1-cells", **student_changes})
    return make_snapshot(people=(student, make_staff(source_digest=b"teacher-1-cells"),
                                 make_guardian(source_digest=b"guardian-1-cells")))


def sent_accounts(importer):
    return [row["person_id"] for _, page in importer.identity.calls if "accounts" in page
            for row in page["accounts"]]


def test_a_changed_person_sends_their_account_and_the_others_nothing(run_import):
    run_import(district())
    run_import.identity.calls.clear()

    again = run_import(district(given_name="Augusta", source_digest=b"student-1-new-cells"))

    person_id = run_import.directory.saved_ids("upsert_people")["student-1"]
    assert sent_accounts(run_import) == [person_id]
    assert again["counts"]["accounts"] == {"created": 0, "updated": 1, "unchanged": 2, "skipped": 0, "failed": 0}


def test_a_person_the_directory_made_anew_gets_the_account_of_their_new_id(run_import):
    run_import(district())
    old_id = run_import.directory.saved_ids("upsert_people")["student-1"]
    # The directory lost the record (restored from an older backup): the next upsert creates it with a new id.
    del run_import.directory.saved[("upsert_people", "student-1")]
    run_import.identity.calls.clear()

    again = run_import(district(given_name="Augusta", source_digest=b"student-1-new-cells"))

    new_id = run_import.directory.saved_ids("upsert_people")["student-1"]
    assert new_id != old_id
    assert sent_accounts(run_import) == [new_id]
    assert again["counts"]["accounts"]["created"] == 1
    # Remembered by the fingerprint made with the new id, not one made ahead with the old.
    school_ids = run_import.directory.saved_ids("upsert_schools")
    assert run_import.applied.rows[("district-1", "accounts")][new_id].source == mapping.account_source(
        district(given_name="Augusta", source_digest=b"student-1-new-cells").people[0], new_id, ("school-1",),
        school_ids, "district-1", "US")


def test_remembered_ids_are_the_kept_ones_and_those_remembered_for_rows_about_to_go():
    plan = SendPlan(to_send=[{}, {}, {}], fingerprints={"changed": b"f", "new": b"g", "without-id": b"h"},
                    kept_ids={"unchanged": "id-1"}, unsent=1, keys=frozenset())
    remembered = {"changed": AppliedRow(b"old", "id-2"), "without-id": AppliedRow(b"old", None)}

    assert remembered_ids(plan, remembered) == {"unchanged": "id-1", "changed": "id-2"}


def test_records_sourced_ahead_by_known_ids_pause_between_chunks_and_are_brought_up_to_the_ids_answered(monkeypatch):
    monkeypatch.setattr("services.rostering.domain.applied_rows.SOURCES_CHUNK", 2)
    pauses, sourced = [], []

    def sources(records, target_ids):
        sourced.extend(records)
        return [None if target_id is None else f"{record}:{target_id}".encode()
                for record, target_id in zip(records, target_ids)]

    made = sourced_ahead(["a", "b", "c", "d", "e"], key=str.upper, ids={"A": "id-a", "C": "id-c", "E": "id-e"},
                         sources=sources, pause=lambda: pauses.append(1))

    assert made == [Sourced("a", "id-a", b"a:id-a"), Sourced("b", None, None), Sourced("c", "id-c", b"c:id-c"),
                    Sourced("d", None, None), Sourced("e", "id-e", b"e:id-e")]
    assert len(pauses) == 2
    sourced.clear()
    # The answers: b is new, c was made anew with another id, e was refused; a and d are as made.
    now = sourced_as_now(made, key=str.upper, ids={"A": "id-a", "B": "id-b", "C": "id-c2"}, sources=sources)

    assert now == [Sourced("a", "id-a", b"a:id-a"), Sourced("b", "id-b", b"b:id-b"), Sourced("c", "id-c2", b"c:id-c2"),
                   Sourced("d", None, None), Sourced("e", None, None)]
    assert sourced == ["b", "c", "e"]


def test_a_summary_made_ahead_pauses_between_its_chunks_and_is_the_same(monkeypatch):
    monkeypatch.setattr("services.rostering.domain.mapping.PAGE_ROWS", 2)
    snapshot = make_snapshot(enrollments=tuple(make_snapshot().enrollments[0]._replace(source_id=f"enr-{n}")
                                               for n in range(5)))
    pauses = []

    paused = stage_summaries.enrollments_summary(snapshot, [], pause=lambda: pauses.append(1))

    assert paused == stage_summaries.enrollments_summary(snapshot, [])
    assert len(pauses) == 3  # after each of the three chunks

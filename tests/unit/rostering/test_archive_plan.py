"""What a run archives: what a full file no longer lists, and tombstones, each with file, line and reason."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from rostering_builders import make_class, make_enrollment, make_snapshot, make_student
from rostering_fakes import FakeAppliedRows

from services.rostering import archiving
from services.rostering.domain.applied_rows import AppliedRow
from services.rostering.domain.archive_plan import (
    ARCHIVED_ENTITIES,
    ENTITY_OF_FILE,
    FILE_OF,
    ArchiveRow,
    digest,
    link_key,
    listed_keys,
    plan_archives,
    split_link_keys,
)
from services.rostering.domain.snapshot import BULK, DELTA, GuardianLink, PackageFile, Tombstone

REMEMBERED = {
    "people": {"student-1", "teacher-1", "guardian-1", "student-2", "guardian-2"},
    "classrooms": {"class-1", "class-2"},
    "enrollments": {"enr-1", "enr-2", "enr-3"},
    "guardian_links": {"guardian-1:student-1", "guardian-2:student-2"},
}


def files(mode: str) -> tuple[PackageFile, ...]:
    return tuple(PackageFile(name, mode, 10) for name in ("classes.csv", "users.csv", "enrollments.csv"))


def keys(rows) -> set[tuple[str, str]]:
    return {(row.entity, row.key) for row in rows}


def test_what_a_full_file_no_longer_lists_is_archived_with_the_reason():
    rows = plan_archives(make_snapshot(files=files(BULK)), REMEMBERED)

    assert keys(rows) == {("people", "student-2"), ("people", "guardian-2"), ("classrooms", "class-2"),
                          ("enrollments", "enr-3"), ("guardian_links", "guardian-2:student-2")}
    assert ArchiveRow("people", "student-2", "users.csv", None, "no longer in the full users.csv") in rows
    # People first: their enrollments and links then change no current audience.
    assert [row.entity for row in rows] == ["people", "people", "classrooms", "enrollments", "guardian_links"]


def test_a_delta_archives_only_its_tombstones_and_names_their_lines():
    tombstones = (Tombstone("users.csv", 7, "student-2", "tobedeleted", None),
                  Tombstone("enrollments.csv", 3, "enr-3", "tobedeleted", None),
                  Tombstone("orgs.csv", 2, "school-9", "tobedeleted", None))
    rows = plan_archives(make_snapshot(files=files(DELTA), tombstones=tombstones), REMEMBERED)

    assert rows == [ArchiveRow("people", "student-2", "users.csv", 7, "marked tobedeleted in users.csv"),
                    ArchiveRow("enrollments", "enr-3", "enrollments.csv", 3, "marked tobedeleted in enrollments.csv")]


def test_a_tombstone_for_a_record_the_same_run_lists_archives_nothing():
    tombstones = (Tombstone("users.csv", 9, "student-1", "tobedeleted", None),)
    assert plan_archives(make_snapshot(files=files(DELTA), tombstones=tombstones), REMEMBERED) == []


def test_a_file_not_read_as_a_whole_archives_nothing_it_does_not_list():
    unread = tuple(PackageFile(name, BULK, 0, read=False) for name in ("classes.csv", "users.csv",
                                                                        "enrollments.csv"))
    assert plan_archives(make_snapshot(files=unread), REMEMBERED) == []


def test_link_keys_split_where_both_halves_are_people_even_when_ids_hold_the_separator():
    people = frozenset({"g:1", "s:1", "g", "s"})
    assert split_link_keys([link_key("g:1", "s:1"), link_key("g", "s"), "x:y"], people) == {
        "g:1:s:1": ("g:1", "s:1"), "g:s": ("g", "s")}


@given(st.lists(st.tuples(st.sampled_from(["people", "enrollments"]), st.text(min_size=1, max_size=5)),
                max_size=20))
def test_the_digest_names_the_set_of_archives_whatever_their_order(pairs):
    rows = [ArchiveRow(entity, key, "users.csv", None, "gone") for entity, key in pairs]
    assert digest(rows) == digest(list(reversed(rows)))
    assert digest(rows) == digest(rows + rows[:1])


# Short ids of a letter and the separator, so that keys repeat, tombstones meet listed and remembered
# keys, and link keys split more than one way.
IDS = st.text(alphabet="a:", min_size=1, max_size=3)
ENTITY_FILES = ("users.csv", "classes.csv", "enrollments.csv")


def whole_sets_plan(snapshot, remembered: dict[str, set[str]]) -> tuple[list[ArchiveRow], dict]:
    """The plan as it was made before it went an entity at a time: every entity's listed keys as sets at once,
    rows sorted across all entities, link keys split by every remembered or listed person key."""
    listed = {"people": {p.source_id for p in snapshot.people}, "classrooms": {c.source_id for c in snapshot.classes},
              "enrollments": {e.source_id for e in snapshot.enrollments},
              "guardian_links": {link_key(g.guardian_source_id, g.student_source_id) for g in snapshot.guardian_links}}
    rows = {}
    for tombstone in snapshot.tombstones:
        entity = ENTITY_OF_FILE.get(tombstone.file)
        if entity is not None and tombstone.source_id not in listed[entity]:
            rows.setdefault((entity, tombstone.source_id), ArchiveRow(
                entity, tombstone.source_id, tombstone.file, tombstone.line,
                f"marked {tombstone.status} in {tombstone.file}"))
    for entity in ARCHIVED_ENTITIES:
        if FILE_OF[entity] in snapshot.full_snapshot_files:
            for key in sorted(remembered[entity] - listed[entity]):
                rows.setdefault((entity, key), ArchiveRow(entity, key, FILE_OF[entity], None,
                                                          f"no longer in the full {FILE_OF[entity]}"))
    planned = sorted(rows.values(), key=lambda row: (ARCHIVED_ENTITIES.index(row.entity), row.key))
    person_keys = frozenset(remembered["people"] | listed["people"])
    links = [row.key for row in planned if row.entity == "guardian_links"]
    return planned, split_link_keys(links, person_keys)


@st.composite
def snapshots_and_remembered(draw):
    modes = draw(st.fixed_dictionaries({name: st.sampled_from([BULK, DELTA, "unread"]) for name in ENTITY_FILES}))
    files = tuple(PackageFile(name, BULK if mode == "unread" else mode, 3, read=mode != "unread")
                  for name, mode in modes.items())
    tombstones = tuple(Tombstone(draw(st.sampled_from(ENTITY_FILES + ("orgs.csv",))), line, source_id,
                                 "tobedeleted", None)
                       for line, source_id in enumerate(draw(st.lists(IDS, max_size=6)), start=2))
    snapshot = make_snapshot(
        files=files, tombstones=tombstones,
        people=tuple(make_student(source_id=key) for key in draw(st.lists(IDS, max_size=8))),
        classes=tuple(make_class(source_id=key) for key in draw(st.lists(IDS, max_size=4))),
        enrollments=tuple(make_enrollment(source_id=key) for key in draw(st.lists(IDS, max_size=8))),
        guardian_links=tuple(GuardianLink(g, s) for g, s in draw(st.lists(st.tuples(IDS, IDS), max_size=6))))
    remembered = {entity: draw(st.sets(IDS, max_size=8)) for entity in ("people", "classrooms", "enrollments")}
    remembered["guardian_links"] = {link_key(g, s) for g, s in draw(st.sets(st.tuples(IDS, IDS), max_size=8))}
    return snapshot, remembered


@given(snapshots_and_remembered(), st.booleans())
def test_the_plan_made_an_entity_at_a_time_is_the_plan_made_from_every_entity_at_once(drawn, listed_as_last_time):
    snapshot, remembered = drawn
    if listed_as_last_time:  # as a completed run leaves it: what it listed, and the digests of its listings
        remembered = {entity: set(listed_keys(snapshot, entity)) for entity in ARCHIVED_ENTITIES}
    applied = FakeAppliedRows()
    applied.start("district-1", "district-id-1")
    for entity, keys in remembered.items():
        applied.remember("district-1", entity, {key: AppliedRow(b"f", None) for key in keys})
    if listed_as_last_time:
        applied.remember("district-1", archiving.LISTED_KEYS, {
            entity: AppliedRow(listed, None)
            for entity, listed in archiving.plan(snapshot, applied, "district-1").listed_digests.items()})

    archives = archiving.plan(snapshot, applied, "district-1")

    assert (archives.rows, archives.link_pairs) == whole_sets_plan(snapshot, remembered)

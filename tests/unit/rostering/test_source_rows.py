"""Source fingerprints: a row built from one source record is skipped, unbuilt, while its record, what it takes
from other records and the reading rules' version are all as remembered; never otherwise."""
import pytest
from oneroster_builders import make_guardian_row, make_teacher_row, make_user_row, people_by_id, write_package
from rostering_builders import make_person

from services.rostering.adapters.sources.oneroster_csv.reader import read_package
from services.rostering.domain import mapping, source_rows
from services.rostering.domain.applied_rows import AppliedRow, applied_by, fingerprint, plan_sends_from_sources
from services.rostering.domain.source_rows import raw_cells_hasher, source_fingerprint

HEADER = ["sourcedId", "givenName", "familyName"]
CELLS = ["student-1", "Ada", "Lovelace", ""]


def never_built(record):
    raise AssertionError(f"{record} was built though its source fingerprint is unchanged")


def people_plan(records, applied, *, build=None, needs_ids=True):
    schools = {"student-1": ("school-1",), "student-2": ("school-1",)}
    return plan_sends_from_sources(
        records, key=lambda person: person.source_id,
        source=lambda person: mapping.person_source(person, schools[person.source_id]),
        build=build or (lambda person: mapping.person_row(person, schools[person.source_id])),
        applied=applied, needs_ids=needs_ids)


def remembered_after_sending(records):
    """What a first import remembers: every row sent and saved, with its id and source fingerprint."""
    plan = people_plan(records, {})
    results = [{"key": row["source_id"], "outcome": "created", "id": f"id-{row['source_id']}"}
               for row in plan.to_send]
    return applied_by(results, plan.fingerprints, sources=plan.sources)


def test_raw_cells_digest_changes_with_any_cell_and_with_the_header():
    digest = raw_cells_hasher(HEADER)

    assert digest(list(CELLS)) == digest(list(CELLS))
    assert digest(["student-1", "Augusta", "Lovelace", ""]) != digest(CELLS)
    assert digest(["student-1", "Ada", "Lovelace", " "]) != digest(CELLS)
    # The same cells under other columns say other things.
    assert raw_cells_hasher(["sourcedId", "familyName", "givenName"])(CELLS) != digest(CELLS)


def test_the_reading_rules_version_is_part_of_every_source_fingerprint(monkeypatch):
    before = source_fingerprint(b"raw", ("school-1",))
    monkeypatch.setattr(source_rows, "READING_VERSION", source_rows.READING_VERSION + 1)

    assert source_fingerprint(b"raw", ("school-1",)) != before


def test_a_change_to_the_reading_code_changes_every_source_fingerprint_without_a_version_raised(tmp_path,
                                                                                             monkeypatch):
    before = source_fingerprint(b"cells", ("student",))
    edited = tmp_path / "mapping.py"
    edited.write_text("# a new rule for emails\n")
    monkeypatch.setattr(source_rows, "_READING_CODE", (*source_rows._READING_CODE, edited))
    source_rows.reading_code.cache_clear()
    try:
        assert source_fingerprint(b"cells", ("student",)) != before
    finally:
        source_rows.reading_code.cache_clear()


def test_the_reading_code_covers_the_mapping_and_the_credential_rules():
    names = {path.name for path in source_rows._READING_CODE}
    assert {"mapping.py", "user_reader.py", "values.py", "credentials.py"} <= names


def test_a_record_whose_source_fingerprint_is_remembered_is_not_built_and_still_counts_as_listed():
    ada = make_person(source_digest=b"ada-cells")
    applied = remembered_after_sending([ada])

    plan = people_plan([ada], applied, build=never_built)

    assert plan.to_send == [] and plan.unsent == 1
    assert plan.keys == {"student-1"}  # listed: nothing archives it
    assert plan.kept_ids == {"student-1": "id-student-1"}


def test_a_changed_source_record_is_never_skipped():
    applied = remembered_after_sending([make_person(source_digest=b"ada-cells")])

    plan = people_plan([make_person(given_name="Augusta", source_digest=b"augusta-cells")], applied)

    assert [row["given_name"] for row in plan.to_send] == ["Augusta"]
    assert plan.sources == {"student-1": mapping.person_source(
        make_person(source_digest=b"augusta-cells"), ("school-1",))}


def test_what_a_row_takes_from_other_records_is_part_of_its_source_fingerprint():
    ada = make_person(source_digest=b"ada-cells")
    applied = remembered_after_sending([ada])

    # Same users.csv cells, but roles.csv now gives another role: the row is built and compared.
    plan = people_plan([ada._replace(roles=("student", "aide"), kinds=ada.kinds | {"staff"})], applied)

    assert [row["kinds"] for row in plan.to_send] == [["student", "staff"]]


def test_a_mapping_change_with_its_version_raised_builds_every_row_again(monkeypatch):
    ada = make_person(source_digest=b"ada-cells")
    applied = remembered_after_sending([ada])
    monkeypatch.setattr(source_rows, "READING_VERSION", source_rows.READING_VERSION + 1)

    # The new rule sends the middle initial; the remembered source fingerprint was made under the old one.
    plan = people_plan([ada], applied,
                       build=lambda person: {**mapping.person_row(person, ("school-1",)), "middle_initial": "B"})

    assert [row["middle_initial"] for row in plan.to_send] == ["B"]


def test_a_row_unchanged_by_what_it_sends_but_without_a_remembered_source_fingerprint_gets_one_unsent():
    ada = make_person(source_digest=b"ada-cells")
    row = mapping.person_row(ada, ("school-1",))
    applied = {"student-1": AppliedRow(fingerprint(row), "id-student-1")}  # remembered before this change

    plan = people_plan([ada], applied)

    assert plan.to_send == [] and plan.unsent == 1
    assert plan.resourced == {"student-1": AppliedRow(fingerprint(row), "id-student-1",
                                                      mapping.person_source(ada, ("school-1",)))}
    assert people_plan([ada], {**applied, **plan.resourced}, build=never_built).unsent == 1


def test_a_record_without_a_source_digest_is_always_built():
    # A person merged from two users.csv rows has no one record's cells to stand for it.
    merged = make_person(source_digest=None)
    applied = remembered_after_sending([merged])

    plan = people_plan([merged], applied)

    assert plan.unsent == 1 and plan.resourced == {} and plan.sources == {}


def test_a_remembered_row_without_the_id_a_later_stage_needs_is_built_and_sent():
    ada = make_person(source_digest=b"ada-cells")
    applied = {key: row._replace(target_id=None) for key, row in remembered_after_sending([ada]).items()}

    plan = people_plan([ada], applied)

    assert [row["source_id"] for row in plan.to_send] == ["student-1"]


def test_a_record_that_makes_no_row_is_neither_sent_nor_listed():
    plan = people_plan([make_person(source_digest=b"ada-cells")], {}, build=lambda person: None)

    assert (plan.to_send, plan.unsent, plan.keys) == ([], 0, frozenset())


@pytest.mark.parametrize("change", [
    {"person_id": "person-9"}, {"schools": ("school-2",)}, {"school_ids": {"school-1": "s-9"}},
    {"district": "district-9"}, {"region": "GB"},
])
def test_an_accounts_source_fingerprint_follows_every_id_and_setting_the_account_takes(change):
    ada = make_person(source_digest=b"ada-cells")
    given = {"person_id": "person-1", "schools": ("school-1",), "school_ids": {"school-1": "s-1"},
             "district": "district-1", "region": "US"}

    def source(values):
        return mapping.account_source(ada, values["person_id"], values["schools"], values["school_ids"],
                                      values["district"], values["region"])

    assert source({**given, **change}) != source(given)
    assert mapping.account_source(ada, None, ("school-1",), {}, None, "US") is None


def read_people(tmp_path, users):
    write_package(tmp_path, users=users)
    return people_by_id(read_package(tmp_path))


def test_a_users_csv_record_is_read_with_the_digest_of_its_cells_and_a_changed_cell_changes_it(tmp_path):
    first = read_people(tmp_path / "first", [make_teacher_row(), make_user_row()])
    again = read_people(tmp_path / "again", [make_teacher_row(), make_user_row()])
    renamed = read_people(tmp_path / "renamed", [make_teacher_row(), make_user_row(givenName="Augusta")])

    assert first["student-1"].source_digest is not None
    assert again["student-1"].source_digest == first["student-1"].source_digest
    assert renamed["student-1"].source_digest != first["student-1"].source_digest
    assert renamed["teacher-1"].source_digest == first["teacher-1"].source_digest


def test_a_person_read_from_two_users_csv_records_has_no_source_digest(tmp_path):
    people = read_people(tmp_path, [make_teacher_row(email="grace@lincoln.k12.us", sms=""), make_user_row(),
                                    make_guardian_row(sourcedId="parent-7", givenName="Grace", familyName="Hopper",
                                                      email="GRACE@lincoln.k12.us")])

    assert people["teacher-1"].source_digest is None
    assert people["student-1"].source_digest is not None


def test_a_stages_fingerprints_equal_one_made_alone_and_tell_every_part_apart(monkeypatch):
    shared = (("student",), ("school-1",), ("school-1",))
    alone = source_fingerprint(b"cells", shared, "person-1")
    # A memo holding two contexts at most is refilled as the stage goes on: answers never depend on it.
    monkeypatch.setattr(source_rows, "SHARED_CONTEXTS", 2)
    stage = source_rows.SourceFingerprints()

    made = [stage(b"cells", context, own) for context in (shared, ("a",), ("b",), shared)
            for own in ("person-1", None)]

    assert made[0] == made[6] == alone
    assert len(set(made[:6])) == 6  # each context, with an own part and without, differs
    assert stage(b"cells", shared) != stage(b"other", shared)
    # The own part and the shared context never run into each other.
    assert stage(b"cells", ("ab",), "c") != stage(b"cells", ("a",), "bc")
    assert stage(b"cells", ("person-1",)) != stage(b"cells", (), "person-1")

"""An import after random edits to a package leaves the directory and identity as a first import of the edited
package would, and reports the same findings: rows skipped as unchanged never hide a change or a problem."""
import csv
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rostering_fakes import Importer

from services.rostering.adapters.sources.oneroster_csv.generator import Scale, write_district
from services.rostering.adapters.sources.oneroster_csv.reader import read_package

TINY = Scale(schools=2, students=8, guardians=10, staff=4, classes=4, classes_per_student=2)
EDITED_FILES = ("users.csv", "enrollments.csv", "classes.csv")
# Values that move a row between outcomes: valid and invalid credentials, roles of each kind, ids of nothing.
CELL_VALUES = ("", "Ann", "ann@lincoln.example.org", "not-an-email", "315-271-6632", "555-0100", "student",
               "guardian", "teacher", "parent", "sch-001", "sch-002", "stu-00000", "nobody", "tobedeleted",
               "false", "2026-09-01")
DROP = None


def edits() -> st.SearchStrategy:
    """(file, row number, column number or DROP, new value): rows and columns are taken modulo the file's."""
    return st.lists(st.tuples(st.sampled_from(EDITED_FILES), st.integers(0, 1000),
                              st.one_of(st.none(), st.integers(0, 30)), st.sampled_from(CELL_VALUES)),
                    min_size=1, max_size=6)


def edited_copy(package: Path, target: Path, changes: list) -> Path:
    target.mkdir()
    for source in package.iterdir():
        (target / source.name).write_bytes(source.read_bytes())
    for name, row_number, column, value in changes:
        with (target / name).open(newline="", encoding="utf-8") as file:
            header, *rows = list(csv.reader(file))
        if rows:
            row = row_number % len(rows)
            if column is DROP:
                del rows[row]
            else:
                rows[row][column % len(header)] = value
        with (target / name).open("w", newline="", encoding="utf-8") as file:
            csv.writer(file, lineterminator="\r\n").writerows([header, *rows])
    return target


def imported(importer: Importer, package: Path) -> dict:
    run = importer(read_package(package))
    assert run["state"] == "completed", run.get("message")
    return run


def held_now(importer: Importer) -> dict:
    """What the directory and identity hold and have not archived, with their ids told back as source ids."""
    directory, identity = importer.directory, importer.identity
    source_of = {item_id: key for method in ("upsert_people", "upsert_schools")
                 for key, item_id in directory.saved_ids(method).items()}
    archived_people = {key for entity, key in directory.archived if entity == "people"}
    entity_of = {"upsert_people": "people", "upsert_classrooms": "classrooms", "upsert_enrollments": "enrollments",
                 "upsert_guardian_links": "guardian_links", "upsert_schools": "schools"}
    held = {(method, key): item["row"] for (method, key), item in directory.saved.items()
            if (entity_of[method], key) not in directory.archived}
    for (_, person_id), item in identity.saved.items():
        person = source_of[person_id]
        if person in archived_people:
            continue
        account = dict(item["row"], person_id=person, roles=[
            {**role, "school_ids": [source_of[school] for school in role["school_ids"]]}
            for role in item["row"]["roles"]])
        held[("upsert_accounts", person)] = account
    return held


def findings(run: dict) -> tuple[list, list]:
    def ordered(rows: list[dict]) -> list:
        return sorted(map(repr, rows))

    return ordered(run["errors"]), ordered(run["warnings"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(seed=st.integers(0, 3), changes=edits())
def test_an_import_after_random_edits_holds_and_reports_what_a_first_import_of_the_edited_package_would(
        tmp_path_factory, seed: int, changes: list):
    folder = tmp_path_factory.mktemp("packages")
    package = write_district(folder / "original", scale=TINY, seed=seed)
    edited = edited_copy(package, folder / "edited", changes)
    again = Importer()
    imported(again, package)
    again.allow_archiving_up_to(1.0)  # edits to a package this small archive a large share of it
    first = Importer()

    after_edits = imported(again, edited)
    first_of_edited = imported(first, edited)

    assert held_now(again) == held_now(first)
    assert findings(after_edits) == findings(first_of_edited)

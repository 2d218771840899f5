"""A full file listing exactly the keys the last completed run's listed has nothing to archive: its remembered
keys are not read. A run that changes anything and does not complete leaves the next one reading them again."""
from __future__ import annotations

import pytest
from nameko.exceptions import RemoteError
from rostering_builders import make_snapshot, make_student
from rostering_fakes import Importer, entities_read

from services.rostering.archiving import LISTED_KEYS
from services.rostering.domain.snapshot import BULK, PackageFile

BULK_FILES = tuple(PackageFile(name, BULK, 3) for name in ("orgs.csv", "classes.csv", "users.csv", "enrollments.csv"))


@pytest.fixture
def run_import():
    return Importer()


def district(count: int):
    students = tuple(make_student(source_id=f"student-{n}", identifier=f"S{n}") for n in range(1, count + 1))
    return make_snapshot(files=BULK_FILES, people=students, enrollments=(), guardian_links=())


def archived(run_import, entity: str) -> set[str]:
    return {key for kind, key in run_import.directory.archived if kind == entity}


def test_full_files_listing_the_same_keys_as_the_last_completed_run_read_no_remembered_keys(run_import):
    run_import(district(20))
    read = entities_read(run_import.applied, "keys")

    again = run_import(district(20))

    assert read == [] and again["state"] == "completed" and again["diff"] is None


def test_a_key_listed_no_more_is_still_archived(run_import):
    run_import.allow_archiving_up_to(1.0)
    run_import(district(20))
    read = entities_read(run_import.applied, "keys")

    run_import(district(19))

    assert "people" in read
    assert archived(run_import, "people") == {"student-20"}
    assert run_import.applied.remembered("people") == {f"student-{n}" for n in range(1, 20)}


def test_a_run_that_fails_part_way_leaves_the_next_one_reading_what_it_remembered(run_import):
    run_import.allow_archiving_up_to(1.0)
    run_import(district(20))
    # One student more is applied, and the run fails before it completes.
    run_import.identity.broken["upsert_accounts"] = RemoteError("OperationalError", "database is gone")
    assert run_import(district(21))["state"] == "failed"
    assert run_import.applied.remembered(LISTED_KEYS) == set()
    del run_import.identity.broken["upsert_accounts"]

    run_import(district(20))

    assert archived(run_import, "people") == {"student-21"}

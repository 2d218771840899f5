"""The generated district laid out as a ClassLink tenant and as a Clever district reads, through the sources'
own rules, as the same roster as the CSV package: what the provider sync rows measure is the same work."""
from __future__ import annotations

import json

import pytest

from bench.stages.provider_rosters import classlink_roster, clever_roster
from services.rostering.adapters.sources.clever.oneroster_objects import roster_of
from services.rostering.adapters.sources.oneroster_csv.generator import Scale, write_district
from services.rostering.adapters.sources.oneroster_csv.reader import read_package
from services.rostering.adapters.sources.rest_roster import snapshot_of
from services.rostering.domain.package_files import V1_1, V1_2

TINY = Scale(schools=2, students=300, guardians=400, staff=30, classes=20, classes_per_student=3)


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    return write_district(tmp_path_factory.mktemp("district") / "full", scale=TINY, seed=3)


def _shape(snapshot):
    return {"people": {p.source_id for p in snapshot.people},
            "students": {p.source_id for p in snapshot.people if "student" in p.kinds},
            "guardians": {p.source_id for p in snapshot.people if "guardian" in p.kinds},
            "classes": {c.source_id for c in snapshot.classes},
            "enrollments": {(e.person_source_id, e.class_source_id) for e in snapshot.enrollments},
            "guardian_links": {(g.guardian_source_id, g.student_source_id) for g in snapshot.guardian_links}}


def _fetched(version, collections):
    # Through JSON, as the fake answers and the source keeps it.
    return {"version": version, "delta": False, "collections": json.loads(json.dumps(collections))}


def test_the_classlink_tenant_reads_as_the_package_does(package):
    expected = read_package(package)
    read = snapshot_of(_fetched(V1_1, classlink_roster(package)), "US")
    assert _shape(read) == _shape(expected)
    by_id = {p.source_id: p for p in read.people}
    # The tenant lists people by id, the package staff first: only their positions differ, and the digests of
    # their raw records (JSON laid out as cells under the tenant's own columns, not the package's).
    assert all(by_id[p.source_id]._replace(line=p.line, source_digest=p.source_digest) == p for p in expected.people)
    assert len(read.problems) == len(expected.problems)


def test_the_clever_district_reads_as_the_same_people_classes_enrollments_and_guardian_links(package):
    clever = clever_roster(package)
    assert all([o["id"] for o in objects] == sorted(o["id"] for o in objects) for objects in clever.values())
    collections = roster_of(districts=clever["districts"], schools=clever["schools"], terms=clever["terms"],
                            sections=clever["sections"], users=clever["users"])
    read = snapshot_of(_fetched(V1_2, collections), "US")
    assert _shape(read) == _shape(read_package(package))

"""The district generator: a valid OneRoster 1.1 package, byte-identical per seed, messy on purpose."""
import zipfile
from collections import Counter
from dataclasses import replace

import pytest

from services.rostering.adapters.sources.oneroster_csv.generator import SCALES, write_district
from services.rostering.adapters.sources.oneroster_csv.reader import read_package

TINY = replace(SCALES["small"], schools=2, students=200, guardians=300, staff=30, classes=40)


def folder_bytes(folder):
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def small_district(tmp_path_factory):
    folder = write_district(tmp_path_factory.mktemp("small") / "district", scale=SCALES["small"], seed=7)
    return folder, read_package(folder)


def test_the_same_seed_writes_the_same_bytes(tmp_path):
    first = write_district(tmp_path / "a", scale=TINY, seed=3)
    second = write_district(tmp_path / "b", scale=TINY, seed=3)

    assert folder_bytes(first) == folder_bytes(second)


def test_another_seed_writes_another_district(tmp_path):
    first = write_district(tmp_path / "a", scale=TINY, seed=3)
    second = write_district(tmp_path / "b", scale=TINY, seed=4)

    assert folder_bytes(first)["users.csv"] != folder_bytes(second)["users.csv"]


def test_a_zip_is_byte_identical_per_seed_and_holds_the_same_files(tmp_path):
    first = write_district(tmp_path / "a.zip", scale=TINY, seed=3)
    second = write_district(tmp_path / "b.zip", scale=TINY, seed=3)
    folder = write_district(tmp_path / "folder", scale=TINY, seed=3)

    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert {name: archive.read(name) for name in archive.namelist()} == folder_bytes(folder)


def test_the_small_district_has_the_scale_it_promises(small_district):
    _, snapshot = small_district

    counts = snapshot.counts()
    assert (counts["schools"], counts["students"], counts["guardians"], counts["staff"], counts["classes"]) == (
        4, 2000, 3000, 200, 400)
    assert counts["enrollments"] == 2000 * 5 + 400  # five classes a student, one teacher a class
    assert counts["guardian_links"] == 4000  # two guardians a student, second guardians shared by siblings
    assert {p.job_title for p in snapshot.people if "staff" in p.kinds} == {"Administrator", "Teacher", "Aide"}


def test_it_reads_as_a_valid_1_1_bulk_package_whose_only_errors_are_the_planted_credentials(small_district):
    _, snapshot = small_district

    assert snapshot.version == "1.1" and {f.mode for f in snapshot.files} == {"bulk"}
    assert snapshot.warnings == ()
    assert {p.column for p in snapshot.problems} <= {"email", "sms", "phone"}
    assert all(p.reason.endswith("value ignored, row kept") for p in snapshot.problems)


def test_about_one_percent_of_emails_and_phones_are_invalid_on_purpose(small_district):
    folder, snapshot = small_district
    written = Counter()
    for person in snapshot.people:
        written["email"] += bool(person.email) or "email" in person.invalid_fields
        written["phone"] += sum(bool(getattr(person, f)) or f in person.invalid_fields
                                for f in ("mobile_phone", "home_phone"))
    invalid = Counter("email" if p.column == "email" else "phone" for p in snapshot.problems)

    assert 0.004 < invalid["email"] / written["email"] < 0.02
    assert 0.004 < invalid["phone"] / written["phone"] < 0.02


def test_about_five_percent_of_guardian_mobiles_are_shared_by_two_guardians(small_district):
    _, snapshot = small_district
    mobiles = Counter(p.mobile_phone for p in snapshot.people if "guardian" in p.kinds and p.mobile_phone)

    shared = sum(count for count in mobiles.values() if count == 2)

    assert 0.03 < shared / sum(mobiles.values()) < 0.08
    assert max(mobiles.values()) == 2


def test_every_student_has_two_linked_guardians(small_district):
    _, snapshot = small_district
    guardians_of = Counter(link.student_source_id for link in snapshot.guardian_links)

    assert set(guardians_of.values()) == {2}
    assert len(guardians_of) == 2000

"""The pure parts of the platform stages: the delta package and the search terms."""
from __future__ import annotations

import csv

from bench.stages.search import name_prefixes
from bench.stages.sync import delta_package
from services.rostering.domain.generator import Scale, write_district

TINY = Scale(schools=2, students=300, guardians=400, staff=30, classes=20, classes_per_student=3)


def _users(folder):
    with (folder / "users.csv").open(newline="", encoding="utf-8") as users:
        return list(csv.DictReader(users))


def test_the_delta_package_changes_one_user_in_a_hundred(tmp_path):
    package = write_district(tmp_path / "full", scale=TINY, seed=3)
    delta = delta_package(package, tmp_path / "delta")
    before, after = _users(package), _users(delta)
    changed = [new for old, new in zip(before, after) if old != new]
    assert len(after) == len(before)
    assert len(changed) == len(before[::100])
    assert all(new["sourcedId"] == old["sourcedId"] for old, new in zip(before, after))
    assert {path.name for path in delta.iterdir()} == {path.name for path in package.iterdir()}
    assert (delta / "enrollments.csv").read_bytes() == (package / "enrollments.csv").read_bytes()


def test_search_terms_are_lowercase_three_letter_name_prefixes(tmp_path):
    package = write_district(tmp_path / "full", scale=TINY, seed=3)
    prefixes = name_prefixes(package)
    families = {user["familyName"][:3].lower() for user in _users(package) if len(user["familyName"]) >= 3}
    assert families <= set(prefixes)
    assert all(len(prefix) == 3 and prefix == prefix.lower() for prefix in prefixes)

"""Any roster written as OneRoster CSV (either version, links from either side, BOM or not, CRLF or LF)
reads back as the same roster."""
from hypothesis import HealthCheck, given, settings
from roster_model import GUARDIAN, PARENT_ROW, STAFF, Layout, Roster, layouts, rosters, write_roster

from services.rostering.adapters.sources.oneroster_csv.reader import read_package


def expected_view(roster: Roster) -> dict:
    return {
        "people": {p.source_id: (p.given, p.family, p.kinds, p.email, p.phone, (p.school,)) for p in roster.people},
        "links": set(roster.links),
        "classes": {klass: school for klass, school in roster.classes.items()},
        "enrollments": set(roster.enrollments),
        "schools": sorted(roster.schools),
    }


def expected_aliases(roster: Roster, layout: Layout) -> set[tuple[str, str]]:
    if layout.version != "1.1":
        return set()
    return {(p.source_id + PARENT_ROW, p.source_id) for p in roster.people if p.kinds == {STAFF, GUARDIAN}}


def read_view(snapshot) -> dict:
    return {
        "people": {p.source_id: (p.given_name, p.family_name, p.kinds, p.email, p.mobile_phone, p.org_source_ids)
                   for p in snapshot.people},
        "links": {(link.guardian_source_id, link.student_source_id) for link in snapshot.guardian_links},
        "classes": {c.source_id: c.school_source_id for c in snapshot.classes},
        "enrollments": {(e.class_source_id, e.person_source_id) for e in snapshot.enrollments},
        "schools": sorted(org.source_id for org in snapshot.orgs if org.type == "school"),
    }


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(roster=rosters(), layout=layouts())
def test_a_roster_written_as_csv_reads_back_as_the_same_roster(tmp_path_factory, roster: Roster, layout: Layout):
    folder = write_roster(tmp_path_factory.mktemp("roster"), roster, layout)

    snapshot = read_package(folder)

    assert snapshot.problems == ()
    assert snapshot.version == layout.version
    assert read_view(snapshot) == expected_view(roster)
    assert set(snapshot.aliases) == expected_aliases(roster, layout)
    # Without a manifest the read says so; the two 1.1 rows of a staff member who is a parent are one person.
    allowed = {"manifest.csv"} if not layout.manifest else set()
    assert {w.file for w in snapshot.warnings if "holding both roles" not in w.reason} <= allowed

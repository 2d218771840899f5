"""A read given the people the last read built gives the Snapshot a read from nothing gives, and reuses them."""
import gc
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oneroster_builders import (
    family_package,
    make_district_row,
    make_enrollment_row,
    make_guardian_row,
    make_org_row,
    make_role_row,
    make_teacher_row,
    make_user_row,
    make_user_row_1_2,
    people_by_id,
    write_package,
)

from services.rostering.adapters.sources.oneroster_csv.reader import read_package
from services.rostering.domain.enrollments_read_before import EnrollmentsReadBefore
from services.rostering.domain.people_read_before import PeopleReadBefore

ORGS = [make_district_row(), make_org_row(), make_org_row(sourcedId="school-2", name="Adams Middle")]


def read_both_ways(path: Path, kept: PeopleReadBefore, **options):
    """The Snapshot read with what `kept` holds, checked equal to one read from nothing."""
    again = read_package(path, read_before=kept, **options)
    assert again == read_package(path, **options)
    return again


def package_of(folder: Path, users: list[dict[str, str]], orgs: list[dict[str, str]] | None) -> Path:
    """A package of `users`; without orgs.csv (and without a manifest naming it) when `orgs` is None."""
    if orgs is not None:
        return write_package(folder, orgs=orgs, users=users)
    write_package(folder, manifest=False, users=users)
    (folder / "orgs.csv").unlink()
    return folder


def students(count: int, **overrides: str) -> list[dict[str, str]]:
    return [make_user_row(sourcedId=f"student-{n}", username=f"s{n}", identifier=f"S{n:03}", givenName=f"Kid{n}",
                          email=f"kid{n}@lincoln.k12.us", **overrides) for n in range(count)]


def test_an_unchanged_package_reads_the_same_people_without_building_them(tmp_path):
    package = family_package(tmp_path / "p")
    kept = PeopleReadBefore()
    first = read_package(package, read_before=kept)
    second = read_both_ways(package, kept)
    assert second == first
    reused = {person.source_id for person in second.people
              if any(person is earlier for earlier in first.people)}
    assert reused == {person.source_id for person in first.people}


def test_changed_rows_are_built_again_and_the_rest_reused(tmp_path):
    users = students(4)
    kept = PeopleReadBefore()
    first = read_package(write_package(tmp_path / "a", orgs=ORGS, users=users), read_before=kept)
    users[2] = {**users[2], "givenName": "Renamed", "email": "not an email"}
    second = read_both_ways(write_package(tmp_path / "b", orgs=ORGS, users=users), kept)
    before, after = people_by_id(first), people_by_id(second)
    assert after["student-2"].given_name == "Renamed"
    assert after["student-2"].email is None and after["student-2"].invalid_fields == ("email",)
    assert [problem.line for problem in second.problems] == [4]
    assert all(after[key] is before[key] for key in ("student-0", "student-1", "student-3"))


def test_rows_that_moved_keep_their_new_lines(tmp_path):
    users = students(3)
    kept = PeopleReadBefore()
    read_package(write_package(tmp_path / "a", orgs=ORGS, users=users), read_before=kept)
    moved = read_both_ways(write_package(tmp_path / "b", orgs=ORGS, users=[make_teacher_row(), *users[::-1]]), kept)
    assert {person.source_id: person.line for person in moved.people} == {
        "teacher-1": 2, "student-2": 3, "student-1": 4, "student-0": 5}


def test_the_agents_a_kept_row_names_are_claimed_again_on_its_line(tmp_path):
    student = make_user_row(sourcedId="student-1", agentSourcedIds="guardian-1,guardian-9")
    guardian = make_guardian_row(agentSourcedIds="student-1")
    kept = PeopleReadBefore()
    first = read_package(write_package(tmp_path / "a", orgs=ORGS, users=[student, guardian]), read_before=kept)
    assert [(link.guardian_source_id, link.line) for link in first.guardian_links] == [("guardian-1", 2)]
    assert [problem.line for problem in first.problems] == [2]  # guardian-9: unknown, its claim on line 2

    moved = read_both_ways(write_package(tmp_path / "b", orgs=ORGS, users=[make_teacher_row(), guardian, student]),
                           kept)
    # The guardian's own claim now comes first, from its new line; the student's unknown agent is on line 4.
    assert [(link.guardian_source_id, link.line, link.column) for link in moved.guardian_links] == [
        ("guardian-1", 3, "agentSourcedIds")]
    assert [problem.line for problem in moved.problems] == [4]
    again = read_both_ways(write_package(tmp_path / "c", orgs=ORGS, users=[make_teacher_row(), guardian, student]),
                           kept)
    assert again.guardian_links == moved.guardian_links and again.problems == moved.problems


def test_a_row_listing_agents_in_either_column_or_both_claims_them_again(tmp_path):
    users = [make_user_row(sourcedId="student-1", agentSourcedIds="", agents="guardian-1, guardian-9,guardian-1"),
             make_user_row(sourcedId="student-2", username="grace", identifier="S002",
                           agentSourcedIds="guardian-1,guardian-8", agents="guardian-1,guardian-7"),
             make_guardian_row(agentSourcedIds="student-2,student-1", agents="")]
    kept = PeopleReadBefore()
    first = read_package(write_package(tmp_path / "a", orgs=ORGS, users=users), read_before=kept)
    assert [(link.student_source_id, link.line, link.column) for link in first.guardian_links] == [
        ("student-1", 2, "agents"), ("student-2", 3, "agentSourcedIds")]
    assert [(problem.line, problem.column) for problem in first.problems] == [
        (2, "agents"), (3, "agentSourcedIds"), (3, "agents")]

    moved = read_both_ways(write_package(tmp_path / "b", orgs=ORGS, users=[users[2], *users[:2]]), kept)
    assert [(link.student_source_id, link.line, link.column) for link in moved.guardian_links] == [
        ("student-2", 2, "agentSourcedIds"), ("student-1", 2, "agentSourcedIds")]
    assert [(problem.line, problem.column) for problem in moved.problems] == [
        (3, "agents"), (4, "agentSourcedIds"), (4, "agents")]
    read_both_ways(write_package(tmp_path / "c", orgs=ORGS, users=[users[2], *users[:2]]), kept)


def test_rows_with_findings_report_them_on_every_read(tmp_path):
    users = [*students(2), make_user_row(sourcedId="odd", email="nope", sms="12", orgSourcedIds="school-9"),
             make_user_row(sourcedId="nobody", role="wizard")]
    package = write_package(tmp_path / "p", orgs=ORGS, users=users)
    kept = PeopleReadBefore()
    first = read_package(package, read_before=kept)
    second = read_both_ways(package, kept)
    assert second.problems == first.problems and len(first.problems) == 4
    # The row whose email, phone and org were refused is not validated again: its findings come with it.
    assert people_by_id(second)["odd"] is people_by_id(first)["odd"]
    moved = read_both_ways(write_package(tmp_path / "moved", orgs=ORGS, users=users[::-1]), kept)
    assert {problem.line for problem in moved.problems} == {2, 3}


def test_another_org_list_or_header_or_region_builds_every_row_again(tmp_path):
    users = students(2, orgSourcedIds="school-2")
    kept = PeopleReadBefore()
    first = read_package(write_package(tmp_path / "a", orgs=ORGS, users=users), read_before=kept)
    without_school = read_both_ways(write_package(tmp_path / "b", orgs=ORGS[:2], users=users), kept)
    assert [problem.column for problem in without_school.problems] == ["orgSourcedIds", "orgSourcedIds"]
    assert not any(person is earlier for person in without_school.people for earlier in first.people)

    reordered = [{column: row[column] for column in reversed(row)} for row in users]
    in_order = read_package(write_package(tmp_path / "c", orgs=ORGS, users=users), read_before=kept)
    again = read_both_ways(write_package(tmp_path / "d", orgs=ORGS, users=reordered), kept)
    assert not any(person is earlier for person in again.people for earlier in in_order.people)
    # The same cells under other columns digest otherwise (source_rows.raw_cells_hasher): nothing else differs.
    assert [p._replace(source_digest=None) for p in again.people] == [
        p._replace(source_digest=None) for p in in_order.people]

    boston = write_package(tmp_path / "e", orgs=ORGS, users=students(1, sms="(617) 253-1000"))
    read_package(boston, read_before=kept)
    # The same cells in another region: a number without its country code is read as that region's.
    abroad = read_both_ways(boston, kept, region="GB")
    assert people_by_id(abroad)["student-0"].mobile_phone != "+16172531000"


def test_a_warning_said_once_is_said_again_for_whichever_row_comes_first(tmp_path):
    # Without orgs.csv, the first row citing an org warns once for the file; the rows after it lean on that.
    users = students(3)
    kept = PeopleReadBefore()
    first = read_package(package_of(tmp_path / "a", users, None), read_before=kept)
    assert [warning.line for warning in first.warnings if warning.column == "orgSourcedIds"] == [2]
    later = read_both_ways(package_of(tmp_path / "b", users[1:], None), kept)
    assert [warning.line for warning in later.warnings if warning.column == "orgSourcedIds"] == [2]


def test_a_1_2_package_with_its_roles_keeps_nothing(tmp_path):
    package = write_package(tmp_path / "p", version="1.2", users=[make_user_row_1_2()], roles=[make_role_row()])
    kept = PeopleReadBefore()
    read_package(package, read_before=kept)
    assert kept.take(None) is None


def test_no_more_people_are_kept_than_allowed(tmp_path):
    package = write_package(tmp_path / "p", orgs=ORGS, users=students(3))
    kept = PeopleReadBefore(most=2)
    first = read_package(package, read_before=kept)
    second = read_both_ways(package, kept)
    assert not any(person is earlier for person in second.people for earlier in first.people)


# --- random packages: any sequence of reads through one keeper reads as reads from nothing ---------------------

GIVEN_NAMES = ("Ada", "Alan", "Grace")
EMAILS = ("", "ada@lincoln.k12.us", "ADA@Lincoln.K12.US", "not-an-email")
PHONES = ("", "(617) 253-1000", "+44 20 7946 0958", "12")
ORG_CELLS = ("school-1", "school-2", "school-1,school-2", "school-9", "")
ROLES = ("student", "parent", "teacher", "wizard", "")
# Cells of several agents: repeats, spaces and unknown ids too.
AGENTS = ("", "user-0", "user-1,user-2", "user-9", "user-2, user-0,user-2", "user-1,user-9")

user_rows = st.builds(
    lambda n, given, email, sms, orgs, role, agents, vendor_agents, enabled: make_user_row(
        sourcedId=f"user-{n}", username=f"u{n}", identifier=f"I{n}", givenName=given, email=email, sms=sms,
        orgSourcedIds=orgs, role=role, agentSourcedIds=agents, agents=vendor_agents, enabledUser=enabled),
    st.integers(0, 5), st.sampled_from(GIVEN_NAMES), st.sampled_from(EMAILS), st.sampled_from(PHONES),
    st.sampled_from(ORG_CELLS), st.sampled_from(ROLES), st.sampled_from(AGENTS),
    st.sampled_from(AGENTS[:3]), st.sampled_from(("true", "TRUE", "yes", "", "maybe")))
# `agents`: some vendors' name for agentSourcedIds; a file with both claims from both.
FIELDS = {"givenName": GIVEN_NAMES, "email": EMAILS, "sms": PHONES, "orgSourcedIds": ORG_CELLS, "role": ROLES,
          "agentSourcedIds": AGENTS, "agents": AGENTS}
# An edit between two reads: most rows stay as they were, as in a district's nightly file.
edits = st.one_of(
    st.tuples(st.just("change"), st.integers(0, 7), st.sampled_from(sorted(FIELDS)), st.integers(0, 4)),
    st.tuples(st.just("drop"), st.integers(0, 7)),
    st.tuples(st.just("add"), user_rows),
    st.tuples(st.just("reverse")),
    st.tuples(st.just("orgs"), st.sampled_from(("both", "one", "none"))),
)


def edited(users: list[dict[str, str]], orgs: str, edit: tuple) -> tuple[list[dict[str, str]], str]:
    kind, *what = edit
    users = list(users)
    if kind == "change" and users:
        index, column, choice = what
        values = FIELDS[column]
        users[index % len(users)] = {**users[index % len(users)], column: values[choice % len(values)]}
    elif kind == "drop" and len(users) > 1:
        del users[what[0] % len(users)]
    elif kind == "add":
        users.append(what[0])
    elif kind == "reverse":
        users.reverse()
    elif kind == "orgs":
        orgs = what[0]
    return users, orgs


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(user_rows, min_size=1, max_size=6), st.lists(edits, min_size=1, max_size=5),
       st.sampled_from(("US", "GB")))
def test_any_sequence_of_packages_reads_as_if_from_nothing(users, changes, region):
    kept, orgs = PeopleReadBefore(), "both"
    with tempfile.TemporaryDirectory() as scratch:
        for n, change in enumerate([("none-yet",), *changes]):
            users, orgs = edited(users, orgs, change)
            org_rows = {"both": ORGS, "one": ORGS[:2], "none": None}[orgs]
            read_both_ways(package_of(Path(scratch) / str(n), users, org_rows), kept, region=region)


@pytest.mark.parametrize("enrollments_apart", [False, True])
def test_a_package_read_leaves_nothing_in_cycles_for_the_collector(tmp_path, enrollments_apart):
    """What the service's LongLived.keep relies on to freeze a CSV read without a collection first."""
    users = [*students(3), make_user_row(sourcedId="student-9", email="not an email", sms="12"),
             make_guardian_row(agentSourcedIds="student-0,student-1,nobody", sms="(617) 253-1000")]
    package = write_package(tmp_path / "p", orgs=ORGS, users=users,
                            enrollments=[make_enrollment_row(userSourcedId="student-0")])
    kept, enrollments = PeopleReadBefore(), EnrollmentsReadBefore()
    for _ in range(2):  # from nothing, then through what the first read kept
        gc.collect()
        gc.disable()
        try:
            snapshot = read_package(package, read_before=kept, enrollments_apart=enrollments_apart,
                                    enrollments_before=enrollments)
            assert gc.collect() == 0
        finally:
            gc.enable()
        assert snapshot.problems and snapshot.guardian_links and snapshot.enrollments


def test_a_warning_said_once_is_said_on_its_first_row_whichever_row_comes_first(tmp_path):
    # Without orgs.csv the first row citing an org is warned once that orgs are not checked. The third row used to
    # take the context the second had remembered without asking for that warning, so it was kept as a person that
    # says nothing: read first next time, it left the warning to the row after it.
    kept, first = PeopleReadBefore(), students(3)
    read_both_ways(package_of(tmp_path / "first", first, None), kept)
    rotated = read_both_ways(package_of(tmp_path / "rotated", first[2:] + first[:2], None), kept)
    assert [(w.line, w.column) for w in rotated.warnings if w.file == "users.csv"] == [(2, "orgSourcedIds")]

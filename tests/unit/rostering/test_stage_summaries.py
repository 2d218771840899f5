"""The enrollments' and guardian links' summaries are made from the snapshot's records as columns, with no dict per
row: on any snapshot they must be what the stages' rows give (rows_digest, the stages' labels, the count), or a
stage summarised ahead would be taken as unchanged when its rows are not. The rows themselves are built from the
same columns; they are checked here against a row-at-a-time mapping written out plainly."""
import random

import pytest
from rostering_builders import make_enrollment, make_guardian, make_snapshot, make_staff, make_student

from services.rostering.domain import mapping, stage_summaries
from services.rostering.domain.applied_rows import rows_digest
from services.rostering.domain.snapshot import GuardianLink
from services.rostering.sending import ENROLLMENTS, GUARDIAN_LINKS

SOURCE_ROLES = ("student", "Teacher", "aide", "proctor", "districtAdministrator", None, "", "mentor", "parent")


def random_district(seed: int):
    """People of every kind, enrollments with known, odd and missing roles (some of guardians, some of people not
    listed), links with and without a relationship, in random order."""
    chance = random.Random(seed)
    people = [maker(source_id=f"{kind}-{n}") for n in range(12)
              for kind, maker in (("student", make_student), ("staff", make_staff), ("guardian", make_guardian))]
    enrollments = tuple(make_enrollment(source_id=f"enr-{n % 37}", class_source_id=f"class-{n % 5}",
                                        person_source_id=chance.choice(people).source_id if chance.random() < 0.95
                                        else "nobody", role=chance.choice(SOURCE_ROLES))
                        for n in range(chance.randrange(0, 60)))
    links = tuple(GuardianLink(f"guardian-{chance.randrange(12)}", f"student-{chance.randrange(12)}",
                               relationship=chance.choice([None, None, None, "aunt", "parent"]))
                  for _ in range(chance.randrange(0, 30)))
    return make_snapshot(people=tuple(people), enrollments=enrollments, guardian_links=links)


def enrollment_rows_one_by_one(snapshot):
    """The enrollments' rows and the ones no class role fits, a dict per enrollment: as the mapping made them
    before it made columns."""
    people = {person.source_id: person for person in snapshot.people}
    rows, unmapped = [], []
    for enrollment in snapshot.enrollments:
        role = mapping.class_role(enrollment.role, people.get(enrollment.person_source_id))
        if role is None:
            unmapped.append(mapping.Unmapped(
                "enrollments.csv", enrollment.source_id, "role", enrollment.role,
                f"enrollment {enrollment.source_id}: user {enrollment.person_source_id} "
                "is neither a student nor staff; row skipped", enrollment.line))
            continue
        rows.append({"source_id": enrollment.source_id, "classroom_source_id": enrollment.class_source_id,
                     "person_source_id": enrollment.person_source_id, "role": role})
    return rows, unmapped


def guardian_link_rows_one_by_one(snapshot):
    return [{"guardian_source_id": link.guardian_source_id, "student_source_id": link.student_source_id,
             **({"relationship": link.relationship} if link.relationship is not None else {})}
            for link in snapshot.guardian_links]


@pytest.fixture(params=[(3, 4), (1000, 1000)], ids=["pages of 3, digests of 4", "as run"])
def chunks(request, monkeypatch):
    """Pages of records and chunks of digested rows that do not line up, and those a run uses."""
    page_rows, digest_chunk = request.param
    monkeypatch.setattr("services.rostering.domain.mapping.PAGE_ROWS", page_rows)
    monkeypatch.setattr("services.rostering.domain.applied_rows.DIGEST_CHUNK", digest_chunk)


@pytest.mark.parametrize("seed", range(40))
def test_the_enrollments_summary_is_their_rows_and_reports_what_no_class_role_fits(seed, chunks):
    snapshot = random_district(seed)
    rows, unmapped = enrollment_rows_one_by_one(snapshot)
    reported = []

    summary = stage_summaries.enrollments_summary(snapshot, reported)

    assert mapping.enrollment_rows(snapshot) == (rows, unmapped)
    assert reported == unmapped
    assert summary == (rows_digest(rows), frozenset(map(ENROLLMENTS.label, rows)), len(rows))


@pytest.mark.parametrize("seed", range(40))
def test_the_guardian_links_summary_is_their_rows(seed, chunks):
    snapshot = random_district(seed)
    rows = guardian_link_rows_one_by_one(snapshot)

    summary = stage_summaries.guardian_links_summary(snapshot)

    assert mapping.guardian_link_rows(snapshot) == rows
    assert summary == (rows_digest(rows), frozenset(map(GUARDIAN_LINKS.label, rows)), len(rows))


def test_a_changed_role_or_relationship_changes_the_summary():
    snapshot = make_snapshot(guardian_links=(GuardianLink("guardian-1", "student-1"),))
    as_aide = make_snapshot(enrollments=(make_snapshot().enrollments[0]._replace(role="aide"),
                                         *make_snapshot().enrollments[1:]))
    as_aunt = make_snapshot(guardian_links=(GuardianLink("guardian-1", "student-1", relationship="aunt"),))

    assert stage_summaries.enrollments_summary(as_aide, []) != stage_summaries.enrollments_summary(snapshot, [])
    assert stage_summaries.guardian_links_summary(as_aunt) != stage_summaries.guardian_links_summary(snapshot)

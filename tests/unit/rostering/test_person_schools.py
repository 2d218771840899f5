"""The people's schools are worked out once per list of orgs, and the enrollments and links are walked only for the
people without a school org: on any snapshot they must be what a walk over every person, enrollment and link
gives."""
import random
from collections import defaultdict
from dataclasses import replace

import pytest
from rostering_builders import make_class, make_district, make_enrollment, make_guardian, make_org, make_snapshot, \
    make_staff, make_student

from services.rostering.domain import mapping
from services.rostering.domain.snapshot import GUARDIAN, GuardianLink

ORGS = ("district-1", "school-1", "school-2", "school-3", "nowhere")


def person_schools_one_by_one(snapshot):
    """As the mapping worked them out before: every person, enrollment and link walked in turn."""
    schools = {org.source_id for org in snapshot.orgs if mapping.is_school(org)}
    resolved, without_own = {}, set()
    for person in snapshot.people:
        own = tuple(dict.fromkeys(org for org in person.org_source_ids if org in schools))
        resolved[person.source_id] = own
        if not own:
            without_own.add(person.source_id)
    class_schools = {klass.source_id: klass.school_source_id for klass in snapshot.classes}
    enrolled = defaultdict(dict)
    for enrollment in snapshot.enrollments:
        if enrollment.person_source_id in without_own:
            school = class_schools.get(enrollment.class_source_id) or enrollment.school_source_id
            if school in schools:
                enrolled[enrollment.person_source_id][school] = None
    for person_id in without_own:
        resolved[person_id] = tuple(enrolled.get(person_id, ()))
    children = defaultdict(dict)
    for link in snapshot.guardian_links:
        for school in resolved.get(link.student_source_id, ()):
            children[link.guardian_source_id][school] = None
    for person in snapshot.people:
        if GUARDIAN in person.kinds and not resolved[person.source_id]:
            resolved[person.source_id] = tuple(children.get(person.source_id, ()))
    return resolved


def random_district(seed):
    chance = random.Random(seed)

    def orgs():
        return tuple(chance.sample(ORGS, chance.choice([0, 1, 1, 1, 2, 3])))

    people = [maker(source_id=f"{kind}-{chance.randrange(15)}", org_source_ids=orgs())
              for kind, maker in (("student", make_student), ("staff", make_staff), ("guardian", make_guardian))
              for _ in range(15)]
    people += [make_guardian(source_id=person.source_id, org_source_ids=orgs()) for person in people[:2]]
    classes = tuple(make_class(source_id=f"class-{n}", school_source_id=f"school-{n % 4}") for n in range(4))
    enrollments = tuple(make_enrollment(source_id=f"enr-{n}", class_source_id=f"class-{chance.randrange(6)}",
                                        school_source_id=chance.choice([None, "school-2", "school-3"]),
                                        person_source_id=chance.choice(people).source_id)
                        for n in range(40))
    links = tuple(GuardianLink(chance.choice(people).source_id, chance.choice(people).source_id) for _ in range(30))
    orgs_listed = (make_district(), make_org(), make_org(source_id="school-2"), make_org(source_id="school-3"))
    return make_snapshot(orgs=orgs_listed, classes=classes, people=tuple(people), enrollments=enrollments,
                         guardian_links=links)


@pytest.mark.parametrize("seed", range(60))
def test_the_people_schools_are_those_of_a_walk_over_everyone(seed):
    snapshot = random_district(seed)

    assert mapping.person_schools(snapshot) == person_schools_one_by_one(snapshot)


def with_distinct_people(snapshot):
    return replace(snapshot, people=tuple({person.source_id: person for person in snapshot.people}.values()))


@pytest.mark.parametrize("seed", range(60))
def test_the_people_schools_in_their_order_are_each_person_s_by_source_id(seed):
    snapshot = with_distinct_people(random_district(seed))
    schools = mapping.people_schools(snapshot)

    assert schools.by_source_id == person_schools_one_by_one(snapshot)
    assert schools.in_order == [schools.by_source_id[person.source_id] for person in snapshot.people]
    in_order = mapping.PersonContexts(schools.by_source_id, snapshot.people, schools_in_order=schools.in_order)
    by_source_id = mapping.PersonContexts(schools.by_source_id, snapshot.people)
    assert [in_order.context(number) for number in in_order.numbers(snapshot.people)] == \
        [by_source_id.context(number) for number in by_source_id.numbers(snapshot.people)]


def everyone_at_a_school_two_sharing_an_id():
    people = (make_student(source_id="s-1"), make_student(source_id="s-1", org_source_ids=("school-2",)))
    return make_snapshot(orgs=(make_district(), make_org(), make_org(source_id="school-2")), people=people)


@pytest.mark.parametrize("snapshot", [random_district(0), everyone_at_a_school_two_sharing_an_id()])
def test_people_sharing_a_source_id_have_their_schools_by_source_id_only(snapshot):
    assert len({person.source_id for person in snapshot.people}) < len(snapshot.people)

    assert mapping.people_schools(snapshot).in_order is None


class UnwalkedLinks(tuple):
    """Guardian links that fail the test if anything walks them."""

    def __iter__(self):
        raise AssertionError("the guardian links were walked")


@pytest.mark.parametrize("without_school", [make_student, make_staff])
def test_the_links_are_not_walked_when_no_guardian_lacks_a_school(without_school):
    people = (make_student(source_id="s-1"), without_school(source_id="p-2", org_source_ids=("district-1",)),
              make_guardian(source_id="g-1", org_source_ids=("school-1",)))
    enrollments = (make_enrollment(source_id="e-1", class_source_id="class-1", person_source_id="p-2"),)
    snapshot = make_snapshot(orgs=(make_district(), make_org()), people=people,
                             classes=(make_class(source_id="class-1"),), enrollments=enrollments,
                             guardian_links=UnwalkedLinks((GuardianLink("g-1", "s-1"),)))

    schools = mapping.people_schools(snapshot)

    assert schools.in_order == [("school-1",), ("school-1",), ("school-1",)]

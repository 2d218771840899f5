"""Turn a roster Snapshot into the rows directory and identity take.

Every function here is pure: a Snapshot (and the ids other services handed
back) in, plain dicts shaped like the contract inputs out. Rows are keyed by
the source's sourcedIds, so applying the same package twice is a no-op on the
other side.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress, count, groupby
from operator import attrgetter, is_, not_
from typing import NamedTuple, TypeVar

from shared.contracts.identity import DISTRICT_ADMIN, ROLES, SCHOOL_ADMIN, TEACHER
from shared.contracts.identity import GUARDIAN as GUARDIAN_ROLE
from shared.contracts.identity import STUDENT as STUDENT_ROLE

from .source_rows import SourceFingerprints, source_fingerprint
from .snapshot import GUARDIAN, STAFF, STUDENT, Enrollment, GuardianLink, Org, Person, Snapshot

# Small enough that one page is a short transaction on the other side, large
# enough that a 260,000-person district is a few hundred calls, not 260,000.
PAGE_ROWS = 1000

DISTRICT_ORG_TYPE = "district"
SCHOOL_ORG_TYPE = "school"
# A package without a district org is filed under a district the operator names;
# its key comes from that name, so two such packages never share one district by accident.
NAMED_DISTRICT_PREFIX = "named:"


class DistrictUnknown(ValueError):
    """The package has no district org and the request named none."""

KIND_ORDER = (STUDENT, STAFF, GUARDIAN)

# identity roles, in the order grants are listed on an account: the contract's own order.
ROLE_ORDER = ROLES

# Source role names arrive in varying case, so every lookup is on the lower-cased name.
DISTRICT_ADMIN_SOURCE_ROLES = frozenset({"administrator", "districtadministrator"})
SCHOOL_ADMIN_SOURCE_ROLES = frozenset({"administrator", "principal", "siteadministrator", "districtadministrator"})
NON_STAFF_SOURCE_ROLES = frozenset({"student", "parent", "guardian", "relative"})

# The directory knows four class roles; OneRoster 1.2 and vendors use more.
ENROLLMENT_ROLES = {
    "student": "student",
    "teacher": "teacher",
    "aide": "aide",
    "administrator": "administrator",
    "proctor": "aide",
    "counselor": "aide",
    "principal": "administrator",
    "siteadministrator": "administrator",
    "districtadministrator": "administrator",
}

T = TypeVar("T")

# Fields of many records at once (map), as the records hold them.
_source_ids = attrgetter("source_id")
_org_ids = attrgetter("org_source_ids")
_class_ids = attrgetter("class_source_id")
_person_ids = attrgetter("person_source_id")
_source_roles = attrgetter("role")
_guardian_ids = attrgetter("guardian_source_id")
_student_ids = attrgetter("student_source_id")
_relationships = attrgetter("relationship")
_raw_digests = attrgetter("source_digest")
_person_roles = attrgetter("roles")


@dataclass(frozen=True, slots=True)
class Unmapped:
    """A row the snapshot holds but the directory has no place for."""

    file: str
    source_id: str
    column: str | None
    value: str | None
    reason: str
    line: int | None = None


def pages(rows: Sequence[T], size: int = PAGE_ROWS) -> Iterator[list[T]]:
    if size < 1:
        raise ValueError("a page holds at least one row")
    for start in range(0, len(rows), size):
        yield list(rows[start:start + size])


# --- organisations -------------------------------------------------------------


def is_school(org: Org) -> bool:
    return (org.type or "").lower() == SCHOOL_ORG_TYPE


def district_org(snapshot: Snapshot) -> Org | None:
    """The package's district: its first org of type district, if any."""
    return next((org for org in snapshot.orgs if (org.type or "").lower() == DISTRICT_ORG_TYPE), None)


def district_row(snapshot: Snapshot, district_name: str | None = None) -> dict:
    org = district_org(snapshot)
    if org is not None:
        return {"source_id": org.source_id, "name": org.name or district_name or org.source_id}
    name = " ".join((district_name or "").split())
    if not name:
        raise DistrictUnknown("the package has no org of type district: name the district to import it into "
                              "(--district-name)")
    return {"source_id": NAMED_DISTRICT_PREFIX + name.casefold(), "name": name}


def school_rows(snapshot: Snapshot) -> list[dict]:
    # A school without a name still needs one to be listed; its code is the next best label.
    return [
        {"source_id": org.source_id, "name": org.name or org.identifier or org.source_id,
         "identifier": org.identifier}
        for org in snapshot.orgs
        if is_school(org)
    ]


# --- classrooms ------------------------------------------------------------------


def classroom_rows(snapshot: Snapshot) -> list[dict]:
    course_titles = {course.source_id: course.title for course in snapshot.courses}
    return [
        {
            "source_id": klass.source_id,
            "school_source_id": klass.school_source_id,
            "title": klass.title,
            "class_code": klass.class_code,
            "course_title": course_titles.get(klass.course_source_id) if klass.course_source_id else None,
            "grades": list(klass.grades),
        }
        for klass in snapshot.classes
    ]


# --- people ------------------------------------------------------------------------


def person_schools(snapshot: Snapshot) -> dict[str, tuple[str, ...]]:
    """The schools each person belongs to, by source id (PeopleSchools)."""
    return people_schools(snapshot).by_source_id


class PeopleSchools(NamedTuple):
    by_source_id: dict[str, tuple[str, ...]]
    # Each person's, in the people's order, when no two people share a source id (else None): a run's people's
    # contexts are made from it without a look-up per person in a dict of a quarter of a million (PersonContexts).
    in_order: list[tuple[str, ...]] | None


def people_schools(snapshot: Snapshot) -> PeopleSchools:
    """The schools each person belongs to.

    A person's own school orgs come first. Exports often name only the
    district on a user and leave the school to the enrollments, so a person
    with no school org belongs to the schools of their classes, and a
    guardian with neither to the schools of their linked students.
    """
    schools = {org.source_id for org in snapshot.orgs if is_school(org)}
    people = snapshot.people
    orgs_of_people = list(map(_org_ids, people))
    # A district's quarter of a million people share a few hundred lists of orgs (a school's students: one): each
    # list's schools are worked out once.
    own_schools = {orgs: tuple(dict.fromkeys(org for org in orgs if org in schools)) for orgs in set(orgs_of_people)}
    ids = list(map(_source_ids, people))
    own = list(map(own_schools.__getitem__, orgs_of_people))
    resolved = dict(zip(ids, own))
    distinct_ids = len(resolved) == len(ids)
    if all(own_schools.values()):
        return PeopleSchools(resolved, own if distinct_ids else None)

    # Only the few people without a school org of their own are looked for among the half million enrollments,
    # and among the links. Found by place, in one pass over the people: each further pass over a quarter of a
    # million costs about 0.05 s, the few places nothing.
    without_own = list(compress(count(), map(not_, own)))
    ids_without_own = {ids[place] for place in without_own}
    class_schools = {klass.source_id: klass.school_source_id for klass in snapshot.classes}
    enrolled: dict[str, dict[str, None]] = defaultdict(dict)
    enrollments = snapshot.enrollments
    for enrollment in compress(enrollments, map(ids_without_own.__contains__, map(_person_ids, enrollments))):
        school = class_schools.get(enrollment.class_source_id) or enrollment.school_source_id
        if school in schools:
            enrolled[enrollment.person_source_id][school] = None
    for person_id in ids_without_own:
        resolved[person_id] = tuple(enrolled.get(person_id, ()))

    # Everyone whose source id is one of theirs: with distinct ids, those very people.
    sharing = without_own if distinct_ids else compress(count(), map(ids_without_own.__contains__, ids))
    guardians = [person for person in map(people.__getitem__, sharing)
                 if GUARDIAN in person.kinds and not resolved[person.source_id]]
    if guardians:  # else no link is walked: the links are as many as a fifth of a district's people
        guardian_ids = set(map(_source_ids, guardians))
        children: dict[str, dict[str, None]] = defaultdict(dict)
        links = snapshot.guardian_links
        for link in compress(links, map(guardian_ids.__contains__, map(_guardian_ids, links))):
            for school in resolved.get(link.student_source_id, ()):
                children[link.guardian_source_id][school] = None
        for guardian in guardians:
            resolved[guardian.source_id] = tuple(children.get(guardian.source_id, ()))
    if not distinct_ids:
        return PeopleSchools(resolved, None)
    for place in without_own:
        own[place] = resolved[ids[place]]
    return PeopleSchools(resolved, own)


def person_rows(snapshot: Snapshot, schools: Mapping[str, Sequence[str]] | None = None) -> list[dict]:
    """`schools` is person_schools(snapshot), when the caller has it already (it may walk every enrollment)."""
    schools = person_schools(snapshot) if schools is None else schools
    return [person_row(person, schools[person.source_id]) for person in snapshot.people]


def person_row(person: Person, schools: Sequence[str]) -> dict:
    return {
        "source_id": person.source_id,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "middle_name": person.middle_name,
        "kinds": ordered_kinds(person),
        "grade": person.grade,
        "job_title": person.job_title,
        "identifier": person.identifier,
        "school_source_ids": list(schools),
    }


def person_source(person: Person, schools: Sequence[str]) -> bytes | None:
    """The source fingerprint of a person's directory row: the record, and what it takes from other records
    (its roles and orgs, which roles.csv and orgs.csv can change; its schools, which enrollments can). A stage
    makes its people's all at once (PersonSources)."""
    if person.source_digest is None:
        return None
    return source_fingerprint(person.source_digest, (person.roles, person.org_source_ids, tuple(schools)))


class PersonSources:
    """person_source of many people at once, for one stage: a person's context (roles, orgs, schools) is hashed
    once (SourceFingerprints)."""

    def __init__(self, schools: Mapping[str, Sequence[str]], contexts: PersonContexts | None = None) -> None:
        """`contexts`: the run's (PersonContexts of its people), when it has them."""
        self._contexts = PersonContexts(schools) if contexts is None else contexts
        self._fingerprints = SourceFingerprints(self._contexts.context)

    def __call__(self, people: Sequence[Person]) -> list[bytes | None]:
        """Each person's, in order."""
        return self._fingerprints.many(map(_raw_digests, people), self._contexts.numbers(people))


def _contexts(people: Sequence[Person], schools: Mapping[str, Sequence[str]],
              in_order: Iterable[tuple[str, ...]] | None = None) -> Iterator[tuple]:
    """Each person's roles, orgs and schools: what person_source takes from other records, and what decides the
    rest of what account_source does. `in_order`: the people's schools in their order, when the caller has them."""
    if in_order is None:
        in_order = map(tuple, map(schools.__getitem__, map(_source_ids, people)))
    return zip(map(_person_roles, people), map(_org_ids, people), in_order)


class PersonContexts:
    """Each person's context (_contexts: roles, orgs, schools), numbered, for the people's and the accounts' source
    fingerprints (SourceFingerprints, whose `shared` is then `context`).

    A district's quarter of a million people share a few hundred contexts. Asked per stage, each person's context
    was a new tuple of three tuples (their schools looked up by source id, in a dict too big for the caches),
    hashed again to find its context's hasher: half the fingerprints' loop, in both stages. Made for a run's
    people (`people`), every person's number is worked out once, in their order: a stage asks for the run's people
    whole or a run of them at a time (sourced_ahead's chunks, each after the last), and such a run is found by
    comparing the people themselves, object by object, with the run's from where the last run asked ended (or
    from the start). Any other people (the few a stage sources again) are numbered by their context's tuple.
    Asked from a run's green threads (one OS thread): no call is interleaved with another.
    """

    def __init__(self, schools: Mapping[str, Sequence[str]], people: Sequence[Person] = (), *,
                 schools_in_order: Sequence[tuple[str, ...]] | None = None) -> None:
        """`schools`: the people's by source id; `schools_in_order`, when the caller has them (PeopleSchools),
        `people`'s own in their order, so that the run's contexts are made without a look-up by source id."""
        self._schools = schools
        # The next number for each context not met yet; numbers follow the order contexts are first met.
        self._numbered: defaultdict[tuple, int] = defaultdict(count().__next__)
        self._distinct: list[tuple] = []
        self._people = tuple(people)
        self._in_order = list(self._number(self._people, schools_in_order))
        self._next = 0  # where the run of people asked next is looked for first

    def numbers(self, people: Sequence[Person]) -> Iterable[int]:
        """Each person's context number, in order."""
        asked = len(people)
        for start in dict.fromkeys((self._next, 0)):
            end = start + asked
            # The very objects, in order (`is`, a pointer each: no person is read): another Person with equal
            # fields would do as well, but is not looked for.
            if end <= len(self._people) and all(map(is_, people, self._people[start:end])):
                self._next = end
                return self._in_order[start:end]
        return self._number(people)

    def context(self, number: int) -> tuple:
        """The context a number stands for."""
        if number >= len(self._distinct):
            self._distinct = list(self._numbered)
        return self._distinct[number]

    def _number(self, people: Sequence[Person],
                schools_in_order: Iterable[tuple[str, ...]] | None = None) -> Iterator[int]:
        return map(self._numbered.__getitem__, _contexts(people, self._schools, schools_in_order))


def ordered_kinds(person: Person) -> list[str]:
    return [kind for kind in KIND_ORDER if kind in person.kinds]


# --- enrollments and guardian links ----------------------------------------------

# Rows alike in their fields, as columns: the fields' names in a row's order, and one list of values per field.
Columns = tuple[tuple[str, ...], list[list]]

# Both stages' rows are made as columns (Columns, PAGE_ROWS records at a time): their summaries digest the columns
# as they are (stage_summaries.py), and a row is a dict only where it is sent.
ENROLLMENT_FIELDS = ("source_id", "classroom_source_id", "person_source_id", "role")
GUARDIAN_LINK_FIELDS = ("guardian_source_id", "student_source_id")
# Only where a guardians.csv says it.
RELATIONSHIP_FIELD = "relationship"


def rows_of(runs: Iterable[Columns]) -> Iterator[dict]:
    """The rows that columns hold, one dict each, fields in order."""
    for fields, columns in runs:
        for values in zip(*columns):
            yield dict(zip(fields, values))


def enrollment_rows(snapshot: Snapshot) -> tuple[list[dict], list[Unmapped]]:
    """Class memberships, and the ones no class role fits (a guardian listed in a class)."""
    unmapped: list[Unmapped] = []
    return list(rows_of(enrollment_columns(snapshot, unmapped))), unmapped


def enrollment_columns(snapshot: Snapshot, unmapped: list[Unmapped]) -> Iterator[Columns]:
    """The enrollments' rows (ENROLLMENT_FIELDS) as columns, those no class role fits added to `unmapped`."""
    # A source role names the same class role whoever holds it, unless it names none: only then is the person
    # looked up (class_role), so the people are put by id only if some enrollment needs it.
    named: dict[str | None, str | None] = {}
    people: dict[str, Person] | None = None
    enrollments = snapshot.enrollments
    for start in range(0, len(enrollments), PAGE_ROWS):
        chunk = enrollments[start:start + PAGE_ROWS]
        source_roles = list(map(_source_roles, chunk))
        for source_role in set(source_roles).difference(named):
            named[source_role] = _class_role_named(source_role)
        roles = list(map(named.__getitem__, source_roles))
        if None in roles:
            if people is None:
                people = {person.source_id: person for person in snapshot.people}
            chunk, roles = _mapped_enrollments(chunk, roles, people, unmapped)
        yield ENROLLMENT_FIELDS, [list(map(_source_ids, chunk)), list(map(_class_ids, chunk)),
                                  list(map(_person_ids, chunk)), roles]


def every_role_named(enrollments: Sequence[Enrollment]) -> bool:
    """Whether every enrollment's own role names its class role: then its row is the record's alone (no person is
    looked up, none is left out), whatever the people are."""
    return all(map(_class_role_named, set(map(_source_roles, enrollments))))


def _class_role_named(source_role: str | None) -> str | None:
    """The class role an enrollment's own role names, whoever holds it; None when it names none."""
    return ENROLLMENT_ROLES.get((source_role or "").lower())


def _mapped_enrollments(chunk: Sequence[Enrollment], roles: list[str | None], people: Mapping[str, Person],
                        unmapped: list[Unmapped]) -> tuple[list[Enrollment], list[str]]:
    mapped: list[Enrollment] = []
    mapped_roles: list[str] = []
    for enrollment, role in zip(chunk, roles):
        if role is None:
            role = class_role(enrollment.role, people.get(enrollment.person_source_id))
        if role is None:
            unmapped.append(Unmapped(
                "enrollments.csv", enrollment.source_id, "role", enrollment.role,
                f"enrollment {enrollment.source_id}: user {enrollment.person_source_id} "
                "is neither a student nor staff; row skipped", enrollment.line,
            ))
            continue
        mapped.append(enrollment)
        mapped_roles.append(role)
    return mapped, mapped_roles


def class_role(source_role: str | None, person: Person | None) -> str | None:
    """The directory's class role for an enrollment; a missing or odd role follows the person's kind."""
    role = ENROLLMENT_ROLES.get((source_role or "").lower())
    if role is not None:
        return role
    if person is not None and STUDENT in person.kinds:
        return "student"
    if person is not None and STAFF in person.kinds:
        return "teacher"
    return None


def guardian_link_rows(snapshot: Snapshot) -> list[dict]:
    return list(rows_of(guardian_link_columns(snapshot)))


def guardian_link_columns(snapshot: Snapshot) -> Iterator[Columns]:
    """The guardian links' rows as columns: GUARDIAN_LINK_FIELDS, and the relationship where one is said."""
    links = snapshot.guardian_links
    for start in range(0, len(links), PAGE_ROWS):
        chunk = links[start:start + PAGE_ROWS]
        relationships = list(map(_relationships, chunk))
        if relationships.count(None) == len(relationships):
            yield GUARDIAN_LINK_FIELDS, [list(map(_guardian_ids, chunk)), list(map(_student_ids, chunk))]
            continue
        for said, alike in groupby(zip(chunk, relationships), key=_relationship_said):
            linked = [link for link, _ in alike]
            columns = [list(map(_guardian_ids, linked)), list(map(_student_ids, linked))]
            if said:
                yield (*GUARDIAN_LINK_FIELDS, RELATIONSHIP_FIELD), [*columns, list(map(_relationships, linked))]
            else:
                yield GUARDIAN_LINK_FIELDS, columns


def _relationship_said(link_and_relationship: tuple[GuardianLink, str | None]) -> bool:
    return link_and_relationship[1] is not None


# --- identity accounts ---------------------------------------------------------------


def role_grants(
    person: Person, school_source_ids: Sequence[str], district_source_id: str | None
) -> list[tuple[str, tuple[str, ...]]]:
    """(role, school source ids) pairs for one person; one person, one account, every role."""
    grants: dict[str, dict[str, None]] = {}

    def grant(role: str, schools: Sequence[str] = ()) -> None:
        grants.setdefault(role, {}).update(dict.fromkeys(schools))

    if STUDENT in person.kinds:
        grant(STUDENT_ROLE, school_source_ids)
    if GUARDIAN in person.kinds:
        grant(GUARDIAN_ROLE)
    if STAFF in person.kinds:
        for role, schools in _staff_grants(person, school_source_ids, district_source_id):
            grant(role, schools)
    return [(role, tuple(grants[role])) for role in ROLE_ORDER if role in grants]


def _staff_grants(
    person: Person, school_source_ids: Sequence[str], district_source_id: str | None
) -> list[tuple[str, Sequence[str]]]:
    at_district = district_source_id is not None and district_source_id in person.org_source_ids
    source_roles = [role.lower() for role in person.roles if role.lower() not in NON_STAFF_SOURCE_ROLES]
    grants: list[tuple[str, Sequence[str]]] = []
    for role in source_roles:
        if role in DISTRICT_ADMIN_SOURCE_ROLES and at_district:
            grants.append((DISTRICT_ADMIN, ()))
        elif role in SCHOOL_ADMIN_SOURCE_ROLES and school_source_ids:
            grants.append((SCHOOL_ADMIN, school_source_ids))
        else:
            # Teachers, aides, counselors, proctors, and administrators with no
            # school to run: staff who reach only their own schools' classes.
            grants.append((TEACHER, school_source_ids))
    return grants or [(TEACHER, school_source_ids)]


def account_rows(
    snapshot: Snapshot, *, person_ids: Mapping[str, str], school_ids: Mapping[str, str],
    schools: Mapping[str, Sequence[str]] | None = None,
) -> list[dict]:
    """Accounts of the people the directory holds, keyed by its person ids.

    `person_ids` and `school_ids` map source ids to directory ids; people and
    schools the directory refused have no id and are left out.
    """
    schools = person_schools(snapshot) if schools is None else schools
    district_source_id = district_source_of(snapshot)
    rows = []
    for person in snapshot.people:
        person_id = person_ids.get(person.source_id)
        if person_id is not None:
            rows.append(account_row(person, person_id, schools[person.source_id], school_ids, district_source_id))
    return rows


def district_source_of(snapshot: Snapshot) -> str | None:
    district = district_org(snapshot)
    return district.source_id if district else None


def account_row(person: Person, person_id: str, schools: Sequence[str], school_ids: Mapping[str, str],
                district_source_id: str | None) -> dict:
    grants = role_grants(person, schools, district_source_id)
    return {
        "person_id": person_id,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "email": person.email,
        "mobile_phone": person.mobile_phone,
        "home_phone": person.home_phone,
        "roles": [
            {"role": role, "school_ids": [school_ids[s] for s in grant_schools if s in school_ids]}
            for role, grant_schools in grants
        ],
        "managed_by_sync": True,
        # enabledUser=false in the SIS disables the account; a credential the reader refused is no
        # removal, so identity keeps what it has for it.
        "enabled": person.enabled_user,
        "invalid_fields": list(person.invalid_fields),
    }


def account_source(person: Person, person_id: str | None, schools: Sequence[str], school_ids: Mapping[str, str],
                   district_source_id: str | None, region: str) -> bytes | None:
    """The source fingerprint of a person's account row: the record; the ids the directory gave the person and
    their schools; roles, orgs and schools as for person_source; the district (an administrator's grant); and the
    region its phone numbers were read in. A run makes its accounts' all at once (AccountSources)."""
    if person.source_digest is None or person_id is None:
        return None
    shared = _account_shared((person.roles, person.org_source_ids, tuple(schools)), school_ids, district_source_id,
                             region)
    return source_fingerprint(person.source_digest, shared, person_id)


def _account_shared(context: tuple, school_ids: Mapping[str, str], district_source_id: str | None,
                    region: str) -> tuple:
    """What an account's source fingerprint takes beside the record and its person id, from the person's context
    (_contexts)."""
    roles, orgs, schools = context
    return roles, orgs, schools, tuple(map(school_ids.get, schools)), district_source_id, region


class AccountSources:
    """account_source of many people at once, for one run: the schools' ids, the district and the region are the
    run's, so a person's context (roles, orgs, schools) decides the rest, hashed once (SourceFingerprints).
    """

    def __init__(self, schools: Mapping[str, Sequence[str]], school_ids: Mapping[str, str],
                 district_source_id: str | None, region: str, contexts: PersonContexts | None = None) -> None:
        """`contexts`: the run's (PersonContexts of its people), when it has them."""
        self._contexts = PersonContexts(schools) if contexts is None else contexts
        context = self._contexts.context
        self._fingerprints = SourceFingerprints(
            lambda number: _account_shared(context(number), school_ids, district_source_id, region))

    def __call__(self, people: Sequence[Person], person_ids: Sequence[str | None]) -> list[bytes | None]:
        """Each person's, in order, by the directory id beside them (None where there is none: no account)."""
        return self._fingerprints.many(map(_raw_digests, people), self._contexts.numbers(people), person_ids)


# --- where a row came from -------------------------------------------------------------


def source_lines(snapshot: Snapshot, entity: str, labels: Collection[str]) -> dict[str, int]:
    """The line each of `labels` (as the stage names its rows) was read from, for the rows that have one.

    Asked only for the few rows another service refused, so a walk over one collection is cheap.
    """
    wanted = set(labels)
    if not wanted:
        return {}
    records: Iterable[tuple[str, int | None]]
    if entity == "schools":
        records = ((org.source_id, org.line) for org in snapshot.orgs)
    elif entity == "classrooms":
        records = ((klass.source_id, klass.line) for klass in snapshot.classes)
    elif entity in ("people", "accounts"):
        records = ((person.source_id, person.line) for person in snapshot.people)
    elif entity == "enrollments":
        records = ((enrollment.source_id, enrollment.line) for enrollment in snapshot.enrollments)
    else:
        records = ((f"{link.guardian_source_id}:{link.student_source_id}", link.line)
                   for link in snapshot.guardian_links)
    return {label: line for label, line in records if label in wanted and line is not None}

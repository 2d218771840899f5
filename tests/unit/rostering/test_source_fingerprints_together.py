"""A stage's source fingerprints made all at once (the people's, the accounts') are, bit for bit, each record's made
alone: an import judges exactly the same rows unchanged as when they were made one at a time, whatever the records
share, and any part that the fingerprint covers still changes it."""
import random

import pytest
from rostering_builders import make_person

from services.rostering.domain import mapping, source_rows
from services.rostering.domain.applied_rows import (
    Sourced,
    sourced_ahead,
    sourced_as_now,
    sourced_records,
    sources_by_key,
)

ROLES = [("student",), ("teacher",), ("parent",), ("teacher", "parent"), ("administrator",), ("aide", "teacher")]
ORGS = [(), ("district-1",), ("school-1",), ("school-2",), ("school-1", "school-2"), ("district-1", "school-3")]
SCHOOLS = [(), ("school-1",), ("school-2",), ("school-1", "school-2"), ("school-3",), ("school-2", "school-1")]


def random_people(chance: random.Random, count: int = 400):
    """People sharing contexts in every way (and some not at all), a few without a raw digest, each with their
    schools; equal contexts are often other tuple objects, as a reader can give them."""
    people, schools = [], {}
    for n in range(count):
        digest = None if chance.random() < 0.05 else f"cells-{chance.randrange(50)}".encode()
        people.append(make_person(source_id=f"person-{n}", roles=tuple(chance.choice(ROLES)),
                                  org_source_ids=tuple(chance.choice(ORGS)), source_digest=digest))
        schools[f"person-{n}"] = tuple(chance.choice(SCHOOLS))
    return people, schools


def random_ids(chance: random.Random, people, *, missing: float = 0.1) -> list[str | None]:
    return [None if chance.random() < missing else f"id-{chance.randrange(1000)}" for _ in people]


SCHOOL_IDS = {"school-1": "s-1", "school-2": "s-2"}  # school-3 refused by the directory: no id


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("contexts_kept", [2, source_rows.SHARED_CONTEXTS])
def test_accounts_source_fingerprints_made_together_are_each_made_alone(seed, contexts_kept, monkeypatch):
    chance = random.Random(seed)
    people, schools = random_people(chance)
    ids = random_ids(chance, people)
    district, region = chance.choice([None, "district-1"]), chance.choice(["US", "GB"])
    # A memo holding two contexts at most is refilled as the stage goes on: answers never depend on it.
    monkeypatch.setattr(source_rows, "SHARED_CONTEXTS", contexts_kept)

    together = mapping.AccountSources(schools, SCHOOL_IDS, district, region)(people, ids)

    assert together == [mapping.account_source(person, person_id, schools[person.source_id], SCHOOL_IDS, district,
                                                region) for person, person_id in zip(people, ids)]
    assert None in together and len(set(together) - {None}) > 100


@pytest.mark.parametrize("seed", range(10))
def test_people_source_fingerprints_made_together_are_each_made_alone(seed, monkeypatch):
    chance = random.Random(seed)
    people, schools = random_people(chance)
    monkeypatch.setattr(source_rows, "SHARED_CONTEXTS", 3)

    together = mapping.PersonSources(schools)(people)

    assert together == [mapping.person_source(person, schools[person.source_id]) for person in people]


def test_a_stages_fingerprints_made_in_several_calls_are_those_made_in_one():
    people, schools = random_people(random.Random(1))
    ids = random_ids(random.Random(2), people)
    sources = mapping.AccountSources(schools, SCHOOL_IDS, "district-1", "US")

    assert sources(people[:150], ids[:150]) + sources(people[150:], ids[150:]) == mapping.AccountSources(
        schools, SCHOOL_IDS, "district-1", "US")(people, ids)


# --- a run's people's contexts numbered once (PersonContexts), for both stages ------------------------------------

def alone(people, ids, schools, district="district-1", region="US"):
    """Each person's and account's source fingerprint, made one at a time."""
    return ([mapping.person_source(person, schools[person.source_id]) for person in people],
            [mapping.account_source(person, person_id, schools[person.source_id], SCHOOL_IDS, district, region)
             for person, person_id in zip(people, ids)])


@pytest.mark.parametrize("seed", range(10))
def test_the_run_s_people_asked_whole_or_a_run_at_a_time_are_each_made_alone(seed, monkeypatch):
    chance = random.Random(seed)
    people, schools = random_people(chance)
    ids = random_ids(chance, people)
    monkeypatch.setattr(source_rows, "SHARED_CONTEXTS", chance.choice([2, source_rows.SHARED_CONTEXTS]))
    contexts = mapping.PersonContexts(schools, tuple(people))
    accounts = mapping.AccountSources(schools, SCHOOL_IDS, "district-1", "US", contexts)

    made_people = mapping.PersonSources(schools, contexts)(people)
    # As sourced_ahead asks: a run of people at a time, each after the last; then some again, out of order.
    cuts = sorted(chance.sample(range(1, len(people)), 5))
    made_accounts = [source for start, end in zip([0, *cuts], [*cuts, len(people)])
                     for source in accounts(people[start:end], ids[start:end])]
    again = sorted(chance.sample(range(len(people)), 30))

    assert (made_people, made_accounts) == alone(people, ids, schools)
    assert accounts([people[n] for n in again], [ids[n] for n in again]) == [made_accounts[n] for n in again]
    assert accounts(people[100:150], ids[100:150]) == made_accounts[100:150]


@pytest.mark.parametrize("change", [
    {"roles": ("teacher",)}, {"org_source_ids": ("school-2",)}, {"source_digest": b"changed-cells"},
])
def test_a_person_not_the_run_s_own_is_fingerprinted_by_their_own_context(change):
    """Another Person object under a run's person's source id (the same place in the run) is not taken for them."""
    people, schools = random_people(random.Random(3), 20)
    people = [person._replace(roles=("student",), org_source_ids=("school-1",)) for person in people]
    ids = [f"id-{n}" for n in range(len(people))]
    contexts = mapping.PersonContexts(schools, tuple(people))
    changed = [*people[:7], people[7]._replace(**change), *people[8:]]

    made = (mapping.PersonSources(schools, contexts)(changed),
            mapping.AccountSources(schools, SCHOOL_IDS, "district-1", "US", contexts)(changed, ids))

    assert made == alone(changed, ids, schools)
    assert made[0][7] != alone(people, ids, schools)[0][7] and made[1][7] != alone(people, ids, schools)[1][7]


ACCOUNT = {"person_id": "person-1", "raw": b"ada-cells", "roles": ("student",), "orgs": ("school-1",),
           "schools": ("school-1",), "school_ids": {"school-1": "s-1"}, "district": "district-1", "region": "US"}


def accounts_source(values: dict) -> bytes:
    person = make_person(source_digest=values["raw"], roles=values["roles"], org_source_ids=values["orgs"])
    # Beside a schoolmate, so that the person's context is one the stage has met already.
    schoolmate = make_person(source_id="student-2", source_digest=b"other-cells")
    schools = {"student-1": values["schools"], "student-2": ACCOUNT["schools"]}
    made = mapping.AccountSources(schools, values["school_ids"], values["district"], values["region"])(
        [schoolmate, person], ["person-2", values["person_id"]])
    return made[1]


@pytest.mark.parametrize("change", [
    {"person_id": "person-9"}, {"raw": b"augusta-cells"}, {"roles": ("student", "aide")}, {"roles": ("aide",)},
    {"orgs": ("school-1", "district-1")}, {"orgs": ()}, {"schools": ("school-2",)}, {"schools": ()},
    {"schools": ("school-1", "school-2")}, {"school_ids": {"school-1": "s-9"}}, {"school_ids": {}},
    {"district": "district-9"}, {"district": None}, {"region": "GB"},
])
def test_every_part_an_account_takes_changes_its_source_fingerprint_made_together(change):
    assert accounts_source({**ACCOUNT, **change}) != accounts_source(ACCOUNT)
    assert accounts_source(ACCOUNT) == accounts_source(dict(ACCOUNT))  # the same inputs, the same fingerprint


def test_an_account_without_a_person_id_or_a_raw_digest_has_no_source_fingerprint():
    sources = mapping.AccountSources({"student-1": ("school-1",)}, SCHOOL_IDS, "district-1", "US")
    person = make_person(source_digest=b"ada-cells")

    assert sources([person, person._replace(source_digest=None), person], [None, "person-1", "person-1"]) == [
        None, None, mapping.account_source(person, "person-1", ("school-1",), SCHOOL_IDS, "district-1", "US")]


def test_the_reading_rules_version_is_part_of_fingerprints_made_together(monkeypatch):
    people, schools = random_people(random.Random(3), 20)
    before = mapping.PersonSources(schools)(people)
    monkeypatch.setattr(source_rows, "READING_VERSION", source_rows.READING_VERSION + 1)

    after = mapping.PersonSources(schools)(people)

    assert all(old != new for old, new in zip(before, after) if old is not None)


def reference_sources_by_key(records):
    """sources_by_key as one record at a time."""
    sources = {}
    for record in records:
        if record.key is not None:
            sources[record.key] = None if record.key in sources else record.source
    return sources


@pytest.mark.parametrize("seed", range(20))
def test_sources_by_key_asks_a_shared_key_without_a_fingerprint_and_leaves_unkeyed_records_out(seed):
    chance = random.Random(seed)
    keys = [None if chance.random() < 0.1 else f"key-{chance.randrange(chance.choice([50, 5000]))}"
            for _ in range(300)]
    records = [Sourced(n, key, None if chance.random() < 0.1 else bytes([n % 256]) * 16)
               for n, key in enumerate(keys)]

    asked = sources_by_key(records)

    assert asked == reference_sources_by_key(records)
    assert list(asked) == list(reference_sources_by_key(records))  # asked in the order the records list them


@pytest.mark.parametrize("seed", range(10))
def test_records_sourced_ahead_and_brought_up_to_new_ids_are_those_sourced_by_the_new_ids(seed, monkeypatch):
    monkeypatch.setattr("services.rostering.domain.applied_rows.SOURCES_CHUNK", 7)
    chance = random.Random(seed)
    people, schools = random_people(chance, 100)
    remembered = {person.source_id: f"id-{n}" for n, person in enumerate(people) if chance.random() < 0.8}
    answered = {**remembered, **{person.source_id: f"new-id-{n}" for n, person in enumerate(people)
                                 if chance.random() < 0.1}}
    for refused in chance.sample(sorted(answered), 5):
        del answered[refused]
    sources = mapping.AccountSources(schools, SCHOOL_IDS, "district-1", "US")

    def source_id(person):
        return person.source_id

    made = sourced_ahead(people, key=source_id, ids=remembered, sources=sources)
    now = sourced_as_now(made, key=source_id, ids=answered, sources=sources)

    assert now == sourced_records(people, key=lambda person: answered.get(person.source_id), sources=sources)
    assert now == [Sourced(person, answered.get(person.source_id), mapping.account_source(
        person, answered.get(person.source_id), schools[person.source_id], SCHOOL_IDS, "district-1", "US"))
        for person in people]


@pytest.mark.parametrize("seed", range(5))
def test_two_accounts_share_a_source_fingerprint_exactly_when_everything_it_covers_is_alike(seed):
    # Inputs drawn from small pools, so that most parts coincide between many pairs and only some differ.
    chance = random.Random(seed)
    made: dict[bytes, tuple] = {}
    sources: dict[tuple, bytes] = {}
    for _ in range(3000):
        covered = (chance.choice([b"a", b"b", b"ab", bytes(16)]), chance.choice(["p-1", "p-2", "p-12", ""]),
                   tuple(chance.choice(ROLES)), tuple(chance.choice(ORGS)), tuple(chance.choice(SCHOOLS)),
                   chance.choice([SCHOOL_IDS, {"school-1": "s-1"}, {"school-1": "s-2", "school-2": "s-1"}]),
                   chance.choice([None, "district-1", "district-2"]), chance.choice(["US", "GB"]))
        raw, person_id, roles, orgs, schools, school_ids, district, region = covered
        person = make_person(source_digest=raw, roles=roles, org_source_ids=orgs)
        [source] = mapping.AccountSources({"student-1": schools}, school_ids, district, region)([person], [person_id])
        # What the account takes of the school ids: those of its schools, in their order.
        alike = (raw, person_id, roles, orgs, schools, tuple(map(school_ids.get, schools)), district, region)
        assert made.setdefault(source, alike) == alike
        assert sources.setdefault(alike, source) == source
    assert 1000 < len(made) < 3000  # many alike, many not

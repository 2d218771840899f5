"""Source fingerprints made with what the stage's last run made (FingerprintsMadeBefore) are, bit for bit, those
made from nothing: a record takes its last fingerprint only when every part it was made from is the same."""
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rostering_builders import make_person

from services.rostering.domain import mapping, source_rows
from services.rostering.domain.source_rows import FingerprintsMadeBefore, SourceFingerprints

ROLES = [("student",), ("teacher",), ("parent",), ("teacher", "parent")]
ORGS = [(), ("school-1",), ("school-2",), ("school-1", "school-2")]
SCHOOLS = [(), ("school-1",), ("school-2",), ("school-2", "school-1")]
SCHOOL_IDS = [{"school-1": "s-1", "school-2": "s-2"}, {"school-1": "s-1"}, {"school-1": "s-9", "school-2": "s-2"}]


def people_of(rows: list[tuple]) -> tuple[list, dict, list]:
    """People, their schools and their directory ids from (digest, roles, orgs, schools, id) choices; equal
    contexts are other tuple objects from run to run, as two reads give them."""
    people, schools, ids = [], {}, []
    for n, (digest, roles, orgs, school, person_id) in enumerate(rows):
        people.append(make_person(source_id=f"person-{n}", roles=tuple(ROLES[roles]), org_source_ids=tuple(ORGS[orgs]),
                                  source_digest=None if digest is None else f"cells-{digest}".encode()))
        schools[f"person-{n}"] = tuple(SCHOOLS[school])
        ids.append(None if person_id is None else f"id-{person_id}")
    return people, schools, ids


rows = st.tuples(st.one_of(st.none(), st.integers(0, 6)), st.integers(0, 3), st.integers(0, 3), st.integers(0, 3),
                 st.one_of(st.none(), st.integers(0, 3)))
runs = st.tuples(st.lists(rows, max_size=12), st.integers(0, 2), st.sampled_from([None, "district-1", "district-2"]),
                 st.sampled_from(["US", "GB"]), st.booleans())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(runs, min_size=1, max_size=6), st.sampled_from([2, source_rows.SHARED_CONTEXTS]))
def test_any_sequence_of_runs_makes_the_fingerprints_made_from_nothing(sequence, contexts_kept):
    made_before = FingerprintsMadeBefore()
    with_contexts_kept = source_rows.SHARED_CONTEXTS
    source_rows.SHARED_CONTEXTS = contexts_kept
    try:
        first_rows = sequence[0][0]
        for records, school_ids, district, region, same_records in sequence:
            # Most runs repeat the first run's records, as a nightly file does; the rest are any records at all.
            people, schools, ids = people_of(first_rows if same_records else records)
            people_made = SourceFingerprints(made_before=made_before.take("people"))
            accounts = mapping.AccountSources(schools, SCHOOL_IDS[school_ids], district, region,
                                              made_before.take("accounts"))

            assert mapping.person_sources(people, schools, people_made) == [
                mapping.person_source(person, schools[person.source_id]) for person in people]
            # In two calls, as a run asks by the ids remembered and then by those the directory gave.
            half = len(people) // 2
            assert accounts(people[:half], ids[:half]) + accounts(people[half:], ids[half:]) == [
                mapping.account_source(person, person_id, schools[person.source_id], SCHOOL_IDS[school_ids],
                                       district, region) for person, person_id in zip(people, ids)]
            made_before.keep("people", people_made.made())
            made_before.keep("accounts", accounts.made())
    finally:
        source_rows.SHARED_CONTEXTS = with_contexts_kept


def test_an_unchanged_run_takes_every_fingerprint_and_hashes_none(monkeypatch):
    chance = random.Random(5)
    people, schools, ids = people_of([(n, chance.randrange(4), chance.randrange(4), chance.randrange(4), n)
                                      for n in range(200)])
    made_before = FingerprintsMadeBefore()
    first = SourceFingerprints(made_before=made_before.take("people"))
    made = mapping.person_sources(people, schools, first)
    made_before.keep("people", first.made())
    hashed = []
    dumps = source_rows.marshal.dumps
    monkeypatch.setattr(source_rows.marshal, "dumps", lambda value, version: hashed.append(value) or dumps(value,
                                                                                                         version))

    again = mapping.person_sources(people, schools, SourceFingerprints(made_before=made_before.take("people")))

    assert again == made and all(new is old for new, old in zip(again, made))
    # Only the contexts were marshalled again (to be compared), never a record's own part.
    assert all(isinstance(value, tuple) for value in hashed)


def test_another_reading_version_takes_nothing(monkeypatch):
    people, schools, _ = people_of([(n, 0, 1, 1, None) for n in range(5)])
    made_before = FingerprintsMadeBefore()
    first = SourceFingerprints(made_before=made_before.take("people"))
    before = mapping.person_sources(people, schools, first)
    made_before.keep("people", first.made())
    monkeypatch.setattr(source_rows, "READING_VERSION", source_rows.READING_VERSION + 1)

    after = mapping.person_sources(people, schools, SourceFingerprints(made_before=made_before.take("people")))

    assert after == mapping.person_sources(people, schools, SourceFingerprints())
    assert not set(after) & set(before)


def test_no_more_fingerprints_are_kept_than_allowed():
    people, schools, _ = people_of([(n, 0, 1, 1, None) for n in range(3)])
    made_before = FingerprintsMadeBefore(most=2)
    made = SourceFingerprints()
    mapping.person_sources(people, schools, made)
    made_before.keep("people", made.made())
    assert made_before.take("people") is None

"""Properties of the projection: events from identity and directory converge in any order, and
redeliveries change nothing.

A history holds, per person, the latest account identity published and the
latest person directory published (a service's successive versions carry no
version number, so only their arrival order can rank them), any number of
joins and enablements, and redeliveries of any of these.
"""
from hypothesis import given
from hypothesis import strategies as st

from services.notify.domain.recipients import (
    AccountFacts,
    DirectoryFacts,
    Fact,
    StudentAccountEnabled,
    UserJoined,
    apply_facts,
)
from shared.contracts import directory, identity

PEOPLE = ("p-1", "p-2", "p-3")
NAMES = st.sampled_from(("Ana", "Ben", "Chen", "Dana"))
DISTRICTS = st.sampled_from(("district-1", "district-2"))
SCHOOLS = st.lists(st.sampled_from(("s-1", "s-2", "s-3")), max_size=3).map(tuple)


def account_facts(person_id: str) -> st.SearchStrategy[AccountFacts]:
    return st.builds(
        AccountFacts,
        person_id=st.just(person_id),
        district_id=st.none() | DISTRICTS,
        given_name=NAMES,
        family_name=NAMES,
        email=st.none() | st.sampled_from(("a@example.org", "b@example.org")),
        mobile_phone=st.none() | st.sampled_from(("+15555550101", "+15555550102")),
        status=st.sampled_from(identity.ACCOUNT_STATUSES),
        roles=st.lists(st.sampled_from(identity.ROLES), max_size=3).map(tuple),
    )


def directory_facts(person_id: str) -> st.SearchStrategy[DirectoryFacts]:
    return st.builds(
        DirectoryFacts,
        person_id=st.just(person_id),
        district_id=DISTRICTS,
        given_name=NAMES,
        family_name=NAMES,
        kinds=st.lists(st.sampled_from(directory.KINDS), min_size=1, max_size=3).map(tuple),
        school_ids=SCHOOLS,
        student_account_enabled=st.booleans(),
        archived=st.booleans(),
    )


@st.composite
def histories(draw) -> list[Fact]:
    facts: list[Fact] = []
    for person_id in PEOPLE:
        if draw(st.booleans()):
            facts.append(draw(account_facts(person_id)))
        if draw(st.booleans()):
            facts.append(draw(directory_facts(person_id)))
    facts += draw(st.lists(st.builds(UserJoined, st.sampled_from(PEOPLE)), max_size=3))
    facts += draw(st.lists(st.builds(StudentAccountEnabled, st.sampled_from(PEOPLE)), max_size=3))
    if facts:
        facts += draw(st.lists(st.sampled_from(facts), max_size=4))
    return facts


@given(history=histories(), data=st.data())
def test_the_same_events_in_any_order_build_the_same_projection(history, data):
    reordered = data.draw(st.permutations(history))

    assert apply_facts({}, reordered) == apply_facts({}, history)


@given(history=histories())
def test_redelivering_every_event_changes_nothing(history):
    projection = apply_facts({}, history)

    assert apply_facts(projection, history) == projection


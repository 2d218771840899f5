"""Archiving by hand, item by item: the order of the checks and what each answers."""
from __future__ import annotations

from directory_factories import make_person, make_principal, make_viewer_facts, role
from hypothesis import given
from hypothesis import strategies as st

from services.directory.domain import archiving as rules
from services.directory.domain import visibility as v
from services.directory.domain.sync_lock import NO_SYNC, SyncOwnership

NORTH, SOUTH = "north", "south"
DISTRICT_ADMIN = v.scope_for(make_principal(person_id="boss", roles=[role("district_admin")]), make_viewer_facts())
NORTH_ADMIN = v.scope_for(make_principal(person_id="pat", roles=[role("school_admin", NORTH)]), make_viewer_facts())
SYNCED = SyncOwnership(source="OneRoster SFTP", manages_guardians=False)


def state(archived: bool = False, managed_by_sync: bool = False, **facts) -> rules.PersonState:
    return rules.PersonState(make_person(**facts), archived, managed_by_sync)


def verdict(person, *, scope=NORTH_ADMIN, viewer="pat", action=rules.ARCHIVE, ownership=NO_SYNC) -> rules.Verdict:
    return rules.person_verdict(viewer_id=viewer, scope=scope, person=person, action=action, ownership=ownership)


def test_a_student_of_the_administrators_school_is_archived_and_unarchived():
    assert verdict(state(id="ana", school_ids={NORTH})) == rules.Verdict("done")
    assert verdict(state(id="ana", archived=True, school_ids={NORTH}), action=rules.UNARCHIVE).outcome == "done"


def test_someone_unknown_or_out_of_sight_is_not_found_whatever_else_is_true():
    assert verdict(None).outcome == "not_found"
    assert verdict(state(id="cal", archived=True, school_ids={SOUTH})).outcome == "not_found"


def test_nobody_archives_themselves():
    assert verdict(state(id="pat", kinds={"staff"}, school_ids={NORTH})) == rules.Verdict(
        "refused", rules.NOT_YOURSELF)


def test_a_person_already_in_the_wanted_state_answers_already():
    assert verdict(state(id="ana", archived=True, school_ids={NORTH})).outcome == "already"
    assert verdict(state(id="ana", school_ids={NORTH}), action=rules.UNARCHIVE).outcome == "already"


def test_a_guardian_with_a_child_in_another_school_needs_a_district_administrator():
    gina = state(id="gina", kinds={"guardian"}, children_school_ids={NORTH, SOUTH})
    refused = verdict(gina)
    assert refused.outcome == "refused" and "1 school(s) you do not manage" in refused.reason
    assert verdict(gina, scope=DISTRICT_ADMIN, viewer="boss").outcome == "done"


def test_the_sync_locks_the_people_it_manages_but_not_guardians_it_does_not():
    ana = state(id="ana", managed_by_sync=True, school_ids={NORTH})
    locked = verdict(ana, ownership=SYNCED)
    assert locked.outcome == "refused" and "OneRoster SFTP sync" in locked.reason
    gus = state(id="gus", kinds={"guardian"}, managed_by_sync=True, children_school_ids={NORTH})
    assert verdict(gus, ownership=SYNCED).outcome == "done"
    assert verdict(state(id="eve", school_ids={NORTH}), ownership=SYNCED).outcome == "done"


@given(archived=st.booleans(), managed=st.booleans(), visible=st.booleans(), action=st.sampled_from(
    [rules.ARCHIVE, rules.UNARCHIVE]), locked=st.booleans())
def test_only_done_items_change_and_a_hidden_person_reveals_nothing(archived, managed, visible, action, locked):
    person = state(id="ana", archived=archived, managed_by_sync=managed, school_ids={NORTH if visible else SOUTH})
    result = verdict(person, action=action, ownership=SYNCED if locked else NO_SYNC)
    if not visible:
        assert result == rules.Verdict("not_found")
    elif archived == (action == rules.ARCHIVE):
        assert result.outcome == "already"
    elif locked and managed:
        assert result.outcome == "refused"
    else:
        assert result == rules.Verdict("done")


def test_only_the_schools_administrators_archive_its_classrooms():
    art = rules.ClassroomState(v.ClassroomFacts("art", "d1", NORTH), archived=False, managed_by_sync=True)
    assert rules.classroom_verdict(scope=NORTH_ADMIN, classroom=art, action=rules.ARCHIVE,
                                   ownership=NO_SYNC).outcome == "done"
    tess = v.scope_for(make_principal(person_id="tess", roles=[role("teacher", NORTH)]),
                       make_viewer_facts(taught_classroom_ids={"art"}))
    assert rules.classroom_verdict(scope=tess, classroom=art, action=rules.ARCHIVE,
                                   ownership=NO_SYNC).outcome == "refused"
    assert rules.classroom_verdict(scope=NORTH_ADMIN, classroom=art, action=rules.ARCHIVE,
                                   ownership=SYNCED).outcome == "refused"
    assert rules.classroom_verdict(scope=NORTH_ADMIN, classroom=None, action=rules.ARCHIVE,
                                   ownership=NO_SYNC).outcome == "not_found"

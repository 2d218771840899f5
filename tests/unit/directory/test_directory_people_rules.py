"""Kinds, student account status, search filters and enabling accounts, as plain rules."""
from __future__ import annotations

import pytest

from services.directory.domain import people as rules


@pytest.mark.parametrize("is_student,enabled,invited,joined,status", [
    (True, False, False, False, "not_enabled"),
    (True, False, True, True, "not_enabled"),
    (True, True, False, False, "enabled"),
    (True, True, True, False, "invited"),
    (True, True, True, True, "active"),
    (True, True, False, True, "active"),
    (False, True, True, True, None),
    (False, False, False, False, None),
])
def test_a_student_account_status_follows_enabled_invited_and_joined(is_student, enabled, invited, joined, status):
    shown = rules.student_account_status(is_student=is_student, enabled=enabled, invited=invited, joined=joined)
    assert shown == status


@pytest.mark.parametrize("status", ["not_enabled", "enabled", "invited", "active"])
def test_the_status_filter_admits_exactly_the_students_showing_that_status(status):
    enabled, invited, joined = rules.account_status_condition(status)
    for is_enabled in (False, True):
        for was_invited in (False, True):
            for has_joined in (False, True):
                admitted = (is_enabled == enabled and (invited is None or was_invited == invited)
                            and (joined is None or has_joined == joined))
                shown = rules.student_account_status(is_student=True, enabled=is_enabled, invited=was_invited,
                                                     joined=has_joined)
                assert admitted is (shown == status)


def test_kinds_are_stored_as_flags_and_read_back_in_contract_order():
    flags = rules.kind_flags(["guardian", "staff"])
    assert flags == {"is_student": False, "is_staff": True, "is_guardian": True}
    assert rules.kinds_of(flags) == ["staff", "guardian"]


def test_a_search_request_becomes_case_folded_terms_and_a_page_window():
    wanted = rules.people_filter({"query": "  Ana  LOPEZ ana ", "page": 3, "per_page": 20,
                                  "include_archived": True, "kind": "student"})
    assert wanted.terms == ("ana", "lopez")
    assert (wanted.offset, wanted.limit) == (40, 20)
    assert wanted.include_archived and wanted.kind == "student"
    assert not wanted.students_only


def test_an_empty_query_filters_nothing_by_name():
    assert rules.people_filter({"query": None, "page": 1, "per_page": 25}).terms == ()


@pytest.mark.parametrize("status,enabled,invited,joined", [
    ("not_enabled", False, None, None), ("enabled", True, False, False), ("invited", True, True, False),
    ("active", True, None, True)])
def test_a_student_account_status_filter_restricts_the_search_to_students(status, enabled, invited, joined):
    wanted = rules.people_filter({"student_account_status": status, "page": 1, "per_page": 25})
    assert wanted.students_only
    assert (wanted.account_enabled, wanted.invited, wanted.joined) == (enabled, invited, joined)


@pytest.mark.parametrize("exists,visible,is_student,already,outcome", [
    (False, False, False, False, "not_found"),
    (True, False, True, False, "forbidden"),
    (True, False, False, False, "forbidden"),
    (True, True, False, False, "not_a_student"),
    (True, True, True, True, "already_enabled"),
    (True, True, True, False, "enabled"),
])
def test_enabling_one_account_reports_why_it_did_or_did_not_happen(exists, visible, is_student, already, outcome):
    assert rules.enablement_outcome(exists=exists, visible=visible, is_student=is_student,
                                    already_enabled=already) == outcome


def test_a_person_change_carries_what_other_services_project():
    values = {"given_name": "Ana", "family_name": "Lopez", "is_student": True, "is_staff": False,
              "is_guardian": True, "school_ids": ("s2", "s1"), "archived": False}
    assert rules.person_change("p1", "d1", values) == {
        "person_id": "p1", "district_id": "d1", "given_name": "Ana", "family_name": "Lopez",
        "kinds": ["student", "guardian"], "school_ids": ["s1", "s2"],
        "student_account_enabled": False, "archived": False,
    }

"""Who may read a delivery report and a school's unreachable contacts."""
from __future__ import annotations

import pytest

from services.notify.domain.access import may_list_unreachable, report_access


def make_principal(*roles: tuple[str, list[str]], permissions: tuple[str, ...] = (), **overrides) -> dict:
    principal = {"person_id": "viewer-1", "district_id": "district-1", "display_name": "Viewer", "status": "active",
                 "roles": [{"role": role, "school_ids": schools} for role, schools in roles],
                 "permissions": list(permissions)}
    return {**principal, **overrides}


def access_of(viewer: dict, *, sender_id: str = "sender-1", district_id: str = "district-1"):
    return report_access(viewer, sender_id=sender_id, district_id=district_id)


def test_the_sender_may_read_their_report_whatever_their_role():
    assert access_of(make_principal(("teacher", ["school-1"])), sender_id="viewer-1").everything


def test_a_district_admin_may_read_every_report_of_their_district_only():
    admin = make_principal(("district_admin", []))

    assert access_of(admin).everything
    assert access_of(admin, district_id="district-2").denied


def test_a_school_admin_may_read_reports_that_reached_their_schools():
    access = access_of(make_principal(("school_admin", ["school-1", "school-2"])))

    assert not access.everything and access.via_schools == {"school-1", "school-2"}


def test_a_teacher_needs_engagement_visibility_to_read_another_senders_report():
    assert access_of(make_principal(("teacher", ["school-1"]))).denied
    assert access_of(make_principal(("teacher", ["school-1"]), permissions=("engagement_visibility",))
                     ).via_schools == {"school-1"}


def test_guardians_and_students_read_no_one_elses_report():
    assert access_of(make_principal(("guardian", []))).denied
    assert access_of(make_principal(("student", ["school-1"]))).denied


def test_a_disabled_account_reads_nothing_not_even_its_own_report():
    assert access_of(make_principal(("district_admin", []), status="disabled"), sender_id="viewer-1").denied


@pytest.mark.parametrize("viewer, allowed", [
    (make_principal(("district_admin", [])), True),
    (make_principal(("school_admin", ["school-1"])), True),
    (make_principal(("school_admin", ["school-2"])), False),
    (make_principal(("teacher", ["school-1"]), permissions=("school_wide_communications",)), True),
    (make_principal(("teacher", ["school-1"]), permissions=("users_manager",)), True),
    (make_principal(("teacher", ["school-1"]), permissions=("rostering_administrator",)), True),
    (make_principal(("teacher", ["school-2"]), permissions=("users_manager",)), False),
    (make_principal(("teacher", ["school-1"]), permissions=("engagement_visibility",)), False),
    (make_principal(("teacher", ["school-1"])), False),
    (make_principal(("guardian", [])), False),
], ids=["district admin", "its admin", "another school's admin", "school-wide communications",
        "users manager", "rostering administrator", "staff of another school", "engagement visibility only",
        "plain teacher", "guardian"])
def test_unreachable_contacts_of_a_school_are_for_its_admins_and_staff_who_act_on_contacts(viewer, allowed):
    assert may_list_unreachable(viewer, "school-1") is allowed

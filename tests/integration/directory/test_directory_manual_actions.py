"""Manual directory actions through the directory service, with identity running beside it: enrolling,
staff, guardians (new, linked by credentials, refused for a joined account's credential), sync locks,
bad input, and the audit log."""
from __future__ import annotations

import pytest

from shared.contracts import identity
from shared.contracts.errors import Conflict, InvalidRequest, Locked, NotFound, PermissionDenied

pytestmark = pytest.mark.postgres

PASSWORD = "a long enough password"


def give_account(identity_rpc, district, person: str, *, joined: bool = False, **credentials) -> None:
    """An identity account for a seeded person, as a sync would have made it; `joined`: its owner signed in."""
    identity_rpc.upsert_accounts({"district_id": district.id, "accounts": [{
        "person_id": district.ids[person], "given_name": person.title(), "family_name": "Seeded",
        "roles": [{"role": identity.GUARDIAN, "school_ids": []}], **credentials}]})
    if joined:
        login = credentials.get("email") or credentials["mobile_phone"]
        identity_rpc.set_password({"login": login, "password": PASSWORD})
        identity_rpc.login({"login": login, "password": PASSWORD})


def profile(rpc, district, person_id: str) -> dict:
    return rpc.get_student_profile({"viewer": district.viewer("district_admin"), "person_id": person_id})


def audit(rpc, district, **filters) -> list[tuple[str, str]]:
    page = rpc.get_audit_log({"viewer": district.viewer("district_admin"), **filters})
    return [(entry["action"], entry["subject_id"]) for entry in page["items"]]


def test_a_new_student_is_enrolled_with_an_invitee_account_and_an_audit_entry(directory_rpc, identity_rpc, district):
    admin = district.viewer("north_admin")
    enrolled = directory_rpc.enroll_student({
        "viewer": admin, "school_id": district.ids["sch-north"], "classroom_id": district.ids["cls-math"],
        "student": {"given_name": "Nia", "family_name": "Park", "grade": "03", "email": "Nia.Park@Example.org"}})

    assert enrolled["outcome"] == "created"
    student = profile(directory_rpc, district, enrolled["person_id"])
    assert ([s["name"] for s in student["schools"]], [c["title"] for c in student["classrooms"]]) == (
        ["North Elementary"], ["Math 3"])
    [account] = identity_rpc.get_accounts({"person_ids": [enrolled["person_id"]]})["accounts"]
    assert (account["email"], account["status"]) == ("nia.park@example.org", "invitee")
    assert account["roles"] == [{"role": "student", "school_ids": [district.ids["sch-north"]]}]
    # One change, one moment: its entries come in no particular order among themselves.
    assert sorted(audit(directory_rpc, district, subject_id=enrolled["person_id"])) == [
        ("create_person", enrolled["person_id"]), ("enroll_student", enrolled["person_id"])]


def test_an_existing_student_is_assigned_to_a_classroom_once_and_unenrolled_once(directory_rpc, district):
    request = {"viewer": district.viewer("north_admin"), "school_id": district.ids["sch-north"],
               "classroom_id": district.ids["cls-math"], "person_id": district.ids["eve"]}

    assert directory_rpc.enroll_student(request)["outcome"] == "enrolled"
    assert directory_rpc.enroll_student(request)["outcome"] == "unchanged"
    assert {c["title"] for c in profile(directory_rpc, district, district.ids["eve"])["classrooms"]} == {
        "Art 4", "Math 3"}

    leave = {"viewer": district.viewer("north_admin"), "person_id": district.ids["eve"],
             "classroom_id": district.ids["cls-math"]}
    assert directory_rpc.unenroll_person(leave)["outcome"] == "done"
    assert directory_rpc.unenroll_person(leave)["outcome"] == "already"
    assert {c["title"] for c in profile(directory_rpc, district, district.ids["eve"])["classrooms"]} == {"Art 4"}


def test_staff_are_added_given_a_title_and_assigned_to_a_classroom(directory_rpc, identity_rpc, district):
    admin = district.viewer("north_admin")
    added = directory_rpc.add_staff({"viewer": admin, "school_ids": [district.ids["sch-north"]],
                                     "job_title": "Aide", "staff": {"given_name": "Ola", "family_name": "Berg",
                                                                    "email": "ola@example.org"}})
    assert added["outcome"] == "created"
    titled = directory_rpc.set_job_title({"viewer": admin, "person_id": added["person_id"], "job_title": "Tutor"})
    assert (titled["outcome"], titled["job_title"]) == ("updated", "Tutor")
    assigned = directory_rpc.assign_staff_to_classroom({"viewer": admin, "person_id": added["person_id"],
                                                        "classroom_id": district.ids["cls-art"]})
    assert assigned["outcome"] == "done"
    [account] = identity_rpc.get_accounts({"person_ids": [added["person_id"]]})["accounts"]
    assert account["roles"] == [{"role": "teacher", "school_ids": [district.ids["sch-north"]]}]

    # A classroom of a school the staff member does not belong to is refused, naming the field.
    with pytest.raises(NotFound) as outside:
        directory_rpc.assign_staff_to_classroom({"viewer": admin, "person_id": added["person_id"],
                                                 "classroom_id": district.ids["cls-bio"]})
    assert set(outside.value.fields) == {"classroom_id"}
    with pytest.raises(InvalidRequest) as elsewhere:
        directory_rpc.assign_staff_to_classroom({"viewer": district.viewer("district_admin"),
                                                 "person_id": added["person_id"],
                                                 "classroom_id": district.ids["cls-bio"]})
    assert set(elsewhere.value.fields) == {"classroom_id"}


def test_a_guardian_added_by_credentials_is_new_then_linked_to_the_account_holding_them(
        directory_rpc, identity_rpc, district):
    admin = district.viewer("district_admin")
    typed = {"given_name": "Ray", "family_name": "Lopez", "email": "ray@example.org", "mobile_phone": "4155550111"}
    first = directory_rpc.add_guardian({"viewer": admin, "student_id": district.ids["ana"], "guardian": typed,
                                        "relationship": "father"})
    second = directory_rpc.add_guardian({"viewer": admin, "student_id": district.ids["cal"], "guardian": typed})

    assert first["outcome"] == "created"
    assert (second["outcome"], second["guardian_id"]) == ("linked_existing", first["guardian_id"])
    assert first["guardian_id"] in {g["id"] for g in profile(directory_rpc, district, district.ids["cal"])["guardians"]}
    again = directory_rpc.add_guardian({"viewer": admin, "student_id": district.ids["cal"],
                                        "person_id": first["guardian_id"]})
    assert again["outcome"] == "already_linked"


def test_a_credential_of_a_joined_account_is_refused_with_the_product_message_and_that_account(
        directory_rpc, identity_rpc, district):
    give_account(identity_rpc, district, "gina", joined=True, email="gina@example.org")
    with pytest.raises(Conflict) as refused:
        directory_rpc.add_guardian({"viewer": district.viewer("district_admin"), "student_id": district.ids["eve"],
                                    "guardian": {"given_name": "G", "family_name": "L", "email": "gina@example.org",
                                                 "mobile_phone": "4155550122"}})

    assert refused.value.message == "This email and phone can't be used at the same time"
    assert refused.value.fields["existing_person_id"] == [district.ids["gina"]]
    assert "guardian.email" in refused.value.fields
    # Staff link the existing account instead.
    linked = directory_rpc.add_guardian({"viewer": district.viewer("district_admin"), "student_id": district.ids["eve"],
                                         "person_id": district.ids["gina"]})
    assert linked["outcome"] == "linked"


def test_a_guardian_is_edited_and_removed_and_remove_guardians_answers_per_student(
        directory_rpc, identity_rpc, district):
    admin = district.viewer("district_admin")
    give_account(identity_rpc, district, "gus", email="gus@example.org")
    edited = directory_rpc.update_guardian({
        "viewer": admin, "guardian_id": district.ids["gus"], "student_id": district.ids["ben"], "given_name": "Gustav",
        "mobile_phone": "(415) 555-0133", "relationship": "uncle"})
    assert (edited["given_name"], edited["mobile_phone"], edited["relationship"], edited["outcome"]) == (
        "Gustav", "+14155550133", "uncle", "updated")
    assert {action for action, _ in audit(directory_rpc, district)} >= {
        "rename_person", "update_contact_details", "set_relationship"}

    removed = directory_rpc.remove_guardian({"viewer": admin, "guardian_id": district.ids["gus"],
                                             "student_id": district.ids["ben"]})
    assert removed["outcome"] == "done"
    bulk = directory_rpc.remove_guardians({"viewer": district.viewer("north_admin"), "student_ids": [
        district.ids["ben"], district.ids["ana"], district.ids["eve"], district.ids["cal"], district.ids["tess"]]})
    assert {district.source_of(r["key"]): r["outcome"] for r in bulk["results"]} == {
        "ben": "done", "ana": "done", "eve": "already", "cal": "not_found", "tess": "refused"}
    assert profile(directory_rpc, district, district.ids["ben"])["guardians"] == []


def test_what_a_sync_owns_is_locked_naming_the_source_and_the_setting(directory_rpc, district):
    directory_rpc.set_district_sync({"district_id": district.id, "source": "Clever", "manages_guardians": True,
                                     "updates_contact_details_of_active_users": False})
    admin = district.viewer("district_admin")
    with pytest.raises(Locked) as guardians:
        directory_rpc.remove_guardian({"viewer": admin, "guardian_id": district.ids["gus"],
                                       "student_id": district.ids["ben"]})
    assert "Clever" in guardians.value.message and "allow sync to manage guardians" in guardians.value.message
    with pytest.raises(Locked) as title:
        directory_rpc.set_job_title({"viewer": admin, "person_id": district.ids["tess"], "job_title": "Coach"})
    assert "Clever" in title.value.fields["job_title"][0]

    # When the sync does not manage guardians, they are the school's to edit.
    directory_rpc.set_district_sync({"district_id": district.id, "source": "Clever", "manages_guardians": False})
    assert directory_rpc.remove_guardian({"viewer": admin, "guardian_id": district.ids["gus"],
                                          "student_id": district.ids["ben"]})["outcome"] == "done"


@pytest.mark.parametrize(("viewer", "change", "error", "field"), [
    ("north_admin", {"school_id": "f" * 32}, NotFound, "school_id"),
    ("north_admin", {"school_id": "sch-south"}, NotFound, "school_id"),
    ("north_admin", {"classroom_id": "cls-bio"}, NotFound, "classroom_id"),
    ("district_admin", {"classroom_id": "cls-bio"}, InvalidRequest, "classroom_id"),
    ("north_admin", {"person_id": "gina"}, InvalidRequest, "person_id"),
    ("north_admin", {"person_id": "cal"}, NotFound, "person_id"),
])
def test_bad_enrollments_are_refused_naming_the_field_and_change_nothing(directory_rpc, district, viewer, change,
                                                                         error, field):
    request = {"viewer": district.viewer(viewer), "school_id": district.ids["sch-north"],
               "person_id": district.ids["eve"]}
    request.update({name: district.ids.get(value, value) for name, value in change.items()})

    with pytest.raises(error) as refused:
        directory_rpc.enroll_student(request)
    assert field in refused.value.fields
    assert audit(directory_rpc, district) == []


def test_a_guardian_link_to_a_non_student_is_refused(directory_rpc, district):
    with pytest.raises(InvalidRequest) as refused:
        directory_rpc.add_guardian({"viewer": district.viewer("district_admin"), "student_id": district.ids["tess"],
                                    "person_id": district.ids["gina"]})
    assert refused.value.fields == {"student_id": ["is not a student"]}


def test_only_managers_act_and_only_district_administrators_read_the_audit_log(directory_rpc, district):
    with pytest.raises(PermissionDenied):
        directory_rpc.set_job_title({"viewer": district.viewer("tess"), "person_id": district.ids["tess"],
                                     "job_title": "Coach"})
    rostering_teacher = district.principal("tess", district.role("teacher", "sch-north"),
                                           permissions=["rostering_administrator"])
    assert directory_rpc.set_job_title({"viewer": rostering_teacher, "person_id": district.ids["pat"],
                                        "job_title": "Head"})["outcome"] == "updated"
    with pytest.raises(PermissionDenied):
        directory_rpc.get_audit_log({"viewer": district.viewer("north_admin")})
    page = directory_rpc.get_audit_log({"viewer": district.viewer("district_admin"), "per_page": 1})
    [entry] = page["items"]
    assert (entry["action"], entry["before"], entry["after"]) == (
        "set_job_title", {"job_title": "Principal"}, {"job_title": "Head"})
    assert (page["total"], page["page"], page["per_page"]) == (1, 1, 1)

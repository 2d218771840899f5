"""The invitation endpoints' handlers: the signed-in person invites, audiences need the right permission,
and a printable invitation comes back as a PDF with the code."""
from unittest.mock import Mock

import pytest

from services.gateway import invitation_handlers as handlers
from services.gateway.api import ApiCall, Backends
from services.gateway.parsing import load
from services.gateway.schemas import InvitationsBody
from shared.contracts import identity
from shared.contracts.errors import InvalidRequest, PermissionDenied

from gateway_builders import make_principal


def make_backends() -> Backends:
    backends = Backends(identity=Mock(name="identity"), directory=Mock(name="directory"), notify=Mock(name="notify"))
    job = {"job_id": "j-1", "results": [], "total": 0, "page": 1, "per_page": 100}
    backends.notify.start_invitations.return_value = backends.notify.get_invitation_job.return_value = job
    return backends


def test_an_invitation_is_sent_by_the_signed_in_person_to_the_path_person():
    backends, teacher = make_backends(), make_principal(identity.TEACHER)

    handlers.send_invitation(ApiCall(teacher, path={"id": "g-1"}), backends)

    backends.notify.send_invitation.assert_called_once_with({"inviter": teacher, "person_id": "g-1"})


def test_a_teacher_invites_a_classroom_but_not_a_school_or_its_staff():
    backends, teacher = make_backends(), make_principal(identity.TEACHER)
    classroom = load(InvitationsBody, {"classroom_id": "c-1", "kinds": ["guardian", "student"]}, "body")

    handlers.send_invitations(ApiCall(teacher, body=classroom), backends)
    backends.notify.start_invitations.assert_called_once_with({"inviter": teacher, "audience": classroom})

    school = load(InvitationsBody, {"school_id": "s-1", "kinds": ["guardian"]}, "body")
    with pytest.raises(PermissionDenied, match="notify.invite_school"):
        handlers.send_invitations(ApiCall(teacher, body=school), backends)
    assert backends.notify.start_invitations.call_count == 1


def test_a_users_manager_invites_a_schools_staff():
    backends = make_backends()
    manager = make_principal(identity.TEACHER, permissions=(identity.USERS_MANAGER,))
    staff = load(InvitationsBody, {"school_id": "s-1", "kinds": ["staff"]}, "body")

    handlers.send_invitations(ApiCall(manager, body=staff), backends)

    backends.notify.start_invitations.assert_called_once()


@pytest.mark.parametrize("body,field", [
    ({"classroom_id": "c-1", "kinds": []}, "kinds"),
    ({"classroom_id": "c-1", "kinds": ["teachers"]}, "kinds"),
    ({"classroom_id": "c-1", "kinds": ["staff"]}, "kinds"),
    ({"kinds": ["guardian"]}, "school_id"),
    ({"school_id": "s-1", "classroom_id": "c-1", "kinds": ["guardian"]}, "school_id"),
])
def test_an_audience_body_that_cannot_be_invited_names_the_field(body, field):
    with pytest.raises(InvalidRequest) as refused:
        load(InvitationsBody, body, "body")

    assert field in refused.value.fields


def test_a_printable_invitation_is_a_pdf_with_the_join_code():
    backends, admin = make_backends(), make_principal(identity.SCHOOL_ADMIN)
    backends.notify.issue_printable_invitation.return_value = {
        "person_id": "g-1", "given_name": "Zoë", "family_name": "Nguyễn", "district_name": "Lincoln USD",
        "join_code": "K7Q2-M9XD", "join_url": "https://school.example.org/join?token=abc",
        "expires_at": "2026-12-15T10:00:00+00:00"}

    pdf = handlers.print_invitation(ApiCall(admin, path={"id": "g-1"}), backends)

    assert pdf.startswith(b"%PDF") and b"K7Q2-M9XD" in pdf and b"Lincoln USD" in pdf
    backends.notify.issue_printable_invitation.assert_called_once_with({"inviter": admin, "person_id": "g-1"})


def test_a_jobs_per_person_results_are_its_items():
    backends, teacher = make_backends(), make_principal(identity.TEACHER)

    job = handlers.show_invitation_job(ApiCall(teacher, path={"id": "j-1"}, query={"page": 1, "per_page": 100}),
                                       backends)

    assert job == {"job_id": "j-1", "items": [], "total": 0, "page": 1, "per_page": 100}

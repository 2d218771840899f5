"""The directory's manual actions over HTTP: each handler hands directory the call with the signed-in
person as the viewer (never the body) and the path's ids; directory checks reach, fit and sync locks."""
from __future__ import annotations

from collections.abc import Mapping

from services.gateway.api import ApiCall, Backends
from services.gateway.domain.results import summarize_outcomes


def _as_viewer(call: ApiCall, **path_fields: str) -> dict:
    """The body (or query) with the viewer and the named path values: `person_id="id"` reads /<id>."""
    values: Mapping = call.body or call.query
    return {**values, "viewer": call.principal, **{name: call.path[key] for name, key in path_fields.items()}}


def enroll_student(call: ApiCall, backends: Backends) -> dict:
    return backends.directory.enroll_student(_as_viewer(call))


def unenroll_person(call: ApiCall, backends: Backends) -> dict:
    return backends.directory.unenroll_person(_as_viewer(call, person_id="id"))


def add_staff(call: ApiCall, backends: Backends) -> dict:
    return backends.directory.add_staff(_as_viewer(call))


def set_job_title(call: ApiCall, backends: Backends) -> dict:
    return backends.directory.set_job_title(_as_viewer(call, person_id="id"))


def assign_staff_to_classroom(call: ApiCall, backends: Backends) -> dict:
    return backends.directory.assign_staff_to_classroom(_as_viewer(call, person_id="id"))


def add_guardian(call: ApiCall, backends: Backends) -> dict:
    return backends.directory.add_guardian(_as_viewer(call, student_id="id"))


def update_guardian(call: ApiCall, backends: Backends) -> dict:
    return backends.directory.update_guardian(_as_viewer(call, student_id="id", guardian_id="guardian_id"))


def remove_guardian(call: ApiCall, backends: Backends) -> dict:
    return backends.directory.remove_guardian(_as_viewer(call, student_id="id", guardian_id="guardian_id"))


def remove_guardians(call: ApiCall, backends: Backends) -> dict:
    answer = backends.directory.remove_guardians(_as_viewer(call))
    return {"results": answer["results"], "summary": summarize_outcomes(answer["results"])}


def archive_people(call: ApiCall, backends: Backends) -> dict:
    return backends.directory.archive_people({"viewer": call.principal, "selection": dict(call.body)})


def unarchive_people(call: ApiCall, backends: Backends) -> dict:
    return backends.directory.unarchive_people({"viewer": call.principal, "selection": dict(call.body)})


def archive_classrooms(call: ApiCall, backends: Backends) -> dict:
    return backends.directory.archive_classrooms(_as_viewer(call))


def unarchive_classrooms(call: ApiCall, backends: Backends) -> dict:
    return backends.directory.unarchive_classrooms(_as_viewer(call))


def show_job(call: ApiCall, backends: Backends) -> dict:
    return backends.directory.get_job({"viewer": call.principal, "job_id": call.path["id"]})


def show_audit_log(call: ApiCall, backends: Backends) -> dict:
    return backends.directory.get_audit_log(_as_viewer(call))

"""People of the directory: kinds, student account status, and what a search asks for."""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from shared.contracts.directory import GUARDIAN, KINDS, STAFF, STUDENT

NOT_ENABLED, ENABLED, INVITED, ACTIVE = "not_enabled", "enabled", "invited", "active"

# Each kind is stored as its own flag so one person can hold several.
KIND_FLAGS = {STUDENT: "is_student", STAFF: "is_staff", GUARDIAN: "is_guardian"}
_IS_STUDENT, _IS_STAFF, _IS_GUARDIAN = KIND_FLAGS.values()


def kind_flags(kinds: Collection[str]) -> dict[str, bool]:
    # Spelled out: a sync calls this for every person of every page.
    return {_IS_STUDENT: STUDENT in kinds, _IS_STAFF: STAFF in kinds, _IS_GUARDIAN: GUARDIAN in kinds}


def kinds_of(row: Mapping) -> list[str]:
    """The kinds a stored row holds, in the contract's order."""
    return [kind for kind in KINDS if row[KIND_FLAGS[kind]]]


def student_account_status(*, is_student: bool, enabled: bool, invited: bool, joined: bool) -> str | None:
    """not enabled → not_enabled; enabled, nobody invited them yet → enabled; an invitation was sent but they
    never logged in → invited; enabled and joined → active. Enabling sends nothing, so it is not Invited."""
    if not is_student:
        return None
    if not enabled:
        return NOT_ENABLED
    if joined:
        return ACTIVE
    return INVITED if invited else ENABLED


def account_status_condition(status: str) -> tuple[bool, bool | None, bool | None]:
    """The (enabled, invited, joined) a student must have to show under a status filter; None means either."""
    return {NOT_ENABLED: (False, None, None), ENABLED: (True, False, False), INVITED: (True, True, False),
            ACTIVE: (True, None, True)}[status]


def name_key(name: str) -> str:
    """How a name is stored for searching and ordering: the same text, case folded."""
    return name.lower()


@dataclass(frozen=True)
class PeopleFilter:
    """A search request reduced to conditions; the repository turns each into SQL."""

    terms: tuple[str, ...] = ()
    kind: str | None = None
    school_id: str | None = None
    classroom_id: str | None = None
    # Set by a student account status filter: only students with these values show.
    account_enabled: bool | None = None
    invited: bool | None = None
    joined: bool | None = None
    include_archived: bool = False
    offset: int = 0
    limit: int = 25

    @property
    def students_only(self) -> bool:
        return self.account_enabled is not None


def people_filter(request: Mapping) -> PeopleFilter:
    """Every whitespace-separated word of `query` must occur in the given or the family name."""
    terms = tuple(dict.fromkeys(name_key(term) for term in (request.get("query") or "").split()))
    enabled: bool | None = None
    invited: bool | None = None
    joined: bool | None = None
    if request.get("student_account_status"):
        enabled, invited, joined = account_status_condition(request["student_account_status"])
    per_page = request.get("per_page", 25)
    return PeopleFilter(
        terms=terms,
        kind=request.get("kind"),
        school_id=request.get("school_id"),
        classroom_id=request.get("classroom_id"),
        account_enabled=enabled,
        invited=invited,
        joined=joined,
        include_archived=bool(request.get("include_archived")),
        offset=(request.get("page", 1) - 1) * per_page,
        limit=per_page,
    )


def person_change(person_id: str, district_id: str, values: Mapping) -> dict:
    """A person as PEOPLE_UPSERTED tells other services about them."""
    return {
        "person_id": person_id,
        "district_id": district_id,
        "given_name": values["given_name"],
        "family_name": values["family_name"],
        "kinds": kinds_of(values),
        "school_ids": sorted(values["school_ids"]),
        "student_account_enabled": bool(values.get("student_account_enabled", False)),
        "archived": bool(values["archived"]),
    }


ENABLED, ALREADY_ENABLED, NOT_FOUND, FORBIDDEN, NOT_A_STUDENT = (
    "enabled", "already_enabled", "not_found", "forbidden", "not_a_student")


def enablement_outcome(*, exists: bool, visible: bool, is_student: bool, already_enabled: bool) -> str:
    """What enabling one student account does. Scope is checked before kind, so a person outside the
    viewer's scope reveals nothing about themselves."""
    if not exists:
        return NOT_FOUND
    if not visible:
        return FORBIDDEN
    if not is_student:
        return NOT_A_STUDENT
    return ALREADY_ENABLED if already_enabled else ENABLED

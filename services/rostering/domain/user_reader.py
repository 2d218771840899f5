"""users.csv: people, their roles (1.1 `role` column, or 1.2 roles.csv) and credentials.

One person is one record whatever roles they hold: a 1.2 teacher who is also
a parent has two roles and two kinds; a 1.1 teacher who is also a parent,
exported as two rows sharing an email or mobile, is read as one person too
(same_person.py). Invalid emails and phones are reported and the person kept
without them; `sms` is the mobile phone (login, SMS, calls), `phone` the home
phone (kept, never used to contact).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from .assigned_roles import AssignedRoles
from .people_read_before import PeopleReadBefore, Reported, people_basis
from .records import EntityFile, Target, file_columns
from .role_vocabulary import is_known_role, job_title_of, kinds_of
from .source_rows import raw_cells_hasher
from .same_person import EMAIL, combined, same_people
from .snapshot import ACTIVE, Person, RoleAssignment, new_record
from .values import COMMON_FLAGS, PhoneNormaliser, email_normaliser, parse_flag, split_list

USER_COLUMNS = file_columns(
    "enabledUser", "orgSourcedIds", "role", "username", "userIds", "userId", "givenName", "familyName", "middleName",
    "identifier", "email", "sms", "phone", "agentSourcedIds", "agents", "grades", "grade", "password",
    "userMasterIdentifier", "resourceSourcedIds", "preferredGivenName", "preferredMiddleName", "preferredFamilyName",
    "primaryOrgSourcedId", "pronouns",
)
# Some vendor exports name the agentSourcedIds column `agents`.
AGENT_COLUMNS = ("agentSourcedIds", "agents")
# enabledUser as nearly every export writes it (empty: the spec's default, enabled), for a lookup first.
ENABLED = {"": True, **COMMON_FLAGS}
# The credential columns, in the order their refusals are reported, and the Person field each fills; the
# email comes first, so only phones follow a refusal.
CREDENTIALS = (("email", "email"), ("sms", "mobile_phone"), ("phone", "home_phone"))
# Contexts remembered per read at most: a district has a few hundred; a file whose every row cites other orgs
# only stops adding to them.
CONTEXTS_KEPT = 4096


class AgentClaim(NamedTuple):
    """An agent id named on a user row, resolved once every user has been read."""

    line: int
    column: str
    claimant: str
    agent: str


def read_users(file: EntityFile, *, orgs: Target, phones: PhoneNormaliser, assigned: AssignedRoles | None,
               read_before: PeopleReadBefore | None = None) -> tuple[dict[str, Person], list[AgentClaim]]:
    """The people of users.csv by sourcedId, and the agents their rows name. Given `read_before`, a row the last
    read built on the same basis is not built again (people_read_before.py): the people and findings are the same."""
    users = _UserRows(file, orgs, phones, assigned)
    basis = people_basis(file, orgs, phones.region) if read_before is not None and assigned is None else None
    earlier = read_before.take(basis) if read_before is not None else None
    built: dict[bytes, Person | Reported] | None = {} if basis is not None else None
    findings, raw_digest = file.findings, users.raw_digest
    people: dict[str, Person] = {}
    for line, cells, source_id, modified in file.rows():
        digest = raw_digest(cells)
        kept = earlier.get(digest) if earlier is not None else None
        if kept is None:
            person, kept = users.read_row(line, cells, source_id, modified, digest)
        else:
            person = kept.replayed(line, findings) if type(kept) is Reported else kept
            if person is not None:
                users.claim_agents(line, cells, source_id)
                if person.line != line:
                    person = person._replace(line=line)
                    kept = kept if type(kept) is Reported else person
        if built is not None and kept is not None:
            built[digest] = kept
        if person is not None:
            people[source_id] = person
    if assigned is not None:
        assigned.report_unclaimed(file.target("user", people), file.seen)
    if built is not None:
        read_before.keep(basis, built)
    return people, users.claims


def merge_same_people(people: dict[str, Person], file: EntityFile) -> dict[str, str]:
    """Rows that are one person (same_person.py) merged into the earlier one, each merge a warning on the later row.

    Returns alias -> surviving sourcedId; the aliases leave `people`.
    """
    aliases: dict[str, str] = {}
    for same in same_people(people.values()):
        survivor, alias = people[same.survivor], people.pop(same.alias)
        people[same.survivor] = combined(survivor, alias)
        aliases[same.alias] = same.survivor
        shared, what = (alias.email, "email address") if same.column == EMAIL else (alias.mobile_phone,
                                                                                    "mobile number")
        file.findings.warning(file.name, alias.line, same.column, shared,
                              f"{alias.source_id} ({', '.join(alias.roles)}) has the {what} of {survivor.source_id} "
                              f"({', '.join(survivor.roles)}, line {survivor.line}): read as one person, "
                              f"{survivor.source_id}, holding both roles")
    return aliases


class _Context(NamedTuple):
    """What a row's role and org cells make of it: the same for every row with the same cells."""

    roles: tuple[str, ...]
    org_ids: tuple[str, ...]
    assignments: tuple[RoleAssignment, ...]
    kinds: frozenset[str]
    job_title: str | None


class _UserRows:
    """Turns users.csv rows into people; the common shapes (one org, one role, a known id) go the short way."""

    def __init__(self, file: EntityFile, orgs: Target, phones: PhoneNormaliser,
                 assigned: AssignedRoles | None) -> None:
        self.file, self.orgs, self.assigned = file, orgs, assigned
        self.normalise_phone = phones.normalise
        self.normalise_email = email_normaliser()
        self.claims: list[AgentClaim] = []
        self._assignments: dict[tuple[str, str | None, bool], RoleAssignment] = {}
        self._role_facts: dict[tuple[str, ...], tuple[frozenset[str], str | None]] = {}
        # Contexts by their (role, orgSourcedIds, primaryOrgSourcedId) cells: a school's students share one.
        self._contexts: dict[tuple[str, str, str], _Context] = {}
        (self.role, self.given, self.family, self.middle, self.org_list, self.primary_org, self.enabled,
         self.grades, self.grade, self.identifier, self.username, self.email, self.sms, self.phone) = (
            file.at(c) for c in ("role", "givenName", "familyName", "middleName", "orgSourcedIds",
                                 "primaryOrgSourcedId", "enabledUser", "grades", "grade", "identifier", "username",
                                 "email", "sms", "phone"))
        self.credential_cells = (self.email, self.sms, self.phone)
        self.agent_columns = [(column, file.at(column)) for column in AGENT_COLUMNS if file.has(column)]
        self.with_extras = bool(file.header.extensions)
        self.raw_digest = raw_cells_hasher(file.records.header_cells)

    def read_row(self, line: int, cells: list[str], source_id: str, modified: datetime | None,
                 digest: bytes) -> tuple[Person | None, Person | Reported | None]:
        """The row's person, and what a later read of the same cells may take instead of reading the row again
        (people_read_before.py): the person itself, or with what its reading reported; None when the reading
        leaned on a warning said once for an earlier row, or reported on another line."""
        findings = self.file.findings
        problems, warnings, asked = findings.mark()
        person = self.person(line, cells, source_id, modified, digest)
        now = findings.mark()
        if now == (problems, warnings, asked):
            return person, person
        reported = Reported(person, tuple(findings.problems[problems:]), tuple(findings.warnings[warnings:]))
        if now[2] != asked or any(finding.line != line for finding in (*reported.problems, *reported.warnings)):
            return person, None
        return person, reported

    def person(self, line: int, cells: list[str], source_id: str, modified: datetime | None,
               digest: bytes) -> Person | None:
        """The row's person (`digest`: its raw cells' digest), or None when the row has no usable role."""
        cited = (cells[self.role], cells[self.org_list], cells[self.primary_org])
        context = self._contexts.get(cited) or self._context(line, cited, source_id)
        if context is None:
            return None
        email, mobile_phone, home_phone, invalid = self._credentials(line, cells)
        self.claim_agents(line, cells, source_id)
        grades = cells[self.grades] or cells[self.grade]
        grade = (grades if "," not in grades else (split_list(grades) or (None,))[0]) if grades else None
        enabled_user = ENABLED.get(cells[self.enabled])
        if enabled_user is None:
            enabled_user = self._enabled(line, cells[self.enabled])
        # Every field in order (snapshot.new_record): keyword calls cost a district read about a second.
        return new_record(Person, (
            source_id, cells[self.given], cells[self.family], cells[self.middle] or None, context.kinds,
            context.roles, context.job_title, grade, cells[self.identifier] or None, cells[self.username] or None,
            context.org_ids, email, mobile_phone, home_phone, enabled_user, ACTIVE, modified, context.assignments,
            self.assigned.profiles_of(source_id) if self.assigned is not None else (),
            self.file.extras(cells) if self.with_extras else (), invalid, line, digest,
        ))

    def claim_agents(self, line: int, cells: list[str], source_id: str) -> None:
        """The agents the row names, to be resolved once every user has been read."""
        for column, index in self.agent_columns:
            agents = cells[index]
            if agents:
                # new_record: AgentClaim's own __new__ is a Python call, and a district names 400,000 agents.
                self.claims += [new_record(AgentClaim, (line, column, source_id, agent))
                                for agent in split_list(agents)]

    def _context(self, line: int, cited: tuple[str, str, str], source_id: str) -> _Context | None:
        """The row's roles, orgs and what they make; None (reported) when the row has no usable role.

        Remembered by its cells when nothing was reported or asked once on the way (Findings.mark) and no 1.2
        roles.csv is read (its roles are the user's own): the next rows citing the same cells get the same context,
        and would report nothing. A context that asked a warning said once is made again for each row, so each row
        asks it too, and the people kept for the next read (people_read_before.py) leave out every row that did.
        """
        file = self.file
        findings = file.findings
        met = findings.mark()
        role = cited[0]
        if role and not is_known_role(role):
            findings.problem(file.name, line, "role", role, f"unknown role {role}; row skipped")
            return None
        org_ids = self._org_ids(line, cited[1], cited[2])
        assignments = self._assignments_of(role, org_ids, source_id)
        if not assignments:
            findings.problem(file.name, line, "role" if file.has("role") else None, None,
                             "the user has no role (no role column value and no active row in roles.csv); "
                             "row skipped")
            return None
        if len(assignments) > 1:
            # Primary roles first, then in file order: the first staff role names the job.
            assignments.sort(key=lambda assignment: not assignment.primary)
            roles = tuple(dict.fromkeys(assignment.role for assignment in assignments))
            org_ids = list(dict.fromkeys(org_ids + [a.org_source_id for a in assignments if a.org_source_id]))
        else:
            roles = (assignments[0].role,)
            role_org = assignments[0].org_source_id
            if role_org is not None and role_org not in org_ids:
                org_ids.append(role_org)
        context = _Context(roles, tuple(org_ids), tuple(assignments), *self._facts(roles))
        if (self.assigned is None and met == findings.mark()
                and len(self._contexts) < CONTEXTS_KEPT):
            self._contexts[cited] = context
        return context

    def _credentials(self, line: int, cells: list[str]) -> tuple[str | None, str | None, str | None, tuple[str, ...]]:
        """email, mobile and home phone normalised, and the fields whose value was refused (reported)."""
        email, sms, phone = cells[self.email], cells[self.sms], cells[self.phone]
        done = 0
        try:
            email = self.normalise_email(email) if email else None
            done = 1
            sms = self.normalise_phone(sms) if sms else None
            done = 2
            phone = self.normalise_phone(phone) if phone else None
            return email, sms, phone, ()
        except ValueError as why:
            return self._with_refusal(line, cells, [email, sms, phone][:done], why)

    def _with_refusal(self, line: int, cells: list[str], normalised: list[str | None],
                      why: ValueError) -> tuple[str | None, str | None, str | None, tuple[str, ...]]:
        """A row's credentials once one was refused (about 1 % of rows): those before it as normalised, the
        refused one reported, those after it one at a time (each refusal reported, in column order)."""
        refused = len(normalised)
        column, field = CREDENTIALS[refused]
        self.file.refused(line, column, cells[self.credential_cells[refused]], why)
        invalid = [field]
        values = [*normalised, None]
        for index in range(refused + 1, len(CREDENTIALS)):
            column, field = CREDENTIALS[index]
            values.append(self._phone(line, cells[self.credential_cells[index]], column, field, invalid))
        email, mobile_phone, home_phone = values
        return email, mobile_phone, home_phone, tuple(invalid)

    def _enabled(self, line: int, raw: str) -> bool:
        flag = self.file.value(line, "enabledUser", raw, parse_flag)
        return flag is not False  # an unreadable value (reported) leaves the user as the spec's default: enabled

    def _org_ids(self, line: int, raw: str, primary: str) -> list[str]:
        """orgSourcedIds (and a 1.2 primaryOrgSourcedId first), unknown orgs dropped and reported."""
        found = self.orgs.live.get(raw) if raw and not primary else None
        if found is not None:
            return [found.source_id]
        resolve = self.file.resolve
        ids = [resolve(line, "primaryOrgSourcedId", primary, self.orgs, "org dropped")] if primary else []
        ids += [resolve(line, "orgSourcedIds", org, self.orgs, "org dropped") for org in split_list(raw)]
        return list(dict.fromkeys(org for org in ids if org is not None))

    def _assignments_of(self, role: str, org_ids: list[str], source_id: str) -> list[RoleAssignment]:
        """The 1.1 role at each of the user's orgs (one shared object per value), then any 1.2 roles."""
        assignments = [self._shared(role, org, index == 0) for index, org in enumerate(org_ids or [None])] \
            if role else []
        if self.assigned is not None:
            assignments += self.assigned.roles_of(source_id)
        return assignments

    def _shared(self, role: str, org: str | None, primary: bool) -> RoleAssignment:
        key = (role, org, primary)
        found = self._assignments.get(key)
        if found is None:
            found = self._assignments[key] = RoleAssignment(role, org, primary)
        return found

    def _facts(self, roles: tuple[str, ...]) -> tuple[frozenset[str], str | None]:
        facts = self._role_facts.get(roles)
        if facts is None:
            facts = self._role_facts[roles] = (kinds_of(roles), job_title_of(roles))
        return facts

    def _phone(self, line: int, raw: str, column: str, field: str, invalid: list[str]) -> str | None:
        if not raw:
            return None
        try:
            return self.normalise_phone(raw)
        except ValueError as why:
            self.file.refused(line, column, raw, why)
            invalid.append(field)
            return None

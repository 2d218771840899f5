"""Guardian links, claimed from either side and merged: a student names guardians, a guardian names students.

OneRoster's agentSourcedIds on a student lists the student's parents,
guardians and relatives; on anyone else it lists the students they are an
agent for. A link gives its guardian a view of the student, so it is made
only when the non-student side holds a parent, guardian or relative role
(least privilege): a teacher, administrator or other staff member named as a
student's agent, or naming a student, is a row error and that link is
dropped. A staff member who is also a parent says so with a parent role:
in OneRoster 1.2 a second role in roles.csv, in 1.1 a second users.csv row
read as the same person (same_person.py).

Each link keeps the line and column of the first claim that made it.
"""

from __future__ import annotations

from collections.abc import Mapping

from .records import EntityFile
from .snapshot import BULK, GUARDIAN, STAFF, STUDENT, GuardianLink, Person
from .user_reader import AgentClaim

GUARDIAN_ONLY = frozenset({GUARDIAN})


def guardian_links(claims: list[AgentClaim], people: Mapping[str, Person], users: EntityFile) -> list[GuardianLink]:
    """The merged links; `people` maps every sourcedId (aliases too) to the person it names."""
    # Pairs, not GuardianLinks, while merging: a district has a few hundred thousand claims.
    links: dict[tuple[str, str], AgentClaim] = {}
    findings, file = users.findings, users.name
    for claim in claims:
        claimant = people[claim.claimant]
        agent = people.get(claim.agent)
        if agent is not None and STUDENT in claimant.kinds and GUARDIAN in agent.kinds:
            links.setdefault((agent.source_id, claimant.source_id), claim)  # the common cases, checked first
            continue
        if agent is not None and claimant.kinds == GUARDIAN_ONLY and STUDENT in agent.kinds:
            links.setdefault((claimant.source_id, agent.source_id), claim)
            continue
        if agent is None:
            status = users.deleted.get(claim.agent)
            if status is not None:
                findings.problem(file, claim.line, claim.column, claim.agent,
                                 f"user {claim.agent} is marked {status}; link dropped")
            elif users.mode == BULK or claim.agent in users.seen:
                findings.problem(file, claim.line, claim.column, claim.agent,
                                 f"unknown user {claim.agent}; link dropped")
            else:
                # A delta names only what changed: the other side may be a person from an earlier sync.
                pair = (claim.agent, claimant.source_id) if STUDENT in claimant.kinds else (claimant.source_id,
                                                                                          claim.agent)
                links.setdefault(pair, claim)
            continue
        if STUDENT in claimant.kinds:
            guardian, student = agent, claimant
        elif STUDENT in agent.kinds:
            guardian, student = claimant, agent
        else:
            findings.problem(file, claim.line, claim.column, claim.agent,
                             f"neither {claim.claimant} nor {claim.agent} is a student; link dropped")
            continue
        if guardian is student or GUARDIAN not in guardian.kinds:
            findings.problem(file, claim.line, claim.column, claim.agent, _not_a_guardian(guardian))
            continue
        links.setdefault((guardian.source_id, student.source_id), claim)
    return [GuardianLink(guardian, student, line, column)
            for (guardian, student), (line, column, _, _) in links.items()]


def _not_a_guardian(person: Person) -> str:
    if STAFF in person.kinds and GUARDIAN not in person.kinds:
        return (f"user {person.source_id} is staff ({', '.join(person.roles)}), not a parent, guardian or "
                "relative; link dropped")
    return f"user {person.source_id} is a student, not a guardian; link dropped"

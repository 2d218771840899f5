"""Guardian links, claimed from either side and merged: a student names guardians, a guardian names students.

OneRoster's agentSourcedIds on a student lists the student's parents,
guardians and relatives; on anyone else it lists the students they are an
agent for. A staff member named that way (or naming a student) is that
student's guardian too: one person, several kinds, reported as a warning so
the school can check it.
"""

from __future__ import annotations

from .records import EntityFile
from .snapshot import BULK, GUARDIAN, STAFF, STUDENT, GuardianLink, Person
from .user_reader import AgentClaim


GUARDIAN_ONLY = frozenset({GUARDIAN})


def guardian_links(claims: list[AgentClaim], people: dict[str, Person], users: EntityFile) -> list[GuardianLink]:
    """The merged links; `people` gains the guardian kind for staff who turn out to be guardians."""
    # Pairs, not GuardianLinks, while merging: a district has a few hundred thousand claims.
    links: dict[tuple[str, str], None] = {}
    promoted: dict[str, AgentClaim] = {}
    findings, file = users.findings, users.name
    for claim in claims:
        claimant = people[claim.claimant]
        agent = people.get(claim.agent)
        if agent is not None and STUDENT in claimant.kinds and GUARDIAN in agent.kinds:
            links[agent.source_id, claimant.source_id] = None  # the common cases, checked first
            continue
        if agent is not None and claimant.kinds == GUARDIAN_ONLY and STUDENT in agent.kinds:
            links[claimant.source_id, agent.source_id] = None
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
                links[pair] = None
            continue
        if STUDENT in claimant.kinds:
            guardian, student = agent, claimant
        elif STUDENT in agent.kinds:
            guardian, student = claimant, agent
        else:
            findings.problem(file, claim.line, claim.column, claim.agent,
                             f"neither {claimant.source_id} nor {claim.agent} is a student; link dropped")
            continue
        if guardian is student or (STUDENT in guardian.kinds and not guardian.kinds & {GUARDIAN, STAFF}):
            findings.problem(file, claim.line, claim.column, claim.agent,
                             f"user {guardian.source_id} is a student, not a guardian; link dropped")
            continue
        if GUARDIAN not in guardian.kinds:
            promoted.setdefault(guardian.source_id, claim)
        links[guardian.source_id, student.source_id] = None
    for source_id, claim in promoted.items():
        person = people[source_id]
        people[source_id] = person._replace(kinds=person.kinds | {GUARDIAN})
        findings.warning(file, claim.line, claim.column, claim.agent,
                         f"{source_id} ({', '.join(person.roles)}) is linked to a student as an agent, so is "
                         "taken as that student's guardian too")
    return [GuardianLink(guardian, student) for guardian, student in links]

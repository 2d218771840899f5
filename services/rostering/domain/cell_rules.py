"""The longest value each kept text column may hold, and what a control character or an over-long value costs.

One bad cell never costs more than its row. Control characters are C0
(NUL, tab, line breaks...), DEL and C1 (U+0080-U+009F); a tab or line break
inside a name is one too. What happens depends on the column:

- IDENTITY (sourcedId and references to other rows): the row is refused,
  reported and left out, as a row without a usable id would be.
- TEXT (names, titles, codes, grades, extension columns): control
  characters are removed (tabs and line breaks read as a space), then the
  value is trimmed to the limit; the row is kept, with a finding saying so. A
  required value left empty by that refuses the row, as an empty one does.

Columns not listed here are not kept as written. Emails and phones are kept
normalised, which bounds them: an email longer than 254 characters (RFC 5321)
or holding a control character is invalid, a phone is kept as E.164 (at most
16 characters) or is invalid, and an invalid one is ignored with the row kept
(user_reader). Status, roleType, dates and flags are read against their
vocabulary or format, and a value that does not fit is reported there.
Passwords, userIds, subjects and the like are not kept at all.

Reading a district must stay fast, so cells are looked at closely only in the
rows csv_rows flags: where the file holds a control byte at all, a record
spans several lines, or the row is longer in all than the shortest limit here
and one of its cells is too.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Collection
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .columns import Header
    from .findings import Findings

IDENTITY = "identity"
TEXT = "text"

NAME_CHARS = 200
ID_CHARS = 255
ID_LIST_CHARS = 4096  # a list of ids (orgSourcedIds, agentSourcedIds...): a few dozen ids, each at most ID_CHARS
TITLE_CHARS = 255
CODE_CHARS = 255
GRADES_CHARS = 255  # a list of grade codes
FREE_TEXT_CHARS = 255  # a class's location
# A word of a vocabulary kept as written (an org's type, an enrollment's role) is far shorter, but no
# limit is below NAME_CHARS: a row of at most that many characters in all then needs no closer look,
# which is the one length check most rows get (csv_rows).
TERM_CHARS = NAME_CHARS
DESCRIPTION_CHARS = 1024
EXTENSION_CHARS = 1024  # metadata.* and ext_* columns, kept as extras

# column -> (longest value, treatment), whichever file the column is in.
LIMITS: dict[str, tuple[int, str]] = {
    **dict.fromkeys(("sourcedId", "parentSourcedId", "orgSourcedId", "schoolSourcedId", "courseSourcedId",
                     "classSourcedId", "userSourcedId", "primaryOrgSourcedId", "schoolYearSourcedId", "schoolYearId",
                     "userProfileSourcedId"), (ID_CHARS, IDENTITY)),
    **dict.fromkeys(("orgSourcedIds", "termSourcedIds", "agentSourcedIds", "agents"), (ID_LIST_CHARS, IDENTITY)),
    **dict.fromkeys(("givenName", "familyName", "middleName"), (NAME_CHARS, TEXT)),
    **dict.fromkeys(("name", "title"), (TITLE_CHARS, TEXT)),
    **dict.fromkeys(("identifier", "username", "courseCode", "classCode", "vendorId", "applicationId"),
                    (CODE_CHARS, TEXT)),
    **dict.fromkeys(("grades", "grade"), (GRADES_CHARS, TEXT)),
    "location": (FREE_TEXT_CHARS, TEXT),
    **dict.fromkeys(("type", "role", "schoolYear", "profileType", "credentialType"), (TERM_CHARS, TEXT)),
    "description": (DESCRIPTION_CHARS, TEXT),
}
LIST_COLUMNS = frozenset({"orgSourcedIds", "termSourcedIds", "agentSourcedIds", "agents"})

CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
_SPACING = re.compile("[\t\n\r\x0b\x0c\x85]+")  # tabs and line breaks, NEL among them: a space
SHOWN_CHARS = 256


class Rule(NamedTuple):
    column: str
    index: int
    limit: int
    treatment: str
    look_above: int  # a value longer than this needs a closer look (a list: its ids may be too long)


class CellRules:
    """The rules for one file's columns, shortest first, and the screen a flagged row goes through."""

    def __init__(self, header: Header, required: Collection[str]) -> None:
        rules = [_rule(column, index, *LIMITS[column]) for column, index in header.columns.items()
                 if column in LIMITS]
        rules += [Rule(column, index, EXTENSION_CHARS, TEXT, EXTENSION_CHARS) for column, index in header.extensions]
        self.rules = sorted(rules, key=lambda rule: rule.look_above)
        self.required = frozenset(required)
        # csv_rows flags a row with a cell longer than this: no shorter cell can break a rule.
        self.shortest = self.rules[0].look_above if self.rules else sys.maxsize

    def screen(self, file: str, findings: Findings, line: int, cells: list[str]) -> bool:
        """Cells cleaned and trimmed in place, each finding reported; False when the row is refused."""
        controls = CONTROLS.search("".join(cells)) is not None
        longest = max(map(len, cells))
        for column, index, limit, treatment, look_above in self.rules:
            if look_above >= longest and not controls:
                break  # the rest are longer still, and there is nothing to clean
            value = cells[index]
            dirty = controls and CONTROLS.search(value) is not None
            if not dirty and len(value) <= look_above:
                continue
            if treatment == IDENTITY:
                why = _identity_fault(column, value, limit, dirty)
                if why is not None:
                    findings.problem(file, line, column, value, f"{column} {why}; row skipped")
                    return False
            else:
                cleaned, done = _cleaned(value, limit, dirty)
                if not cleaned and column in self.required:
                    findings.problem(file, line, column, value,
                                     f"{column} is required and holds only control characters; row skipped")
                    return False
                findings.problem(file, line, column, value, f"{column}: {done}; row kept")
                cells[index] = cleaned
        return True


def _rule(column: str, index: int, limit: int, treatment: str) -> Rule:
    return Rule(column, index, limit, treatment, ID_CHARS if column in LIST_COLUMNS else limit)


def _identity_fault(column: str, value: str, limit: int, dirty: bool) -> str | None:
    if dirty:
        return "holds control characters"
    if len(value) > limit:
        return f"is longer than {limit} characters ({len(value):,})"
    if column in LIST_COLUMNS and any(len(item.strip()) > ID_CHARS for item in value.split(",")):
        return f"names an id longer than {ID_CHARS} characters"
    return None


def _cleaned(value: str, limit: int, dirty: bool) -> tuple[str, str]:
    """The value without control characters and within its limit, and what was done to it."""
    done = []
    if dirty:
        value = CONTROLS.sub("", _SPACING.sub(" ", value)).strip()
        done.append("control characters removed")
    if len(value) > limit:
        done.append(f"trimmed to {limit} characters (it had {len(value):,})")
        value = value[:limit].rstrip()
    return value, " and ".join(done)


def shown(value: str) -> str:
    """A value as a report shows it: at most SHOWN_CHARS characters, control characters escaped."""
    if len(value) > SHOWN_CHARS:
        value = value[:SHOWN_CHARS] + "…"
    return CONTROLS.sub(_escaped, value) if CONTROLS.search(value) else value


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    return {"\t": "\\t", "\n": "\\n", "\r": "\\r"}.get(char) or f"\\x{ord(char):02x}"

"""The cell rules on any text: what is kept is clean and within its limit, and a refused row is always reported."""
from hypothesis import given
from hypothesis import strategies as st

from services.rostering.domain.cell_rules import CONTROLS, ID_CHARS, LIMITS, NAME_CHARS, CellRules, shown
from services.rostering.domain.columns import map_header
from services.rostering.domain.findings import Findings

COLUMNS = ("sourcedId", "givenName", "familyName", "agentSourcedIds", "password")
RULES = CellRules(map_header(list(COLUMNS), COLUMNS), required=("givenName", "familyName"))

# Mostly plain letters, with control characters (C0, DEL, C1) and now and then a very long run.
texts = st.one_of(
    st.text(st.characters(min_codepoint=0, max_codepoint=0xA0), max_size=12),
    st.text(st.sampled_from("ab \t\n\x00\x1f\x7f\x85\x9f"), max_size=12),
    st.integers(0, 600).map(lambda n: "x" * n),
).map(str.strip)


def screened(cells: list[str]) -> tuple[bool, list[str], Findings]:
    findings, row = Findings(), cells + [""]
    kept = RULES.screen("users.csv", findings, 2, row)
    return kept, row[:-1], findings


@given(cells=st.lists(texts, min_size=len(COLUMNS), max_size=len(COLUMNS)))
def test_a_kept_row_holds_no_control_character_and_nothing_over_its_limit_in_a_kept_column(cells):
    kept, row, _ = screened(cells)

    if kept:
        for column, value in zip(COLUMNS, row):
            if column in LIMITS:
                assert not CONTROLS.search(value) and len(value) <= LIMITS[column][0]


@given(cells=st.lists(texts, min_size=len(COLUMNS), max_size=len(COLUMNS)))
def test_a_bad_id_refuses_the_row_and_a_row_is_refused_only_with_a_finding_saying_so(cells):
    kept, _, findings = screened(cells)

    bad_id = bool(CONTROLS.search(cells[0])) or len(cells[0]) > ID_CHARS
    if bad_id:
        assert not kept
    if not kept:
        assert findings.problems and findings.problems[-1].reason.endswith("row skipped")


@given(cells=st.lists(texts, min_size=len(COLUMNS), max_size=len(COLUMNS)))
def test_clean_values_within_their_limits_are_left_exactly_as_they_are_without_findings(cells):
    clean = [value if column not in LIMITS else CONTROLS.sub("", value)[:NAME_CHARS].strip()
             for column, value in zip(COLUMNS, cells)]

    kept, row, findings = screened(clean)

    assert kept and row == clean and findings.problems == []


@given(value=st.text(max_size=400))
def test_a_shown_value_is_short_and_printable(value):
    assert len(shown(value)) <= 4 * 256 + 1 and not CONTROLS.search(shown(value))

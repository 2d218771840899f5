import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.rostering.domain.run_ids import AmbiguousRunId, short, the_one, usable_prefix


def test_the_short_id_is_the_first_eight_characters():
    assert short("3f2a9c1b44d0e8aa") == "3f2a9c1b"


@given(st.text(alphabet="0123456789abcdef", min_size=4, max_size=32))
def test_any_hex_prefix_of_four_or_more_is_usable_in_either_case(prefix):
    assert usable_prefix(prefix.upper()) == prefix


@pytest.mark.parametrize("text", ["abc", "run-1", "zzzz", ""])
def test_a_too_short_or_non_hex_text_is_no_prefix(text):
    assert usable_prefix(text) is None


def test_a_prefix_names_its_one_match_none_or_refuses_several():
    assert the_one("abcd", ["abcd1234"]) == "abcd1234"
    assert the_one("abcd", []) is None
    with pytest.raises(AmbiguousRunId, match="abcd names more than one run \\(abcd1111, abcd2222\\)"):
        the_one("abcd", ["abcd2222xx", "abcd1111xx"])

"""Reset Status lifts the provider's lists of failed deliveries and never the person's own choices."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.notify.domain.email_suppression import KEPT_BY_RESET, LIFTED_BY_RESET, SUPPRESSION_LISTS, plan_lift


@given(st.sets(st.sampled_from(SUPPRESSION_LISTS)))
def test_every_list_holding_the_address_is_either_lifted_or_kept_and_choices_are_always_kept(listed):
    lift = plan_lift(listed)

    assert set(lift.lifted) | set(lift.kept) == listed
    assert set(lift.lifted) <= set(LIFTED_BY_RESET) and set(lift.kept) <= set(KEPT_BY_RESET)


def test_an_address_on_no_list_needs_nothing():
    assert plan_lift(set()).as_dict() == {"lifted": [], "kept": []}

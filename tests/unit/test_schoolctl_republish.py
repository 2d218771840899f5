"""`schoolctl republish district --to SERVICE` asks only the owners whose events that service takes."""
import pytest

from schoolctl.republish import owners_feeding


@pytest.mark.parametrize("consumer, owners", [
    (None, ["directory", "identity"]),
    ("notify", ["directory", "identity"]),
    ("identity", ["directory"]),
    ("directory", ["identity"]),
])
def test_the_owners_asked_are_those_the_consumer_takes_events_from(consumer, owners):
    assert [owner.name for owner in owners_feeding(consumer)] == owners


@pytest.mark.parametrize("consumer, reason", [("gateway", "no service 'gateway'"),
                                              ("rostering", "rostering takes no events from directory or identity")])
def test_a_consumer_that_takes_nothing_from_the_owners_is_refused_by_name(consumer, reason):
    with pytest.raises(ValueError, match=reason):
        owners_feeding(consumer)

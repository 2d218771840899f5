"""The rules of filing a batch of inbound texts: the same as for one text, whatever the batch holds."""
from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

from services.notify.domain.inbound_texts import InboundText, replies_to_file, routed_pairs

NOW = datetime(2026, 12, 5, 8, 0, tzinfo=timezone.utc)
ANA_PHONE, SHARED_PHONE, STRANGER = "+15555550101", "+15555550102", "+15555550999"
LATEST = {ANA_PHONE: ("conv-a", "g-ana"), SHARED_PHONE: ("conv-b", "g-dana")}
SHARERS = {("conv-a", ANA_PHONE): ["g-ana"], ("conv-b", SHARED_PHONE): ["g-dana", "g-dennis"]}


def file(texts):
    return replies_to_file(texts, latest=LATEST, sharers=routed_sharers(texts), now=NOW)


def routed_sharers(texts):
    return {pair: SHARERS[pair] for pair in routed_pairs(texts, LATEST)}


def test_a_text_goes_to_the_conversation_its_phone_last_heard_from_by_the_one_participant_on_it():
    [reply] = file([InboundText(ANA_PHONE, "  Thursday is fine. ", "SM1")])

    assert (reply.conversation_id, reply.author.author_id, reply.author.possible_author_ids) == ("conv-a", "g-ana", ())
    assert (reply.text, reply.source_ref, reply.created_at) == ("Thursday is fine.", "twilio:SM1", NOW)


def test_a_shared_phone_names_every_sharer_as_the_possible_author():
    [reply] = file([InboundText(SHARED_PHONE, "Thank you!", "SM2")])

    assert reply.author.author_id is None
    assert reply.author.possible_author_ids == ("g-dana", "g-dennis")


def test_an_unknown_phone_an_empty_text_and_a_replay_in_the_batch_file_nothing():
    replies = file([InboundText(STRANGER, "Who is this?", "SM3"), InboundText(ANA_PHONE, "   ", "SM4"),
                    InboundText(ANA_PHONE, "Yes", "SM5"), InboundText(ANA_PHONE, "Yes", "SM5")])

    assert [reply.source_ref for reply in replies] == ["twilio:SM5"]


def test_the_sharers_asked_for_are_only_those_of_routed_phones():
    texts = [InboundText(STRANGER, "x", "SM1"), InboundText(SHARED_PHONE, "y", "SM2")]

    assert routed_pairs(texts, LATEST) == {("conv-b", SHARED_PHONE)}


texts_strategy = st.lists(st.builds(InboundText, st.sampled_from([ANA_PHONE, SHARED_PHONE, STRANGER]),
                                    st.sampled_from(["", " ", "ok", "Yes, 3:30"]),
                                    st.one_of(st.none(), st.sampled_from(["SM1", "SM2", "SM3"]))), max_size=30)


@given(texts_strategy)
def test_a_batch_files_what_its_texts_would_file_one_by_one_in_order(texts):
    replies = file(texts)

    one_by_one, seen = [], set()
    for text in texts:
        sources = {reply.source_ref for reply in one_by_one} | seen
        [*alone] = replies_to_file([text], latest=LATEST, sharers=routed_sharers([text]), now=NOW)
        if alone and (alone[0].source_ref is None or alone[0].source_ref not in sources):
            one_by_one.append(alone[0])
    assert [(r.conversation_id, r.author, r.text, r.source_ref) for r in replies] == \
        [(r.conversation_id, r.author, r.text, r.source_ref) for r in one_by_one]
    # Each keeps its place: strictly later than the one before it.
    assert all(earlier.created_at < later.created_at for earlier, later in zip(replies, replies[1:]))

"""SMS length and segments after translation: GSM-7 160/153, UCS-2 70/67, extension characters count double."""
from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from services.notify.domain.sms_length import (
    GSM_BASIC,
    GSM_EXTENSION,
    SmsEncoding,
    SmsLength,
    encoding_of,
    sms_length,
)

gsm_basic_text = st.text(alphabet=sorted(GSM_BASIC), max_size=700)
gsm_text = st.text(alphabet=sorted(GSM_BASIC | GSM_EXTENSION), max_size=700)
any_text = st.text(max_size=400)


def test_a_plain_english_text_of_160_characters_is_one_gsm_segment_and_161_are_two():
    assert sms_length("a" * 160) == SmsLength(SmsEncoding.GSM_7, 160, 1)
    assert sms_length("a" * 161).segments == 2
    assert sms_length("a" * 306).segments == 2 and sms_length("a" * 307).segments == 3


def test_one_character_outside_gsm_makes_the_whole_text_ucs2_with_70_then_67_per_segment():
    assert sms_length("ñ" * 70).encoding is SmsEncoding.GSM_7  # ñ is in the GSM alphabet
    assert sms_length("á" * 70) == SmsLength(SmsEncoding.UCS_2, 70, 1)
    assert sms_length("á" * 71).segments == 2
    assert sms_length("á" * 134).segments == 2 and sms_length("á" * 135).segments == 3


def test_extension_characters_take_two_septets_and_a_pair_is_never_split():
    assert sms_length("€" * 80) == SmsLength(SmsEncoding.GSM_7, 160, 1)
    assert sms_length("€" * 81).units == 162
    # 152 plain septets, then a euro: it does not fit in the first segment's last septet, so 306 septets
    # that would fill two segments exactly take three.
    assert sms_length("a" * 152 + "€" + "a" * 152) == SmsLength(SmsEncoding.GSM_7, 306, 3)
    assert sms_length("a" * 153 + "€" + "a" * 151) == SmsLength(SmsEncoding.GSM_7, 306, 2)


def test_an_emoji_takes_two_ucs2_units():
    assert sms_length("😀").units == 2 and sms_length("😀").encoding is SmsEncoding.UCS_2
    assert sms_length("😀" * 35).segments == 1 and sms_length("😀" * 36).segments == 2


@given(gsm_basic_text)
def test_plain_gsm_texts_count_one_septet_a_character_and_split_at_153(text):
    length = sms_length(text)
    assert length.encoding is SmsEncoding.GSM_7 and length.units == len(text)
    assert length.segments == (1 if len(text) <= 160 else math.ceil(len(text) / 153))


@given(gsm_text)
def test_gsm_texts_take_no_fewer_segments_than_their_septets_need_and_at_most_one_more(text):
    length = sms_length(text)
    assert length.units == len(text) + sum(1 for char in text if char in GSM_EXTENSION)
    if length.units <= 160:
        assert length.segments == 1
    else:
        assert math.ceil(length.units / 153) <= length.segments <= math.ceil(length.units / 152)


@given(any_text)
def test_every_text_is_at_least_one_segment_and_ucs2_exactly_when_a_character_is_outside_gsm(text):
    length = sms_length(text)
    assert length.segments >= 1
    assert (length.encoding is SmsEncoding.UCS_2) == any(c not in GSM_BASIC and c not in GSM_EXTENSION for c in text)
    assert encoding_of(text) is length.encoding


@given(any_text, any_text)
def test_a_longer_text_never_takes_fewer_segments(text, more):
    assert sms_length(text + more).segments >= sms_length(text).segments or \
        sms_length(text + more).encoding is not sms_length(text).encoding

"""How long an SMS is, in characters the network counts and in segments (what the carrier bills).

Pure. A text that fits the GSM 03.38 alphabet goes as GSM-7: 160 septets in a
single message, 153 per segment once it is split (the rest is the header that
joins the parts); the extension characters (`^ { } \\ [ ~ ] | €` and form
feed) take two septets each, an escape and the character, and a pair is never
split across segments. Anything else makes the whole text UCS-2: 70 UTF-16
code units single, 67 per segment, and a character outside the Basic
Multilingual Plane (an emoji) takes two units that stay in one segment.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")


class SmsEncoding(StrEnum):
    GSM_7 = "GSM-7"
    UCS_2 = "UCS-2"


# (single message, per segment of a split message), in the encoding's units.
SEGMENT_UNITS = {SmsEncoding.GSM_7: (160, 153), SmsEncoding.UCS_2: (70, 67)}


@dataclass(frozen=True, slots=True)
class SmsLength:
    encoding: SmsEncoding
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int  # at least 1: an empty text still goes as one message


def encoding_of(text: str) -> SmsEncoding:
    if all(char in GSM_BASIC or char in GSM_EXTENSION for char in text):
        return SmsEncoding.GSM_7
    return SmsEncoding.UCS_2


def sms_length(text: str) -> SmsLength:
    encoding = encoding_of(text)
    widths = [_width(char, encoding) for char in text]
    units = sum(widths)
    single, per_segment = SEGMENT_UNITS[encoding]
    if units <= single:
        return SmsLength(encoding, units, 1)
    return SmsLength(encoding, units, _segments(widths, per_segment))


def _width(char: str, encoding: SmsEncoding) -> int:
    if encoding is SmsEncoding.GSM_7:
        return 2 if char in GSM_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def _segments(widths: list[int], per_segment: int) -> int:
    """Fill segments in order; a character that does not fit whole starts the next one."""
    segments, used = 1, 0
    for width in widths:
        if used + width > per_segment:
            segments, used = segments + 1, 0
        used += width
    return segments

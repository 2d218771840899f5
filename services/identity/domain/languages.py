"""Languages: each account has one (a BCP 47 tag), chosen from those its district offers.

Tags are checked and written in their standard form by `langcodes` (offline:
it ships the IANA subtag registry), so `EN-us`, `en_US` and `en-US` are one
language and `xx` or `klingon` are none.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import langcodes

from shared.contracts.identity import DEFAULT_LANGUAGE

# What a district offers until its administrators choose.
DEFAULT_OFFERED = (DEFAULT_LANGUAGE,)
MAX_TAG_LENGTH = 35


class InvalidLanguage(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def canonical_tag(tag: str) -> str:
    """`tag` in its standard form (`es-mx` -> `es-MX`); InvalidLanguage when it names no language."""
    tag = tag.strip().replace("_", "-")
    if not tag or len(tag) > MAX_TAG_LENGTH or not tag.isascii() or not langcodes.tag_is_valid(tag):
        raise InvalidLanguage(f"{tag!r} is not a BCP 47 language tag (such as en, es or zh-Hant)")
    return langcodes.standardize_tag(tag)


def offered_languages(tags: Iterable[str], default: str = DEFAULT_LANGUAGE) -> tuple[str, ...]:
    """The tags a district means to offer, standard and without repeats, in the order given.

    InvalidLanguage names every tag that is none, and refuses a list without
    `default` (a standard tag): the district's default language, everyone's
    until they choose.
    """
    offered: dict[str, None] = {}
    reasons: list[str] = []
    for tag in tags:
        try:
            offered[canonical_tag(tag)] = None
        except InvalidLanguage as error:
            reasons.append(error.reason)
    if not reasons and default not in offered:
        reasons.append(f"{default} must be offered: it is the district's default language, the language of "
                       "everyone who has not chosen one")
    if reasons:
        raise InvalidLanguage("; ".join(reasons))
    return tuple(offered)


def chosen_language(tag: str, offered: Sequence[str]) -> str:
    """The standard form of a language a person chose; InvalidLanguage unless their district offers it."""
    language = canonical_tag(tag)
    if language not in offered:
        raise InvalidLanguage(f"{language} is not offered by the district: choose one of {', '.join(offered)}")
    return language

"""What an email reply says: its new text without the quoted history, and the addresses it was sent to.

Pure. The quoted history ("On ... wrote:", "> " lines, signatures) is cut by mail-parser-reply, which knows
the markers of many languages and mail programs; an HTML-only reply is read as text first.
"""
from __future__ import annotations

import html
import json
import re
from email.utils import getaddresses

from mailparser_reply import EmailReplyParser

# The markers of the languages families write in most; the library's English ones are always in.
REPLY_LANGUAGES = ["en", "es", "fr", "de", "pt", "it", "nl"]
_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|div|li|tr|h\d)>|<br\s*/?>", re.IGNORECASE)
_QUOTED_HTML = re.compile(r"<blockquote.*?</blockquote>", re.IGNORECASE | re.DOTALL)


def new_text(text: str, html_body: str = "") -> str:
    """The words the person wrote in this reply, stripped; empty when it says nothing new."""
    source = text if text.strip() else _html_as_text(html_body)
    return EmailReplyParser(languages=REPLY_LANGUAGES).parse_reply(text=source).strip()


def recipients_of(to_header: str, envelope: str) -> list[str]:
    """Every address the reply went to: the To header's, then the SMTP envelope's (mailing lists rewrite To)."""
    addresses = [address for _, address in getaddresses([to_header]) if address]
    try:
        envelope_to = json.loads(envelope).get("to") if envelope else None
    except (ValueError, AttributeError):
        envelope_to = None
    if isinstance(envelope_to, list):
        addresses += [address for address in envelope_to if isinstance(address, str)]
    return addresses


def message_id(headers: str) -> str | None:
    """The reply's Message-ID, which a repeated post carries again."""
    match = re.search(r"^message-id:\s*(\S+)", headers, re.IGNORECASE | re.MULTILINE)
    return match[1].strip() if match else None


def _html_as_text(html_body: str) -> str:
    without_quotes = _QUOTED_HTML.sub("", html_body)
    return html.unescape(_TAG.sub("", _BLOCK_END.sub("\n", without_quotes)))

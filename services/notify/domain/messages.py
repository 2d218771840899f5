"""The text of one provider message: the communication's own, or composed from a person's values.

Pure. An announcement says the same to everyone (its subject and body). An
invitation and a verification code say something to one person only (their
Join link and code, their 6-digit code): those values are stored per person
(`Personal`) and composed here, at send time, per channel, so a fallback from
email to SMS says the same thing in the SMS's shorter form. An SMS or call to
a shared mobile opens with its `For <name>:` label (F2).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from services.notify.domain.delivery import Channel, Communication

Personal = Mapping[str, str]  # what a message says to one person only; see invitation_values, verification_values

JOIN_PATH = "/join"


@dataclass(frozen=True, slots=True)
class Text:
    subject: str | None
    body: str
    reply_to: str | None = None


class MissingPersonalValues(ValueError):
    """A personal communication without the person's values: nothing sensible can be sent."""


def join_url(base_url: str, token: str) -> str:
    """The Join link: the web app's Join page with the token (URL-safe already, quoted all the same)."""
    return f"{base_url.rstrip('/')}{JOIN_PATH}?token={quote(token, safe='')}"


def invitation_values(*, district_name: str, given_name: str, join_url: str, join_code: str,
                      expires_at: datetime) -> dict[str, str]:
    return {"district_name": district_name, "given_name": given_name, "join_url": join_url,
            "join_code": join_code, "expires_at": expires_at.isoformat()}


def verification_values(*, code: str, expires_at: datetime) -> dict[str, str]:
    return {"code": code, "expires_at": expires_at.isoformat()}


def compose(kind: Communication, channel: Channel, *, subject: str | None, body: str, label: str | None,
            personal: Personal | None) -> Text:
    if kind is Communication.INVITATION:
        text = _invitation(channel, _required(personal, kind))
    elif kind is Communication.VERIFICATION:
        text = _verification(channel, _required(personal, kind))
    elif kind is Communication.MESSAGE and channel is Channel.EMAIL and personal:
        text = Text(subject, body, personal.get("reply_to"))
    else:
        text = Text(subject, body)
    if label:  # the planner labels SMS and calls only
        return Text(text.subject, f"{label} {text.body}")
    return text


def _invitation(channel: Channel, values: Personal) -> Text:
    district, expires = values["district_name"], _day(values["expires_at"])
    if channel is Channel.EMAIL:
        greeting = f"Hello {values['given_name']}," if values.get("given_name") else "Hello,"
        return Text(f"Your invitation to join {district}", "\n".join((
            greeting, "",
            f"{district} invites you to join its school messaging: every message from your schools in one "
            "place, and your own choice of how to be reached.", "",
            f"Join now: {values['join_url']}", "",
            f"Or enter the join code {values['join_code']} on the Join page.",
            f"This invitation can be used once and expires on {expires}.")))
    return Text(None, f"{district} invites you to join: {values['join_url']} "
                      f"(code {values['join_code']}, expires {expires})")


def _verification(channel: Channel, values: Personal) -> Text:
    code, until = values["code"], _time(values["expires_at"])
    if channel is Channel.EMAIL:
        return Text("Your verification code", "\n".join((
            f"Your verification code is {code}.", "",
            f"It works until {until}. If you did not ask for it, ignore this message.")))
    return Text(None, f"Your verification code is {code}. It works until {until}.")


def _required(personal: Personal | None, kind: Communication) -> Personal:
    if not personal:
        raise MissingPersonalValues(f"a {kind.value} needs the person's own values")
    return personal


def _day(moment: str) -> str:
    return datetime.fromisoformat(moment).strftime("%B %-d, %Y")


def _time(moment: str) -> str:
    parsed = datetime.fromisoformat(moment)
    return parsed.strftime("%H:%M %Z").strip() or parsed.strftime("%H:%M")

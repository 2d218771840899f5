"""Conversations: start one, write in one, read them; and file the replies that come by SMS or email.

Each message written (in the app, or as a reply) is delivered to every other participant as a communication
of kind `message`, planned by rows M1-M4 (`planned_rows` with the MESSAGE request) and written like every
personal communication (InvitationsRepository.write_page: recipients, each one's Reply-To address, the
deliveries and inbox items in one transaction), then its provider deliveries are queued as pages
(`pages_of`) for the same workers, ledger, fallback (F1) and delivery report as announcements. The body
goes through the same composing as an announcement's (domain.messages.compose), with the F2 label on
shared phones; the email also carries the recipient's own Reply-To address.

Replies that come without signing in (a text, an email) are filed by handlers_conversation_replies and
delivered here like any message. Who may take part is decided by directory (whom the starter can reach; which teachers a family's students
have) and by notify's projection (archived, not enabled): domain.conversations holds the rules.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, time, timezone
from dataclasses import dataclass
from typing import Protocol

from services.notify.domain import conversations as rules
from services.notify.domain import message_language
from services.notify.domain.conversation_records import (
    NewMessage,
    ReplySettings,
    StoredConversation,
    StoredParticipant,
)
from services.notify.domain.delivery import Channel, Communication
from services.notify.domain.personal_communications import Candidates, NewPersonalCommunication, PersonalPage
from services.notify.domain.planned_rows import planned_rows
from services.notify.domain.planner import PlanRequest
from services.notify.domain.preferences import parse_district_default
from services.notify.domain.translation import (
    TranslationCache,
    TranslationFailed,
    TranslationOutcome,
    Translator,
    language_key,
)
from services.notify.handlers_invitations import JobPublisher
from services.notify.handlers_translations import (
    CommunicationTranslations,
    messages_for_viewer,
    translate_communications,
    translate_texts,
)
from services.notify.queue.jobs import pages_of
from shared.contracts import conversations as contract
from shared.contracts import identity
from shared.contracts.errors import InvalidRequest, NotFound, PermissionDenied
from shared.contracts.identity import DEFAULT_LANGUAGE

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
NewId = Callable[[], str]
STAFF_ROLES = frozenset({identity.DISTRICT_ADMIN, identity.SCHOOL_ADMIN, identity.TEACHER})
_REFUSAL_WORDS = {
    rules.Refusal.ARCHIVED: "is archived",
    rules.Refusal.STUDENT_NOT_ENABLED: "is a student whose account is not enabled",
    rules.Refusal.NOT_FAMILY: "is not a guardian or a student",
    rules.Refusal.TOO_MANY: "is one too many: name up to 15 people (a family names one teacher)",
    rules.Refusal.SELF: "is you",
}


class Directory(Protocol):
    def resolve_audience(self, payload: dict) -> dict: ...

    def list_teachers_of(self, payload: dict) -> dict: ...


class ConversationStore(Protocol):
    def create(self, conversation: StoredConversation, first: NewMessage) -> None: ...

    def add_message(self, message: NewMessage) -> bool: ...

    def conversation(self, conversation_id: str) -> StoredConversation | None: ...

    def messages(self, conversation_id: str, *, limit: int = ...) -> list[dict]: ...

    def of_person(self, person_id: str, *, offset: int, limit: int) -> tuple[list[str], int]: ...

    def summaries(self, conversation_ids: Sequence[str]) -> list[dict]: ...

    def latest_sms_to_each(self, phones: Collection[str]) -> dict[str, tuple[str, str]]: ...

    def sharers_of_each(self, pairs: Collection[tuple[str, str]]) -> dict[tuple[str, str], list[str]]: ...

    def conversations_by_id(self, conversation_ids: Collection[str]) -> dict[str, StoredConversation]: ...

    def add_messages(self, messages: Sequence[NewMessage]) -> set[str]: ...

    def languages_of(self, person_ids: Sequence[str]) -> dict[str, str]: ...


class PersonalCommunications(Protocol):
    def candidates(self, person_ids: Sequence[str], *, mobiles: Mapping[str, int] | None = None) -> Candidates: ...

    def write_communications(self, written: Sequence[tuple[NewPersonalCommunication, PersonalPage]], *,
                             now: datetime) -> None: ...


class MessageQueueing(Protocol):
    def unqueued_provider_deliveries_of(self, communication_ids: Sequence[str]) -> dict[str, list[tuple[str, Channel]]]: ...

    def mark_planned_queued_of(self, communication_ids: Sequence[str], *, now: datetime) -> int: ...


class MessageQueueMarks(Protocol):
    def mark_communications_queued(self, communication_ids: Sequence[str], *, now: datetime) -> None: ...


class DistrictDefaults(Protocol):
    def district_settings(self, district_id: str): ...


class Translations(CommunicationTranslations, TranslationCache, Protocol):
    """A communication's translations, and the cache per text and language."""


class Ports(Protocol):
    """What the conversation use cases are handed (services.notify.service builds it per worker)."""

    directory_rpc: Directory
    conversations: ConversationStore
    personal: PersonalCommunications
    communications: MessageQueueing
    queue_marks: MessageQueueMarks
    jobs: JobPublisher
    district_defaults: DistrictDefaults
    replies: ReplySettings
    translator: Translator | None
    translations: Translations
    clock: Clock


def random_id() -> str:
    return uuid.uuid4().hex


# --- written in the app --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CheckedStart:
    """A conversation the sender may start: with whom, and those people as the rows see them."""

    district_id: str
    as_staff: bool
    wanted: list[str]
    candidates: Candidates


def checked_start(request: dict, ports: Ports) -> CheckedStart:
    """Whom a start (or its preview) names, every check of the send passed; the send's errors otherwise."""
    sender = request["sender"]
    district_id = _district_of(sender)
    roles = {grant["role"] for grant in sender.get("roles") or ()}
    as_staff = bool(roles & STAFF_ROLES)
    if request["guardians_of"] and not as_staff:
        raise PermissionDenied("Only staff can start a conversation with a student's guardians.",
                               fields={"guardians_of": ["staff only"]})
    wanted = _guardians_of(ports.directory_rpc, sender, request["guardians_of"]) if request["guardians_of"] \
        else list(dict.fromkeys(request["participant_ids"]))
    candidates = ports.personal.candidates([*wanted, sender["person_id"]])
    people = {person_id: _person(candidates, person_id) for person_id in wanted}
    if as_staff:
        refused = rules.refusals_for_staff_start(sender["person_id"], people,
                                                 _reachable(ports.directory_rpc, sender, wanted))
    else:
        if not rules.may_start_as_family(_person(candidates, sender["person_id"]), roles):
            raise PermissionDenied("Only staff, guardians and enabled students can start a conversation.")
        teachers = ports.directory_rpc.list_teachers_of({"viewer": sender})["teachers"]
        refused = rules.refusals_for_family_start(sender["person_id"], people,
                                                  [teacher["person_id"] for teacher in teachers])
    if refused:
        raise _refusal(refused)
    return CheckedStart(district_id, as_staff, wanted, candidates)


def start_conversation(request: dict, *, ports: Ports, new_id: NewId = random_id) -> dict:
    sender = request["sender"]
    start = checked_start(request, ports)
    candidates, wanted = start.candidates, start.wanted
    now = ports.clock()
    participants = (StoredParticipant(sender["person_id"], 0, rules.role_of(candidates.kinds.get(
        sender["person_id"], ("staff",) if start.as_staff else ()))),
        *(StoredParticipant(person_id, position, rules.role_of(candidates.kinds.get(person_id, ())))
          for position, person_id in enumerate(wanted, start=1)))
    conversation = StoredConversation(new_id(), start.district_id, sender["person_id"], now, now, participants)
    message = new_message(conversation.id, sender["person_id"], (), contract.VIA_APP, request["text"],
                          request["attachments"], now, new_id)
    ports.conversations.create(conversation, message)
    # Read back: the stored participants come with their names, which the message is signed with.
    deliver_message(ports.conversations.conversation(conversation.id), message, wanted, ports)
    return get_conversation({"viewer": sender, "conversation_id": conversation.id}, ports=ports)


def post_conversation_message(request: dict, *, ports: Ports, new_id: NewId = random_id) -> dict:
    sender = request["sender"]
    conversation = participating(ports, sender, request["conversation_id"])
    message = new_message(conversation.id, sender["person_id"], (), contract.VIA_APP, request["text"],
                          request["attachments"], ports.clock(), new_id)
    ports.conversations.add_message(message)
    deliver_message(conversation, message, others_in(conversation, {sender["person_id"]}), ports)
    return _message_answer(message)


def get_conversation(request: dict, *, ports: Ports) -> dict:
    """The conversation with each message in the viewer's language (the original beside it)."""
    viewer_id = request["viewer"]["person_id"]
    conversation = participating(ports, request["viewer"], request["conversation_id"])
    messages = ports.conversations.messages(conversation.id)
    languages = ports.conversations.languages_of(sorted({viewer_id, *(p.person_id for p in conversation.participants)}))
    shown = messages_for_viewer(messages, viewer_id=viewer_id, languages=languages, default=DEFAULT_LANGUAGE,
                                translator=ports.translator, cache=ports.translations, clock=ports.clock)
    return {**_conversation_answer(conversation), "messages": shown}


def list_conversations(request: dict, *, ports: Ports) -> dict:
    """The viewer's conversations, each latest message in their language: the translation stored for it
    (the cache, filled when it was delivered), never asked of the provider here; as written on request."""
    viewer_id = request["viewer"]["person_id"]
    page, per_page = request["page"], request["per_page"]
    ids, total = ports.conversations.of_person(viewer_id, offset=(page - 1) * per_page, limit=per_page)
    summaries = ports.conversations.summaries(ids)
    latest = [summary["last_message"] for summary in summaries if summary["last_message"]]
    languages = ports.conversations.languages_of(sorted({viewer_id, *(
        person_id for message in latest for person_id in (message["author_id"], *message["possible_author_ids"])
        if person_id)}))
    viewer_language = languages.get(viewer_id) or DEFAULT_LANGUAGE
    wanted = [] if request.get("original") else message_language.texts_to_translate(
        latest, viewer_id=viewer_id, viewer_language=viewer_language, languages=languages, default=DEFAULT_LANGUAGE)
    stored = ports.translations.cached_translations(wanted, target=language_key(viewer_language)) if wanted else {}
    items = [{**{key: value for key, value in summary.items() if key != "last_message"},
              **message_language.latest_in_list(summary["last_message"], viewer_id=viewer_id,
                                                viewer_language=viewer_language, languages=languages,
                                                default=DEFAULT_LANGUAGE, translations=stored,
                                                original=bool(request.get("original")))}
             for summary in summaries]
    return {"items": items, "total": total, "page": page, "per_page": per_page}


# --- delivering a message ----------------------------------------------------------------------------------

def deliver_message(conversation: StoredConversation, message: NewMessage, person_ids: Sequence[str],
                    ports: Ports) -> None:
    """The message as a communication of kind message to these people, planned by M1-M4, queued."""
    deliver_messages([(conversation, message, person_ids)], ports)


def deliver_messages(messages: Sequence[tuple[StoredConversation, NewMessage, Sequence[str]]],
                     ports: Ports) -> None:
    """Each message as deliver_message delivers it, a batch (replies filed together) at the cost of about one:
    the people and district defaults read once, every communication with its page written in one transaction
    of one statement per kind, translated together, their jobs published together once every one is written,
    then marked queued together; last, each text kept in its readers' languages for their lists."""
    if not messages:
        return
    candidates = ports.personal.candidates(sorted({p for _, _, person_ids in messages for p in person_ids}))
    defaults = {district_id: parse_district_default(ports.district_defaults.district_settings(district_id)
                                                    .default_preference)
                for district_id in {conversation.district_id for conversation, _, _ in messages}}
    now = ports.clock()
    written = [_message_page(conversation, message, person_ids, candidates, defaults[conversation.district_id],
                             ports.replies, now) for conversation, message, person_ids in messages]
    ports.personal.write_communications(written, now=now)
    ids = [communication.id for communication, _ in written]
    # Each recipient's language once, before the jobs: the workers render each delivery in its reader's.
    made = translate_communications(ids, translations=ports.translations, translator=ports.translator,
                                    cache=ports.translations, clock=ports.clock)
    unqueued = ports.communications.unqueued_provider_deliveries_of(ids)
    ports.jobs.publish_jobs([job for communication_id in ids
                             for job in pages_of(communication_id, unqueued.get(communication_id, []))])
    ports.communications.mark_planned_queued_of(ids, now=ports.clock())
    ports.queue_marks.mark_communications_queued(ids, now=ports.clock())
    # After the jobs, and not after a failure: the lists' copy never holds a message back or waits twice.
    if not any(translation.outcome is TranslationOutcome.UNAVAILABLE for done in made.values() for translation in done):
        _store_texts_in_readers_languages(messages, ports)


def _store_texts_in_readers_languages(messages: Sequence[tuple[StoredConversation, NewMessage, Sequence[str]]],
                                      ports: Ports) -> None:
    """Each message's text in each of its readers' languages, kept in the translation cache, so that their
    conversation lists show it in theirs (a listing never asks the provider) and opening the conversation
    asks nothing more. One provider call per language pair for the batch; a failure is logged and the rest
    not asked: a list then shows the original, marked unavailable, and the conversation asks again."""
    if ports.translator is None:
        return
    people = sorted({person_id for _, message, readers in messages
                     for person_id in (*readers, message.author_id, *message.possible_author_ids) if person_id})
    languages = ports.conversations.languages_of(people)
    wanted: dict[tuple[str, str], list[str]] = {}
    for _, message, readers in messages:
        written = {"text": message.text, "author_id": message.author_id,
                   "possible_author_ids": list(message.possible_author_ids)}
        for pair, text in message_language.readers_texts(written, readers, languages=languages,
                                                         default=DEFAULT_LANGUAGE).items():
            wanted.setdefault(pair, []).append(text)
    for (target, source), texts in sorted(wanted.items()):
        try:
            translate_texts(list(dict.fromkeys(texts)), target=target, source=source, translator=ports.translator,
                            cache=ports.translations, clock=ports.clock)
        except TranslationFailed as error:
            log.warning("%d message text(s) not kept in %s for conversation lists: %s", len(texts), target, error)
            return


def _message_page(conversation: StoredConversation, message: NewMessage, person_ids: Sequence[str],
                  candidates: Candidates, default, replies: ReplySettings,
                  now: datetime) -> tuple[NewPersonalCommunication, PersonalPage]:
    """The message's communication and its one page: M1-M4 rows, each recipient's own Reply-To."""
    names = {p.person_id: rules.display_name(p.given_name, p.family_name) for p in conversation.participants}
    writer = names.get(message.author_id) if message.author_id else \
        " or ".join(names.get(person_id, "a family member") for person_id in message.possible_author_ids)
    communication = NewPersonalCommunication(
        id=message.communication_id, district_id=conversation.district_id, kind=Communication.MESSAGE,
        subject=rules.message_subject(writer), body=rules.message_body(writer, message.text, message.attachments),
        sender_id=message.author_id, audience={"conversation_id": conversation.id, "person_ids": list(person_ids)},
        created_at=now)
    recipients = [candidates.recipients[person_id] for person_id in person_ids if person_id in candidates.recipients]
    rows = planned_rows(recipients, rules.message_request(default))
    expires_on = rules.expiry_from(now.date())
    positions = {p.person_id: p.position for p in conversation.participants}
    personal = {recipient.person_id: _reply_values(conversation.id, positions[recipient.person_id], expires_on,
                                                   replies) for recipient in recipients}
    return communication, PersonalPage(message.communication_id, rows, personal,
                                       datetime.combine(expires_on, time.max, tzinfo=timezone.utc))


def message_rows(ports: Ports, district_id: str) -> PlanRequest:
    """What the rows plan a message in this district by (M1-M4, with its default preference)."""
    return rules.message_request(parse_district_default(
        ports.district_defaults.district_settings(district_id).default_preference))


def _reply_values(conversation_id: str, position: int, expires_on, settings: ReplySettings) -> dict[str, str]:
    if not settings.token_secret:
        return {}  # replies by email are not configured: the email goes without a Reply-To
    route = rules.ReplyRoute(conversation_id, position, expires_on)
    return {"reply_to": rules.reply_address(settings.token_secret, route, settings.email_domain)}


# --- checks and answers ------------------------------------------------------------------------------------

def _district_of(principal: Mapping) -> str:
    if not principal.get("district_id"):
        raise InvalidRequest("Only a member of a district can start a conversation.",
                             fields={"sender.district_id": ["required to start a conversation"]})
    return principal["district_id"]


def _guardians_of(directory_rpc: Directory, sender: Mapping, student_id: str) -> list[str]:
    page = directory_rpc.resolve_audience({
        "viewer": sender, "audience": {"person_ids": [student_id], "include_students": False,
                                       "include_guardians": True}, "after": None, "limit": contract.MAX_PARTICIPANTS + 1})
    if page["refused"]:
        raise NotFound("No such student among those you can reach.", fields={"guardians_of": ["no such student"]})
    if not page["person_ids"]:
        raise InvalidRequest("This student has no guardian to talk with.", fields={"guardians_of": ["no guardians"]})
    return page["person_ids"]


def _reachable(directory_rpc: Directory, sender: Mapping, person_ids: Sequence[str]) -> list[str]:
    page = directory_rpc.resolve_audience({
        "viewer": sender, "audience": {"person_ids": list(person_ids), "include_guardians": False},
        "after": None, "limit": len(person_ids)})
    return page["person_ids"]


def _person(candidates: Candidates, person_id: str) -> rules.Person | None:
    if person_id in candidates.archived:
        return rules.Person(person_id, candidates.kinds.get(person_id, ()), False, archived=True)
    recipient = candidates.recipients.get(person_id)
    if recipient is None:
        return None
    return rules.Person(person_id, candidates.kinds.get(person_id, ()), recipient.student_account_enabled, False)


def _refusal(refused: Mapping[str, rules.Refusal]) -> Exception:
    if rules.Refusal.NOT_FOUND in refused.values():
        return NotFound("No such person among those you can start a conversation with.",
                        fields={"participant_ids": sorted(p for p, r in refused.items() if r is rules.Refusal.NOT_FOUND)})
    if rules.Refusal.NOT_THEIR_TEACHER in refused.values():
        return PermissionDenied("A family starts a conversation only with a teacher of their student or class.",
                                fields={"participant_ids": ["not a teacher of your student or class"]})
    return InvalidRequest("Some of these people cannot take part in a conversation.",
                          fields={"participant_ids": [f"{person_id} {_REFUSAL_WORDS[reason]}"
                                                      for person_id, reason in sorted(refused.items())]})


def participating(ports: Ports, person: Mapping, conversation_id: str) -> StoredConversation:
    conversation = ports.conversations.conversation(conversation_id)
    if conversation is None or person["person_id"] not in {p.person_id for p in conversation.participants}:
        raise NotFound("No such conversation.", fields={"conversation_id": ["no conversation of yours has this id"]})
    return conversation


def others_in(conversation: StoredConversation, excluded: set[str]) -> list[str]:
    return [p.person_id for p in conversation.participants if p.person_id not in excluded]


def new_message(conversation_id: str, author_id: str | None, possible: Sequence[str], via: str, text: str,
                 attachments: Sequence[Mapping], now: datetime, new_id: NewId, *,
                 source_ref: str | None = None) -> NewMessage:
    return NewMessage(new_id(), conversation_id, author_id, tuple(possible), via, text,
                      [dict(a) for a in attachments], new_id(), now, source_ref)


def _participants(conversation: StoredConversation) -> list[dict]:
    return [{"person_id": p.person_id, "given_name": p.given_name, "family_name": p.family_name, "role": p.role}
            for p in conversation.participants]


def _conversation_answer(conversation: StoredConversation) -> dict:
    return {"conversation_id": conversation.id, "district_id": conversation.district_id,
            "started_by": conversation.started_by, "participants": _participants(conversation),
            "created_at": conversation.created_at, "last_message_at": conversation.last_message_at}


def _message_answer(message: NewMessage) -> dict:
    """The sender's own message, as they wrote it."""
    return {"message_id": message.id, "conversation_id": message.conversation_id, "author_id": message.author_id,
            "possible_author_ids": list(message.possible_author_ids), "via": message.via, "text": message.text,
            "attachments": list(message.attachments), "communication_id": message.communication_id,
            "created_at": message.created_at, "hidden": False, "original_text": message.text,
            "translation": contract.AS_WRITTEN}

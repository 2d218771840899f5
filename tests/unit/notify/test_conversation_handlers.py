"""The conversation use cases with in-memory ports: who is refused with which error, what one message writes
and queues, and how a text or an email reply is filed (or not)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import pytest

from services.notify import handlers_conversation_replies as replies
from services.notify import handlers_conversations as handlers
from services.notify.domain import conversations as rules
from services.notify.domain.conversation_records import ReplySettings, StoredConversation, StoredParticipant
from services.notify.domain.inbound_texts import InboundText
from services.notify.domain.personal_communications import Candidates
from services.notify.domain.translation import UNTRANSLATED_NOTE
from shared.contracts import identity
from shared.contracts.errors import InvalidRequest, NotFound, PermissionDenied
from shared.testing.principals import make_principal
from shared.testing.translation_fakes import FakeTranslator, InMemoryTranslations
from tests.unit.notify.planner_builders import SMS_APP, make_recipient

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)
SECRET = b"reply-secret"
TEACHER = make_principal(person_id="t-1", district_id="d-1", roles=[{"role": identity.TEACHER, "school_ids": ["s"]}])
GUARDIAN = make_principal(person_id="g-1", district_id="d-1", roles=[{"role": identity.GUARDIAN, "school_ids": []}])
KINDS = {"t-1": ("staff",), "t-2": ("staff",), "g-1": ("guardian",), "g-2": ("guardian",), "s-1": ("student",)}


class FakeDirectory:
    def __init__(self, reachable=("g-1", "g-2", "s-1", "t-2"), teachers=("t-1",)):
        self.reachable, self.teachers = set(reachable), list(teachers)

    def resolve_audience(self, payload: dict) -> dict:
        wanted = payload["audience"]["person_ids"]
        return {"person_ids": [p for p in wanted if p in self.reachable], "next_after": None, "refused": []}

    def list_teachers_of(self, payload: dict) -> dict:
        return {"teachers": [{"person_id": t, "given_name": "T", "family_name": "Ito", "classroom_ids": []}
                             for t in self.teachers]}


@dataclass
class FakeWorld:
    """The stores: conversations, personal communications, queueing; what was written and queued."""

    archived: frozenset = frozenset()
    conversations: dict = field(default_factory=dict)
    stored: list = field(default_factory=list)  # the messages
    pages: list = field(default_factory=list)
    jobs: list = field(default_factory=list)
    latest_sms: tuple | None = None
    sharing: list = field(default_factory=list)
    languages: dict = field(default_factory=dict)  # person id -> language; "en" otherwise
    translations: InMemoryTranslations = field(default_factory=InMemoryTranslations)
    publishes: int = 0
    candidate_reads: int = 0
    writes: int = 0
    queued: list = field(default_factory=list)  # communications whose planned deliveries were marked queued

    # conversations
    def create(self, conversation, first):
        self.conversations[conversation.id] = conversation
        self.stored.append(first)

    def add_message(self, message):
        if message.source_ref and any(m.source_ref == message.source_ref for m in self.stored):
            return False
        self.stored.append(message)
        return True

    def conversation(self, conversation_id):
        return self.conversations.get(conversation_id)

    def messages(self, conversation_id, *, limit=200):
        return [{"message_id": m.id, "author_id": m.author_id, "possible_author_ids": list(m.possible_author_ids),
                 "text": m.text, "hidden": False} for m in self.stored if m.conversation_id == conversation_id]

    def languages_of(self, person_ids):
        return {p: self.languages.get(p, "en") for p in person_ids if p in KINDS}

    def add_messages(self, messages):
        return {message.id for message in messages if self.add_message(message)}

    def conversations_by_id(self, conversation_ids):
        return {id_: self.conversations[id_] for id_ in conversation_ids if id_ in self.conversations}

    def latest_sms_to_each(self, phones):
        return {phone: self.latest_sms for phone in phones} if self.latest_sms else {}

    def sharers_of_each(self, pairs):
        return {pair: list(self.sharing) for pair in pairs}

    # personal communications
    def candidates(self, person_ids, *, mobiles=None):
        self.candidate_reads += 1
        known = {p: make_recipient(person_id=p, is_student=p.startswith("s"), student_account_enabled=True,
                                   preference=SMS_APP) for p in person_ids if p in KINDS and p not in self.archived}
        return Candidates(known, frozenset(p for p in person_ids if p in self.archived),
                          {p: KINDS[p] for p in person_ids if p in KINDS})

    def write_communications(self, written, *, now):
        self.writes += 1
        for communication, page in written:
            readers = communication.audience["person_ids"]
            self.translations.add_source(communication.id, subject=communication.subject, body=communication.body,
                                         languages=[self.languages.get(p, "en") for p in readers],
                                         original_language=self.languages.get(communication.sender_id, "en"))
            self.pages.append(page)

    # queueing
    def unqueued_provider_deliveries_of(self, communication_ids):
        return {page.communication_id: [(f"d-{row.person_id}", row.channel) for row in page.rows.provider]
                for page in self.pages if page.communication_id in communication_ids and page.rows.provider}

    def mark_planned_queued_of(self, communication_ids, *, now):
        self.queued.extend(communication_ids)
        return 0

    def mark_communications_queued(self, communication_ids, *, now):
        pass

    def publish_jobs(self, jobs):
        self.jobs.extend(jobs)
        self.publishes += 1

    def district_settings(self, district_id):
        return type("Settings", (), {"default_preference": None})()


@dataclass
class Ports:
    directory_rpc: FakeDirectory
    conversations: FakeWorld
    personal: FakeWorld
    communications: FakeWorld
    queue_marks: FakeWorld
    jobs: FakeWorld
    district_defaults: FakeWorld
    replies: ReplySettings
    translator: FakeTranslator | None
    translations: InMemoryTranslations
    clock: object = lambda: NOW


def ports_for(world: FakeWorld, directory: FakeDirectory | None = None,
              translator: FakeTranslator | None = None) -> Ports:
    return Ports(directory or FakeDirectory(), world, world, world, world, world, world,
                 ReplySettings(SECRET, "replies.example.org", "url-secret"), translator or FakeTranslator(),
                 world.translations)


def start(ports, sender=TEACHER, **body):
    request = {"sender": sender, "participant_ids": None, "guardians_of": None, "text": "Hello",
               "attachments": [], **body}
    return handlers.start_conversation(request, ports=ports)


def test_a_staff_message_is_one_page_with_each_recipients_own_reply_to_and_its_jobs_queued():
    world = FakeWorld()
    ports = ports_for(world)
    conversation = StoredConversation("c" * 32, "d-1", "t-1", NOW, NOW, (
        StoredParticipant("t-1", 0, "staff"), StoredParticipant("g-1", 1, "family"),
        StoredParticipant("g-2", 2, "family")))
    world.conversations[conversation.id] = conversation
    message = handlers.new_message(conversation.id, "t-1", (), "app", "Hi", (), NOW, lambda: "f" * 32)

    handlers.deliver_message(conversation, message, ["g-1", "g-2"], ports)

    [page] = world.pages
    assert sorted(page.personal) == ["g-1", "g-2"]
    route = rules.read_reply_token(SECRET, page.personal["g-2"]["reply_to"][len("reply-"):].split("@")[0],
                                   today=date(2026, 12, 5))
    assert (route.conversation_id, route.position) == (conversation.id, 2)
    assert {row.channel.value for row in page.rows.provider} == {"sms"}  # M2 for SMS+app
    assert world.jobs, "the provider deliveries were queued"


def test_messages_delivered_together_read_the_people_once_and_publish_all_their_jobs_at_once():
    world = FakeWorld()
    conversation = StoredConversation("c" * 32, "d-1", "t-1", NOW, NOW, (
        StoredParticipant("t-1", 0, "staff"), StoredParticipant("g-1", 1, "family"),
        StoredParticipant("g-2", 2, "family")))
    ids = iter(f"{n:032x}" for n in range(10))
    first, second = (handlers.new_message(conversation.id, "t-1", (), "app", text, (), NOW, lambda: next(ids))
                     for text in ("Hi", "Again"))

    handlers.deliver_messages([(conversation, first, ["g-1"]), (conversation, second, ["g-1", "g-2"])],
                              ports_for(world))

    assert [(page.communication_id, sorted(page.personal)) for page in world.pages] == [
        (first.communication_id, ["g-1"]), (second.communication_id, ["g-1", "g-2"])]
    assert world.candidate_reads == 1 and world.publishes == 1 and world.writes == 1
    assert sorted(world.queued) == sorted([first.communication_id, second.communication_id])
    assert sorted(job.communication_id for job in world.jobs) == sorted({first.communication_id,
                                                                          second.communication_id})


@pytest.mark.parametrize(("body", "sender", "error"), [
    ({"participant_ids": ["g-9"]}, TEACHER, NotFound),  # out of reach
    ({"participant_ids": ["t-2"]}, TEACHER, InvalidRequest),  # staff talk with families
    ({"guardians_of": "s-1"}, GUARDIAN, PermissionDenied),  # only staff name a student's guardians
    ({"participant_ids": ["g-2"]}, GUARDIAN, PermissionDenied),  # a family names a teacher of theirs only
])
def test_who_is_refused_and_with_which_error(body, sender, error):
    with pytest.raises(error):
        start(ports_for(FakeWorld()), sender, **body)


def test_an_archived_person_is_refused_by_name():
    with pytest.raises(InvalidRequest) as refused:
        start(ports_for(FakeWorld(archived=frozenset({"g-1"}))), participant_ids=["g-1"])
    assert refused.value.fields == {"participant_ids": ["g-1 is archived"]}


def test_a_text_from_a_phone_no_message_went_to_and_a_repeat_file_nothing():
    world = FakeWorld()
    assert replies.file_text_replies([InboundText("+15555550100", "Hi", "SM1")], ports=ports_for(world)) == 0

    conversation = StoredConversation("c" * 32, "d-1", "t-1", NOW, NOW, (
        StoredParticipant("t-1", 0, "staff"), StoredParticipant("g-1", 1, "family")))
    world.conversations[conversation.id], world.latest_sms = conversation, (conversation.id, "g-1")
    filed = [replies.file_text_replies([InboundText("+15555550100", "Hi", "SM1")], ports=ports_for(world))
             for _ in range(2)]
    assert filed == [1, 0]
    [page] = world.pages
    assert sorted(page.personal) == ["t-1"]  # delivered to everyone but who wrote it


def test_an_email_post_to_a_url_with_the_wrong_secret_is_not_accepted():
    answer = replies.receive_email_reply({"url_secret": "guess", "to": "", "envelope": "", "sender": "", "text": "x",
                                          "html": "", "headers": ""}, ports=ports_for(FakeWorld()))
    assert answer == {"accepted": False, "outcome": "ignored"}


def test_a_guardian_starts_with_a_teacher_of_theirs_who_alone_gets_the_first_message():
    world = FakeWorld()

    answer = start(ports_for(world), GUARDIAN, participant_ids=["t-1"], text="A question")

    assert [(p["person_id"], p["role"]) for p in answer["participants"]] == [("g-1", "family"), ("t-1", "staff")]
    assert [m["text"] for m in answer["messages"]] == ["A question"]
    [page] = world.pages
    assert sorted(page.personal) == ["t-1"]


def two_person_conversation(world: FakeWorld) -> StoredConversation:
    conversation = StoredConversation("c" * 32, "d-1", "t-1", NOW, NOW, (
        StoredParticipant("t-1", 0, "staff"), StoredParticipant("g-1", 1, "family")))
    world.conversations[conversation.id] = conversation
    return conversation


def test_a_message_is_translated_into_each_recipients_language_before_its_jobs_are_queued():
    world = FakeWorld(languages={"g-1": "es"})
    conversation = two_person_conversation(world)
    message = handlers.new_message(conversation.id, "t-1", (), "app", "Field trip", (), NOW, lambda: "f" * 32)

    handlers.deliver_message(conversation, message, ["g-1"], ports_for(world))

    spanish = world.translations.stored[message.communication_id]["es"]
    assert spanish.outcome.value == "translated" and spanish.body.startswith("[es] ")
    assert world.jobs


def test_a_failing_translator_never_holds_a_message_back():
    world = FakeWorld(languages={"g-1": "es"})
    conversation = two_person_conversation(world)
    message = handlers.new_message(conversation.id, "t-1", (), "app", "Field trip", (), NOW, lambda: "f" * 32)

    handlers.deliver_message(conversation, message, ["g-1"], ports_for(world, translator=FakeTranslator(failing=True)))

    assert world.translations.stored[message.communication_id]["es"].outcome.value == "unavailable"
    assert world.jobs, "queued in the original all the same"


def test_a_familys_reply_reaches_the_teacher_in_the_teachers_language_with_the_original_kept():
    world = FakeWorld(languages={"t-1": "en", "g-1": "es"})
    conversation = two_person_conversation(world)
    world.stored += [handlers.new_message(conversation.id, "t-1", (), "app", "Welcome", (), NOW, lambda: "m-1"),
                     handlers.new_message(conversation.id, "g-1", (), "sms", "Gracias", (), NOW, lambda: "m-2")]

    seen_by_teacher = handlers.get_conversation({"viewer": TEACHER, "conversation_id": conversation.id},
                                                ports=ports_for(world))["messages"]
    seen_by_guardian = handlers.get_conversation({"viewer": GUARDIAN, "conversation_id": conversation.id},
                                                 ports=ports_for(world))["messages"]

    own, reply = seen_by_teacher
    assert (own["text"], own["translation"]) == ("Welcome", "original")
    assert (reply["text"], reply["original_text"], reply["language"], reply["original_language"],
            reply["translation"]) == ("[en] Gracias", "Gracias", "en", "es", "translated")
    assert [(m["text"], m["translation"]) for m in seen_by_guardian] == [
        ("[es] Welcome", "translated"), ("Gracias", "original")]


def test_a_reply_whose_translation_fails_is_shown_in_the_original_with_a_note():
    world = FakeWorld(languages={"g-1": "es"})
    conversation = two_person_conversation(world)
    world.stored.append(handlers.new_message(conversation.id, "g-1", (), "app", "Gracias", (), NOW, lambda: "m-1"))

    [reply] = handlers.get_conversation({"viewer": TEACHER, "conversation_id": conversation.id},
                                        ports=ports_for(world, translator=FakeTranslator(failing=True)))["messages"]

    assert (reply["text"], reply["translation"]) == ("Gracias", "unavailable")
    assert reply["translation_note"] == UNTRANSLATED_NOTE


def test_a_message_keeps_its_text_in_each_readers_language_for_their_lists_but_never_asks_twice_after_a_failure():
    world = FakeWorld(languages={"g-1": "es"})
    conversation = StoredConversation("c" * 32, "d-1", "t-1", NOW, NOW, (
        StoredParticipant("t-1", 0, "staff"), StoredParticipant("g-1", 1, "family")))
    message = handlers.new_message(conversation.id, "t-1", (), "app", "Hi", (), NOW, lambda: "f" * 32)

    handlers.deliver_message(conversation, message, ["g-1"], ports_for(world))

    assert world.translations.cache[("Hi", "es")] == "[es] Hi"
    failing, broken = FakeTranslator(failing=True), FakeWorld(languages={"g-1": "es"})
    handlers.deliver_message(conversation, message, ["g-1"], ports_for(broken, translator=failing))
    assert len(failing.calls) == 1 and broken.jobs, "one failed call, and the message went all the same"

"""The audience preview: what sending an announcement would do, without sending or storing anything.

The same audience resolution and checks as the send (handlers_announcements.resolved_audience), the same
planner over the same facts (domain.audience_preview), and each language's SMS text as the workers would
compose it, translated through the cache without adding to it. A conversation message's draft is previewed
by the same `audience_preview` (handlers_conversation_preview), with the message rows.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from services.notify.domain.audience_preview import PreviewMember, audience_reach
from services.notify.domain.delivery import Channel, Communication
from services.notify.domain.messages import compose
from services.notify.domain.planner import PlanRequest
from services.notify.domain.translation import (
    TranslationCache,
    TranslationFailed,
    Translator,
    same_language,
    with_untranslated_note,
)
from services.notify.handlers_announcements import (
    AudienceResolver,
    DistrictDefaults,
    district_default,
    resolved_audience,
)
from services.notify.handlers_translations import NO_PROVIDER, Clock, sms_size, translate_texts
from shared.contracts.notify_languages import PREVIEW_UNREACHABLE_CAP


class AudienceFacts(Protocol):
    def audience_members(self, person_ids: Sequence[str]) -> tuple[list[PreviewMember], int]: ...

    def language_of(self, person_id: str) -> str: ...


def preview_announcement(request: dict, *, directory_rpc: AudienceResolver, audience: AudienceFacts,
                         district_defaults: DistrictDefaults, translator: Translator | None,
                         cache: TranslationCache, clock: Clock) -> dict:
    sender = request["sender"]
    person_ids, refused = resolved_audience(request, directory_rpc=directory_rpc)
    plan_request = PlanRequest(Communication.ANNOUNCEMENT, priority=request["priority"],
                               with_call=request["with_call"],
                               district_default=district_default(district_defaults, sender["district_id"]))
    return {**audience_preview(person_ids, plan_request, sender_id=sender["person_id"], subject=request["subject"],
                               body=request["body"], audience=audience, translator=translator, cache=cache,
                               clock=clock),
            "refused": refused}


def audience_preview(person_ids: Sequence[str], plan_request: PlanRequest, *, sender_id: str, subject: str | None,
                     body: str, audience: AudienceFacts, translator: Translator | None, cache: TranslationCache,
                     clock: Clock) -> dict:
    """What sending `subject` and `body` to these people would do, planned by `plan_request`'s rows."""
    members, unknown = audience.audience_members(person_ids)
    reach = audience_reach(members, plan_request, unknown=unknown)
    original = audience.language_of(sender_id)
    sms_body = compose(plan_request.communication, Channel.SMS, subject=subject, body=body, label=None,
                       personal=None).body
    return {
        "recipient_count": len(person_ids), "reached": reach.reached, "not_contacted": reach.not_contacted,
        "reach": {"email": reach.by_channel[Channel.EMAIL], "sms": reach.by_channel[Channel.SMS],
                  "call": reach.by_channel[Channel.VOICE], "app_only": reach.app_only},
        "unreachable_total": len(reach.unreachable),
        "unreachable": [{"person_id": found.contact.person_id, "given_name": found.contact.given_name,
                         "family_name": found.contact.family_name, "reason": found.reason.value}
                        for found in reach.unreachable[:PREVIEW_UNREACHABLE_CAP]],
        "original_language": original,
        "languages": [_language(language, people, sms_body, original, translator, cache, clock)
                      for language, people in sorted(reach.languages.items())],
        "refused": [],
    }


def _language(language: str, people: int, body: str, original: str, translator: Translator | None,
              cache: TranslationCache, clock: Clock) -> dict:
    text, translated, reason = body, False, None
    if not same_language(language, original):
        try:
            if translator is None:
                raise TranslationFailed(NO_PROVIDER)
            text = translate_texts([body], target=language, source=original, translator=translator, cache=cache,
                                   clock=clock, remember=False)[0]
            translated = True
        except TranslationFailed as error:
            text, reason = with_untranslated_note(body), str(error)
    return {"language": language, "people": people, "translated": translated, "body": text, "reason": reason,
            **sms_size(text)}

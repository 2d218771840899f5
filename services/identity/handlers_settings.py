"""What a person changes in their own account (language, email, mobile phone), and the languages a
district offers to choose from."""
from __future__ import annotations

from dataclasses import replace

from shared.contracts import identity
from shared.contracts.errors import InvalidRequest
from shared.outbox import REPUBLISH_PAGE, republish_in_pages

from .adapters.repository import AccountRepository
from .domain.documents import account_change_document
from .domain.languages import DEFAULT_OFFERED, InvalidLanguage, canonical_tag, chosen_language, offered_languages
from .handlers import Clock, Publish, stored_account_document, existing_account


def get_district_languages(request: dict, *, repo: AccountRepository) -> dict:
    district_id = request["district_id"]
    return {"district_id": district_id, "languages": list(offered_to(repo, district_id)),
            "default_language": default_of(repo, district_id)}


def republish_district(request: dict, *, repo: AccountRepository, publish: Publish,
                       page: int = REPUBLISH_PAGE) -> dict:
    """ACCOUNTS_UPSERTED again for every account of the district as it is now, and the district's languages
    (when it chose them), so a consumer that lost events rebuilds its projection."""
    district_id = request["district_id"]

    def publish_page(person_ids: list[str]) -> None:
        found = repo.accounts_by_person_id(person_ids)
        publish(identity.ACCOUNTS_UPSERTED, {"accounts": [account_change_document(found[pid]) for pid in person_ids
                                                          if pid in found]})

    answer = republish_in_pages(ids_after=lambda after, limit: repo.person_ids_of_district(district_id, after, limit),
                                publish_page=publish_page, page=page)
    if repo.district_languages(district_id) is not None:
        publish(identity.DISTRICT_LANGUAGES_CHANGED, get_district_languages(request, repo=repo))
        answer["events"] += 1
    return answer


def set_district_languages(request: dict, *, repo: AccountRepository, publish: Publish, clock: Clock) -> dict:
    """Replace what the district offers and its default language (kept when not given), which must be offered.
    People keep a language they chose even when it is no longer offered; notify hears of the change, for the
    people who have not chosen one."""
    district_id = request["district_id"]
    try:
        default = canonical_tag(request["default_language"] or default_of(repo, district_id))
    except InvalidLanguage as error:
        raise InvalidRequest(error.reason, fields={"default_language": [error.reason]}) from None
    try:
        languages = offered_languages(request["languages"], default)
    except InvalidLanguage as error:
        raise InvalidRequest(error.reason, fields={"languages": [error.reason]}) from None
    answer = {"district_id": district_id, "languages": list(languages), "default_language": default}
    publish(identity.DISTRICT_LANGUAGES_CHANGED, answer)  # staged first: it commits with the change
    repo.replace_district_languages(district_id, languages, default, changed_by=request["changed_by"], now=clock())
    return answer


def set_language(request: dict, *, repo: AccountRepository, publish: Publish, clock: Clock) -> dict:
    account = existing_account(repo, request["viewer"]["person_id"])
    language = language_of_choice(request["language"], repo, account.profile.district_id)
    if language != account.language:
        publish(identity.ACCOUNTS_UPSERTED, {"accounts": [account_change_document(replace(account, language=language))]})
        repo.replace_language(account.person_id, language, clock())
    return stored_account_document(repo, account.person_id)


def offered_to(repo: AccountRepository, district_id: str | None) -> tuple[str, ...]:
    return repo.district_languages(district_id) or DEFAULT_OFFERED


def default_of(repo: AccountRepository, district_id: str | None) -> str:
    return repo.district_default_language(district_id) or identity.DEFAULT_LANGUAGE


def language_of_choice(tag: str | None, repo: AccountRepository, district_id: str | None) -> str:
    """The standard form of a language a person of `district_id` chose (the district's default when they chose
    none); InvalidRequest naming `language` unless the district offers it."""
    try:
        return chosen_language(tag or default_of(repo, district_id), offered_to(repo, district_id))
    except InvalidLanguage as error:
        raise InvalidRequest(error.reason, fields={"language": [error.reason]}) from None

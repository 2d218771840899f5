"""What a person changes in their own account (language, email, mobile phone), and the languages a
district offers to choose from."""
from __future__ import annotations

from dataclasses import replace

from shared.contracts import identity
from shared.contracts.errors import InvalidRequest

from .adapters.repository import AccountRepository
from .domain.documents import account_change_document
from .domain.languages import DEFAULT_OFFERED, InvalidLanguage, chosen_language, offered_languages
from .handlers import Clock, Publish, stored_account_document, existing_account


def get_district_languages(request: dict, *, repo: AccountRepository) -> dict:
    district_id = request["district_id"]
    return {"district_id": district_id, "languages": list(offered_to(repo, district_id))}


def set_district_languages(request: dict, *, repo: AccountRepository, clock: Clock) -> dict:
    """Replace what the district offers. People keep a language they chose even when it is no longer offered."""
    try:
        languages = offered_languages(request["languages"])
    except InvalidLanguage as error:
        raise InvalidRequest(error.reason, fields={"languages": [error.reason]}) from None
    repo.replace_district_languages(request["district_id"], languages, changed_by=request["changed_by"],
                                    now=clock())
    return {"district_id": request["district_id"], "languages": list(languages)}


def set_language(request: dict, *, repo: AccountRepository, publish: Publish, clock: Clock) -> dict:
    account = existing_account(repo, request["viewer"]["person_id"])
    language = language_of_choice(request["language"], repo, account.profile.district_id)
    if language != account.language:
        repo.replace_language(account.person_id, language, clock())
        publish(identity.ACCOUNTS_UPSERTED, {"accounts": [account_change_document(replace(account, language=language))]})
    return stored_account_document(repo, account.person_id)


def offered_to(repo: AccountRepository, district_id: str | None) -> tuple[str, ...]:
    return repo.district_languages(district_id) or DEFAULT_OFFERED


def language_of_choice(tag: str, repo: AccountRepository, district_id: str | None) -> str:
    """The standard form of a language a person of `district_id` chose; InvalidRequest naming `language`
    unless the district offers it."""
    try:
        return chosen_language(tag, offered_to(repo, district_id))
    except InvalidLanguage as error:
        raise InvalidRequest(error.reason, fields={"language": [error.reason]}) from None

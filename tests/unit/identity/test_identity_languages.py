"""Languages: BCP 47 tags in standard form, from the list a district offers."""
import pytest
from hypothesis import given
from shared.testing.principals import make_principal
from hypothesis import strategies as st

from services.identity import handlers_settings
from services.identity.domain.languages import (
    InvalidLanguage,
    canonical_tag,
    chosen_language,
    offered_languages,
)
from shared.contracts import identity
from shared.contracts.errors import InvalidRequest
from identity_builders import make_account


@pytest.mark.parametrize("typed, standard", [("en", "en"), ("EN-us", "en-US"), ("es_mx", "es-MX"),
                                             ("zh-hant", "zh-Hant"), (" vi ", "vi"), ("iw", "he")])
def test_a_tag_is_written_in_its_standard_form(typed, standard):
    assert canonical_tag(typed) == standard


@pytest.mark.parametrize("typed", ["", "xx", "klingon", "en-", "english", "e\u0301n", "en\x00", "a" * 40])
def test_what_names_no_language_is_refused(typed):
    with pytest.raises(InvalidLanguage):
        canonical_tag(typed)


@given(st.text(max_size=40))
def test_any_text_is_either_a_standard_tag_or_refused_never_an_error_of_another_kind(text):
    try:
        tag = canonical_tag(text)
    except InvalidLanguage:
        return
    assert canonical_tag(tag) == tag


def test_a_district_offers_standard_tags_once_each_in_its_order():
    assert offered_languages(["EN", "es", "en", "zh-hant"]) == ("en", "es", "zh-Hant")


def test_a_district_must_offer_the_default_language_and_real_tags():
    with pytest.raises(InvalidLanguage, match="en must be offered"):
        offered_languages(["es", "fr"])
    with pytest.raises(InvalidLanguage, match="'xx'.*'klingon'"):
        offered_languages(["en", "xx", "klingon"])


def test_a_person_chooses_only_among_the_offered():
    assert chosen_language("ES", ("en", "es")) == "es"
    with pytest.raises(InvalidLanguage, match="not offered by the district: choose one of en, es"):
        chosen_language("es-MX", ("en", "es"))


def set_languages(repo, publish, clock, languages, default_language=None):
    return handlers_settings.set_district_languages(
        {"district_id": "district-1", "languages": languages, "default_language": default_language,
         "changed_by": "admin-1"}, repo=repo, publish=publish, clock=clock)


def test_a_district_offers_english_until_it_chooses(repo, publish, clock):
    get = handlers_settings.get_district_languages

    assert get({"district_id": "district-1"}, repo=repo) == {"district_id": "district-1", "languages": ["en"],
                                                             "default_language": "en"}

    set_languages(repo, publish, clock, ["en", "Es"])

    assert get({"district_id": "district-1"}, repo=repo)["languages"] == ["en", "es"]
    assert get({"district_id": "district-2"}, repo=repo)["languages"] == ["en"]


def test_a_district_chooses_its_default_language_and_notify_hears_of_it(repo, publish, clock):
    answer = set_languages(repo, publish, clock, ["en", "es"], default_language="ES")

    assert answer == {"district_id": "district-1", "languages": ["en", "es"], "default_language": "es"}
    assert publish.published == [(identity.DISTRICT_LANGUAGES_CHANGED.name, answer)]
    # Without a new default the current one stays, and must stay offered.
    assert set_languages(repo, publish, clock, ["es", "vi"])["default_language"] == "es"
    with pytest.raises(InvalidRequest, match="es must be offered") as refused:
        set_languages(repo, publish, clock, ["en", "vi"])
    assert list(refused.value.fields) == ["languages"]


def test_a_default_language_that_is_no_language_is_refused_by_name(repo, publish, clock):
    with pytest.raises(InvalidRequest) as refused:
        set_languages(repo, publish, clock, ["en"], default_language="klingon")

    assert list(refused.value.fields) == ["default_language"]
    assert repo.district_languages_by_id == {} and publish.published == []


def test_a_person_who_joins_without_choosing_gets_the_districts_default(repo):
    repo.district_languages_by_id["district-1"], repo.district_defaults["district-1"] = ("en", "es"), "es"

    assert handlers_settings.language_of_choice(None, repo, "district-1") == "es"
    assert handlers_settings.language_of_choice("en", repo, "district-1") == "en"


def test_a_refused_list_changes_nothing(repo, publish, clock):
    with pytest.raises(InvalidRequest) as refused:
        set_languages(repo, publish, clock, ["es"])

    assert list(refused.value.fields) == ["languages"]
    assert repo.district_languages_by_id == {} and publish.published == []


def test_a_person_changes_their_language_and_notify_hears_of_it(repo, publish, clock):
    repo.accounts["person-guardian-1"] = make_account()
    repo.district_languages_by_id["district-1"] = ("en", "es")

    account = handlers_settings.set_language({"viewer": make_principal(person_id="person-guardian-1"), "language": "es"}, repo=repo,
                                             publish=publish, clock=clock)

    assert account["language"] == "es"
    [(event, payload)] = publish.published
    assert event == identity.ACCOUNTS_UPSERTED.name and payload["accounts"][0]["language"] == "es"


def test_the_same_language_again_publishes_nothing_and_an_unoffered_one_is_refused(repo, publish, clock):
    repo.accounts["person-guardian-1"] = make_account()

    handlers_settings.set_language({"viewer": make_principal(person_id="person-guardian-1"), "language": "EN"}, repo=repo,
                                   publish=publish, clock=clock)
    with pytest.raises(InvalidRequest) as refused:
        handlers_settings.set_language({"viewer": make_principal(person_id="person-guardian-1"), "language": "fr"}, repo=repo,
                                       publish=publish, clock=clock)

    assert list(refused.value.fields) == ["language"]
    assert publish.published == [] and repo.accounts["person-guardian-1"].language == "en"

"""identity publishes a district's accounts and languages again, as they are now, in pages."""
from identity_builders import make_account, make_profile

from services.identity import handlers_settings
from shared.contracts import identity


def test_every_account_of_the_district_is_published_again_in_pages_with_its_languages(repo, publish):
    for n in range(5):
        repo.accounts[f"p{n}"] = make_account(person_id=f"p{n}")
    repo.accounts["elsewhere"] = make_account(person_id="elsewhere", profile=make_profile(district_id="district-2"))
    repo.district_languages_by_id["district-1"] = ("en", "es")

    answer = handlers_settings.republish_district({"district_id": "district-1"}, repo=repo, publish=publish, page=2)
    publish.handler_returned()  # a republish changes nothing: its events commit when it returns

    pages = [[change["person_id"] for change in payload["accounts"]]
             for name, payload in publish.published if name == identity.ACCOUNTS_UPSERTED.name]
    assert pages == [["p0", "p1"], ["p2", "p3"], ["p4"]]
    assert publish.published[-1] == (identity.DISTRICT_LANGUAGES_CHANGED.name, {
        "district_id": "district-1", "languages": ["en", "es"], "default_language": "en"})
    assert answer == {"events": 4, "rows": 5}


def test_a_district_without_accounts_or_chosen_languages_publishes_nothing(repo, publish):
    answer = handlers_settings.republish_district({"district_id": "district-9"}, repo=repo, publish=publish)
    publish.handler_returned()

    assert (answer, publish.published) == ({"events": 0, "rows": 0}, [])

"""A person's own email and mobile phone: codes that prove control, changes, removal, and Reset Status."""
from datetime import timedelta
from shared.testing.principals import make_principal

import pytest

from services.identity import handlers_credentials
from services.identity.adapters.tokens import TokenSigner
from services.identity.domain.accounts import RoleGrant
from services.identity.domain.verification import CODE_EXPIRED, NO_CODE, NO_TRIES_LEFT, PROVED_CONTROL, TOO_SOON
from shared.contracts import identity
from shared.contracts.errors import Conflict, InvalidRequest, TooManyRequests
from shared.testing.fake_notify import RecordingNotify
from identity_builders import NOW, make_account, make_profile

TOKENS = TokenSigner("k" * 40, timedelta(hours=12))
DANA = "person-guardian-1"  # dana.rivera@example.org, +14155552671, joined


@pytest.fixture
def notify():
    return RecordingNotify()


@pytest.fixture(autouse=True)
def dana(repo):
    repo.accounts[DANA] = make_account(status="active", joined_at=NOW)


def send(kind, value, *, repo, notify, clock, region="US"):
    request = identity.send_credential_code.load_request(
        {"viewer": make_principal(person_id=DANA), "kind": kind, "value": value, "region": region})
    return handlers_credentials.send_credential_code(request, repo=repo, tokens=TOKENS, notify=notify, clock=clock)


def confirm(kind, code, *, repo, notify, publish, clock):
    request = identity.confirm_credential.load_request({"viewer": make_principal(person_id=DANA), "kind": kind, "code": code})
    return handlers_credentials.confirm_credential(request, repo=repo, tokens=TOKENS, notify=notify,
                                                   publish=publish, clock=clock)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_new_email_becomes_the_credential_once_its_code_is_typed(repo, publish, clock, notify):
    sent = send("email", " Dana.New@Example.org ", repo=repo, notify=notify, clock=clock)

    [delivery] = notify.codes_sent
    assert sent == {"kind": "email", "address": "dana.new@example.org", "expires_at": NOW + timedelta(minutes=10),
                    "tries": 5}
    assert (delivery["address"], delivery["person_id"], delivery["district_id"]) == (
        "dana.new@example.org", DANA, "district-1")
    assert len(delivery["code"]) == 6 and delivery["code"].isdigit()
    assert repo.verifications[(DANA, "email")].code_hash != delivery["code"]
    assert repo.accounts[DANA].profile.email == "dana.rivera@example.org"

    account = confirm("email", delivery["code"], repo=repo, notify=notify, publish=publish, clock=clock)

    assert account["email"] == "dana.new@example.org"
    assert [(c["kind"], c["value"]) for c in account["credentials"]] == [
        ("email", "dana.new@example.org"), ("mobile_phone", "+14155552671")]
    [(event, payload)] = publish.published
    assert event == "accounts_upserted.v1" and payload["accounts"][0]["email"] == "dana.new@example.org"
    [edit] = repo.edits
    assert (edit.changed_by, edit.previous["email"], edit.current["email"]) == (
        DANA, "dana.rivera@example.org", "dana.new@example.org")
    assert repo.verifications == {}


def test_a_code_serves_once(repo, publish, clock, notify):
    send("mobile_phone", "(415) 555-0199", repo=repo, notify=notify, clock=clock)
    code = notify.last_code("+14155550199")
    confirm("mobile_phone", code, repo=repo, notify=notify, publish=publish, clock=clock)

    with pytest.raises(InvalidRequest) as refused:
        confirm("mobile_phone", code, repo=repo, notify=notify, publish=publish, clock=clock)

    assert refused.value.fields == {"code": [NO_CODE]}


def test_a_code_expires_after_ten_minutes_and_nothing_changes(repo, publish, clock, notify):
    send("email", "dana.new@example.org", repo=repo, notify=notify, clock=clock)
    clock.now += timedelta(minutes=10)

    with pytest.raises(InvalidRequest) as refused:
        confirm("email", notify.last_code("dana.new@example.org"), repo=repo, notify=notify, publish=publish,
                clock=clock)

    assert refused.value.fields == {"code": [CODE_EXPIRED]}
    assert repo.accounts[DANA].profile.email == "dana.rivera@example.org" and publish.published == []


def test_five_wrong_tries_use_the_code_up_even_for_the_right_code(repo, publish, clock, notify):
    send("email", "dana.new@example.org", repo=repo, notify=notify, clock=clock)
    code = notify.last_code("dana.new@example.org")
    reasons = []
    for _ in range(5):
        with pytest.raises(InvalidRequest) as refused:
            confirm("email", wrong(code), repo=repo, notify=notify, publish=publish, clock=clock)
        reasons.append(refused.value.fields["code"][0])

    with pytest.raises(TooManyRequests) as too_many:
        confirm("email", code, repo=repo, notify=notify, publish=publish, clock=clock)

    assert reasons[0].endswith("4 tries left") and reasons[3].endswith("1 try left")
    assert "last try" in reasons[4]
    assert too_many.value.fields == {"code": [NO_TRIES_LEFT]}
    assert repo.accounts[DANA].profile.email == "dana.rivera@example.org" and publish.published == []


def test_a_new_code_replaces_the_old_one_but_not_within_thirty_seconds(repo, clock, notify):
    send("email", "dana.new@example.org", repo=repo, notify=notify, clock=clock)
    with pytest.raises(TooManyRequests, match=TOO_SOON):
        send("email", "dana.new@example.org", repo=repo, notify=notify, clock=clock)
    clock.now += timedelta(seconds=30)

    send("email", "dana.other@example.org", repo=repo, notify=notify, clock=clock)

    assert len(notify.codes_sent) == 2
    assert repo.verifications[(DANA, "email")].address == "dana.other@example.org"


@pytest.mark.parametrize("kind, value", [("email", "not-an-email"), ("email", "dana@"),
                                         ("mobile_phone", "12"), ("mobile_phone", "call me maybe")])
def test_a_malformed_email_or_phone_is_refused_and_nothing_is_sent(kind, value, repo, clock, notify):
    with pytest.raises(InvalidRequest) as refused:
        send(kind, value, repo=repo, notify=notify, clock=clock)

    assert list(refused.value.fields) == ["value"]
    assert notify.codes_sent == [] and repo.verifications == {}


def test_a_credential_of_another_joined_account_is_refused_without_naming_it(repo, clock, notify, publish):
    repo.accounts["owner"] = make_account(person_id="owner", status="active", joined_at=NOW,
                                          profile=make_profile(email="owner@example.org", mobile_phone=None))

    with pytest.raises(Conflict) as refused:
        send("email", "owner@example.org", repo=repo, notify=notify, clock=clock)

    assert refused.value.message == identity.CREDENTIAL_OF_JOINED_ACCOUNT
    assert refused.value.fields == {"value": ["owner@example.org already belongs to another account that has joined"]}
    assert notify.codes_sent == []


def test_a_credential_its_owner_joined_with_meanwhile_is_refused_at_confirmation(repo, clock, notify, publish):
    repo.accounts["owner"] = make_account(person_id="owner", profile=make_profile(email="shared@example.org"))
    send("email", "shared@example.org", repo=repo, notify=notify, clock=clock)
    repo.accounts["owner"] = make_account(person_id="owner", status="active", joined_at=NOW,
                                          profile=make_profile(email="shared@example.org"))

    with pytest.raises(Conflict):
        confirm("email", notify.last_code("shared@example.org"), repo=repo, notify=notify, publish=publish,
                clock=clock)

    assert repo.accounts[DANA].profile.email == "dana.rivera@example.org"


def test_a_credential_shared_with_an_account_nobody_joined_is_fine(repo, clock, notify, publish):
    repo.accounts["spouse"] = make_account(person_id="spouse", profile=make_profile(email="family@example.org"))
    send("email", "family@example.org", repo=repo, notify=notify, clock=clock)

    account = confirm("email", notify.last_code("family@example.org"), repo=repo, notify=notify, publish=publish,
                      clock=clock)

    assert account["credentials"][0] == {"kind": "email", "value": "family@example.org", "shared": True}


def test_proving_control_of_a_bad_credential_resets_its_status_as_the_person(repo, clock, notify, publish):
    notify.bad.add(("email", "dana.rivera@example.org"))
    send("email", "dana.rivera@example.org", repo=repo, notify=notify, clock=clock)

    confirm("email", notify.last_code("dana.rivera@example.org"), repo=repo, notify=notify, publish=publish,
            clock=clock)

    assert notify.resets == [{"person_id": DANA, "kind": "email", "reset_by": DANA, "reason": PROVED_CONTROL}]
    assert publish.published == [] and repo.edits == []


def test_proving_control_of_a_good_credential_resets_nothing(repo, clock, notify, publish):
    send("email", "dana.rivera@example.org", repo=repo, notify=notify, clock=clock)

    confirm("email", notify.last_code("dana.rivera@example.org"), repo=repo, notify=notify, publish=publish,
            clock=clock)

    assert notify.resets == [] and repo.verifications == {}


def remove(kind, *, repo, publish, clock):
    return handlers_credentials.remove_credential({"viewer": make_principal(person_id=DANA), "kind": kind}, repo=repo, publish=publish,
                                                  clock=clock)


def test_a_credential_is_removed_while_another_remains(repo, publish, clock):
    account = remove("mobile_phone", repo=repo, publish=publish, clock=clock)

    assert account["mobile_phone"] is None and account["email"] == "dana.rivera@example.org"
    assert publish.published[0][1]["accounts"][0]["mobile_phone"] is None
    assert repo.edits[0].changed_by == DANA


def test_the_last_credential_stays(repo, publish, clock):
    remove("mobile_phone", repo=repo, publish=publish, clock=clock)
    publish.published.clear()

    with pytest.raises(InvalidRequest, match="only credential") as refused:
        remove("email", repo=repo, publish=publish, clock=clock)
    with pytest.raises(InvalidRequest, match="no mobile phone"):
        remove("mobile_phone", repo=repo, publish=publish, clock=clock)

    assert list(refused.value.fields) == ["kind"]
    assert repo.accounts[DANA].profile.email == "dana.rivera@example.org" and publish.published == []


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", "12 345"])
def test_a_code_is_six_digits(code):
    with pytest.raises(InvalidRequest):
        identity.confirm_credential.load_request({"viewer": make_principal(person_id=DANA), "kind": "email", "code": code})


def test_a_student_neither_types_nor_removes_a_mobile_phone_but_may_change_their_email(repo, clock, notify,
                                                                                      publish):
    repo.accounts[DANA] = make_account(status="active", joined_at=NOW,
                                       profile=make_profile(roles=(RoleGrant(identity.STUDENT, ("school-1",)),)))
    repo.record_student_enablements([DANA], enabled_by="admin-1", now=NOW)

    with pytest.raises(InvalidRequest, match="only from the school's information system") as typed:
        send("mobile_phone", "415 555 0199", repo=repo, notify=notify, clock=clock)
    with pytest.raises(InvalidRequest, match="only from the school's information system"):
        remove("mobile_phone", repo=repo, publish=publish, clock=clock)
    send("email", "ada@example.org", repo=repo, notify=notify, clock=clock)

    assert list(typed.value.fields) == ["kind"]
    assert [sent["address"] for sent in notify.codes_sent] == ["ada@example.org"]
    assert repo.accounts[DANA].profile.mobile_phone == "+14155552671"


def test_a_code_notify_refuses_is_not_kept_so_a_new_one_can_be_asked_at_once(repo, clock, notify):
    notify.refusing = "no provider can reach this address"

    with pytest.raises(InvalidRequest):
        send("email", "dana.new@example.org", repo=repo, notify=notify, clock=clock)

    assert repo.verifications == {}

"""Invitations to join: what is issued to whom, what is stored of it, and the rules of the code."""
from dataclasses import replace
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.identity import handlers_joining
from services.identity.adapters.tokens import TokenSigner
from services.identity.domain.accounts import DISABLED, RoleGrant
from services.identity.domain.join_tokens import (
    CODE_ALPHABET,
    CODE_LENGTH,
    INVITATION_EXPIRED,
    INVITATION_USED,
    canonical_code,
    new_invitation,
    readable_code,
)
from shared.contracts import identity
from identity_builders import NOW, make_account, make_profile

TOKENS = TokenSigner("k" * 40, timedelta(hours=12))
STUDENT = (RoleGrant(identity.STUDENT, ("school-1",)),)


def issue(*person_ids, repo, publish, clock, issued_by="admin-1"):
    request = identity.issue_join_tokens.load_request({"person_ids": list(person_ids), "issued_by": issued_by})
    response = handlers_joining.issue_join_tokens(request, repo=repo, tokens=TOKENS, publish=publish, clock=clock)
    return {result["person_id"]: result for result in identity.issue_join_tokens.dump_response(response)["results"]}


def test_an_invitee_gets_a_token_and_a_code_that_expire_in_ten_days_and_are_stored_only_hashed(repo, publish,
                                                                                                 clock):
    repo.accounts["guardian-1"] = make_account(person_id="guardian-1")

    result = issue("guardian-1", repo=repo, publish=publish, clock=clock)["guardian-1"]

    assert result["outcome"] == "issued"
    assert result["expires_at"] == (NOW + timedelta(days=identity.JOIN_TOKEN_DAYS)).isoformat()
    stored = repo.join_tokens["guardian-1"]
    assert stored.token_hash == TOKENS.digest(result["token"])
    assert stored.code_hash == TOKENS.digest(canonical_code(result["join_code"]))
    assert result["token"] not in (stored.token_hash, stored.code_hash)
    assert (stored.issued_by, stored.issued_at, stored.used_at) == ("admin-1", NOW, None)
    assert publish.published == [("join_tokens_issued.v1", {"person_ids": ["guardian-1"],
                                                         "issued_at": NOW.isoformat()})]


def test_a_resend_replaces_the_previous_invitation(repo, publish, clock):
    repo.accounts["guardian-1"] = make_account(person_id="guardian-1")
    first = issue("guardian-1", repo=repo, publish=publish, clock=clock)["guardian-1"]
    clock.now += timedelta(days=3)

    second = issue("guardian-1", repo=repo, publish=publish, clock=clock)["guardian-1"]

    assert second["token"] != first["token"] and second["join_code"] != first["join_code"]
    assert repo.join_token(token_hash=TOKENS.digest(first["token"])) is None
    assert repo.join_token(token_hash=TOKENS.digest(second["token"])).expires_at == clock.now + timedelta(days=10)


def test_nobody_who_should_not_be_invited_gets_a_token_and_each_says_why(repo, publish, clock):
    accounts = [
        make_account(person_id="joined", status="active", joined_at=NOW),
        make_account(person_id="archived", archived=True),
        make_account(person_id="disabled", status=DISABLED),
        make_account(person_id="student", profile=make_profile(roles=STUDENT)),
        make_account(person_id="student-user", profile=make_profile(roles=STUDENT)),
    ]
    repo.accounts.update((account.person_id, account) for account in accounts)
    repo.record_student_enablements(["student-user"], enabled_by="admin-1", now=NOW)
    repo.record_archivals(["archived"], [], NOW)

    results = issue("joined", "archived", "disabled", "student", "student-user", "nobody",
                    repo=repo, publish=publish, clock=clock)

    assert {person_id: result["outcome"] for person_id, result in results.items()} == {
        "joined": "joined", "archived": "archived", "disabled": "disabled", "student": "not_enabled",
        "student-user": "issued", "nobody": "not_found"}
    assert all(result["reason"] and result["token"] is None and result["join_code"] is None
               for person_id, result in results.items() if person_id != "student-user")
    assert set(repo.join_tokens) == {"student-user"}
    assert publish.published[0][1]["person_ids"] == ["student-user"]


def test_a_page_where_nobody_may_be_invited_publishes_nothing(repo, publish, clock):
    assert issue("nobody", repo=repo, publish=publish, clock=clock)["nobody"]["outcome"] == "not_found"

    assert publish.published == [] and repo.join_tokens == {}


def test_a_person_named_twice_gets_one_invitation(repo, publish, clock):
    repo.accounts["guardian-1"] = make_account(person_id="guardian-1")

    results = issue("guardian-1", "guardian-1", repo=repo, publish=publish, clock=clock)

    assert list(results) == ["guardian-1"]
    assert publish.published[0][1]["person_ids"] == ["guardian-1"]


def test_an_invitation_serves_until_it_expires_or_is_used():
    stored = new_invitation("guardian-1", issued_by="admin-1", now=NOW, digest=TOKENS.digest).stored
    expiry = NOW + timedelta(days=identity.JOIN_TOKEN_DAYS)

    assert stored.refusal_at(expiry - timedelta(seconds=1)) is None
    assert stored.refusal_at(expiry) == INVITATION_EXPIRED
    assert replace(stored, used_at=NOW).refusal_at(NOW) == INVITATION_USED


def test_a_code_is_twelve_unambiguous_symbols_printed_in_groups_of_four():
    invitation = new_invitation("guardian-1", issued_by="admin-1", now=NOW, digest=TOKENS.digest)

    groups = invitation.join_code.split("-")
    assert [len(group) for group in groups] == [4, 4, 4]
    assert set("".join(groups)) <= set(CODE_ALPHABET)
    assert not set("ILOU") & set(CODE_ALPHABET)


@given(st.text(alphabet=CODE_ALPHABET, min_size=CODE_LENGTH, max_size=CODE_LENGTH),
       st.sampled_from([str.lower, str.upper]), st.sampled_from(["-", " ", ""]))
def test_a_code_typed_in_any_case_and_grouping_reads_as_printed(code, case, separator):
    typed = case(readable_code(code).replace("-", separator))

    assert canonical_code(typed) == code


def test_letters_that_look_like_digits_read_as_the_digits():
    assert canonical_code("o1il-0000-0000") == "0111" + "0" * 8


def test_a_secret_is_stored_as_a_hash_keyed_with_the_service_secret():
    other_key = TokenSigner("o" * 40, timedelta(hours=12))

    assert TOKENS.digest("7K3MQX2P9RTD") == TOKENS.digest("7K3MQX2P9RTD")
    assert TOKENS.digest("7K3MQX2P9RTD") != other_key.digest("7K3MQX2P9RTD")
    assert "7K3MQX2P9RTD" not in TOKENS.digest("7K3MQX2P9RTD")

"""Who may call what over RPC (shared/callers.py): credentials identity signs, read back by every service,
and the one rule every RPC method admits its caller by."""
import base64
import hashlib
import hmac
import json
import threading
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from shared.callers import (
    CLOCK_LEEWAY, KEY_REFRESH_SECONDS, SERVICE, USER, ActingAsItself, Caller, CallerCheck, RemoteSigningKeys, key_id,
    VerifiedCredentials, principal_fields, public_key_pem, read_credential, refusal, sign_credential,
)
from shared.contracts import directory, identity, notify, rostering
from shared.contracts.callers import (
    ACCOUNTS_MANAGE, ACTING_PERSON_FIELDS, ANNOUNCEMENTS_SEND, CREDENTIAL_CONTEXT_KEY, DIRECTORY_READ,
    PLATFORM_SERVICE_CONTEXT_KEY, ROSTERING_MANAGE, SCOPES, get_signing_keys, issue_service_token, method_name, platform_scope,
)
from shared.contracts.errors import NotAuthenticated, PermissionDenied
from shared.testing.principals import make_principal

NOW = datetime(2026, 12, 5, 8, 0, 0, tzinfo=timezone.utc)
IDENTITY_KEY = Ed25519PrivateKey.generate()
ADMIN = make_principal(person_id="admin-1", roles=[{"role": identity.DISTRICT_ADMIN, "school_ids": []}])
SERVICE_PRINCIPAL = make_principal(person_id="service:lunch-alerts-1", display_name="lunch-alerts",
                                   roles=[{"role": identity.DISTRICT_ADMIN, "school_ids": []}])


def identity_keys(kid: str):
    return {key_id(IDENTITY_KEY.public_key()): IDENTITY_KEY.public_key()}.get(kid)


def assertion_of(principal=ADMIN, *, key=IDENTITY_KEY, now=NOW, ttl=timedelta(minutes=5)) -> str:
    return sign_credential(key, kind=USER, principal=principal, now=now, ttl=ttl)[0]


def user(principal=ADMIN) -> Caller:
    return Caller(kind=USER, principal=principal)


def service(*scopes: str, principal=SERVICE_PRINCIPAL) -> Caller:
    return Caller(kind=SERVICE, principal=principal, scopes=frozenset(scopes))


def search_as(viewer: dict) -> dict:
    return {"viewer": viewer, "query": "rivera"}


# --- credentials -------------------------------------------------------------------------------------------

def test_an_assertion_identity_signed_reads_back_as_the_person_it_names():
    caller = read_credential(assertion_of(), identity_keys, NOW + timedelta(minutes=4))

    assert caller == Caller(kind=USER, principal=ADMIN)
    assert jwt.get_unverified_header(assertion_of())["alg"] == "EdDSA"


def test_a_service_token_reads_back_with_its_scopes():
    token, expires_at = sign_credential(IDENTITY_KEY, kind=SERVICE, principal=SERVICE_PRINCIPAL,
                                        scopes=frozenset({DIRECTORY_READ}), now=NOW, ttl=timedelta(minutes=15))

    caller = read_credential(token, identity_keys, NOW)

    assert caller.is_service and caller.scopes == {DIRECTORY_READ}
    assert expires_at == NOW + timedelta(minutes=15)


def test_a_credential_issued_later_than_the_clock_leeway_allows_is_refused():
    with pytest.raises(NotAuthenticated):
        read_credential(assertion_of(now=NOW + CLOCK_LEEWAY + timedelta(seconds=1)), identity_keys, NOW)


def test_a_credential_is_refused_once_it_expires_past_the_clock_leeway():
    token = assertion_of(ttl=timedelta(minutes=5))

    read_credential(token, identity_keys, NOW + timedelta(minutes=5) + CLOCK_LEEWAY - timedelta(seconds=1))
    with pytest.raises(NotAuthenticated) as refused:
        read_credential(token, identity_keys, NOW + timedelta(minutes=5) + CLOCK_LEEWAY)
    assert refused.value.fields == {"platform_credential": ["expired"]}


def test_a_credential_verified_once_is_not_verified_again_but_still_expires():
    verified, keys_asked = VerifiedCredentials(), []

    def counting_keys(kid: str):
        keys_asked.append(kid)
        return identity_keys(kid)

    token = assertion_of(ttl=timedelta(minutes=5))
    for minutes in (0, 1, 4):
        assert verified.read(token, counting_keys, NOW + timedelta(minutes=minutes)) == user()
    assert len(keys_asked) == 1
    with pytest.raises(NotAuthenticated) as refused:
        verified.read(token, counting_keys, NOW + timedelta(minutes=5) + CLOCK_LEEWAY)
    assert refused.value.fields == {"platform_credential": ["expired"]}
    with pytest.raises(NotAuthenticated):
        verified.read(assertion_of(now=NOW + CLOCK_LEEWAY + timedelta(seconds=1)), counting_keys, NOW)


def test_a_forged_credential_is_refused_every_time_and_never_kept():
    verified = VerifiedCredentials(size=2)
    forged = assertion_of(key=Ed25519PrivateKey.generate())

    for _ in range(2):
        with pytest.raises(NotAuthenticated):
            verified.read(forged, identity_keys, NOW)
    tokens = [assertion_of(principal=make_principal(person_id=f"admin-{n}")) for n in range(3)]
    for token in tokens:
        verified.read(token, identity_keys, NOW)
    assert list(verified._kept) == tokens[1:]


def test_a_credential_signed_by_any_other_key_is_refused():
    forger = Ed25519PrivateKey.generate()
    own_kid = jwt.encode({"iss": "identity", "aud": "school-platform", "sub": "admin-1", "kind": USER,
                          "principal": ADMIN, "iat": int(NOW.timestamp()),
                          "exp": int((NOW + timedelta(minutes=5)).timestamp())},
                         forger, algorithm="EdDSA", headers={"kid": key_id(IDENTITY_KEY.public_key())})

    for forged in (assertion_of(key=forger), own_kid):
        with pytest.raises(NotAuthenticated):
            read_credential(forged, identity_keys, NOW)


def test_a_token_maced_with_identitys_public_key_is_refused():
    """The algorithm confusion attack: HS256 keyed with identity's public key, which anyone may fetch."""
    claims = {"iss": "identity", "aud": "school-platform", "sub": "admin-1", "kind": USER, "principal": ADMIN,
              "iat": int(NOW.timestamp()), "exp": int((NOW + timedelta(minutes=5)).timestamp())}
    token = _hs256(claims, public_key_pem(IDENTITY_KEY.public_key()).encode())

    with pytest.raises(NotAuthenticated):
        read_credential(token, identity_keys, NOW)


def _hs256(claims: dict, secret: bytes) -> str:
    def part(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()

    header = part(json.dumps({"alg": "HS256", "typ": "JWT", "kid": key_id(IDENTITY_KEY.public_key())}).encode())
    body = part(json.dumps(claims).encode())
    signature = part(hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest())
    return f"{header}.{body}.{signature}"


@pytest.mark.parametrize("garbage", ["", "not-a-jwt", "a.b.c", assertion_of()[:-4] + "AAAA"])
def test_malformed_and_tampered_credentials_are_refused(garbage):
    with pytest.raises(NotAuthenticated):
        read_credential(garbage, identity_keys, NOW)


def test_a_credential_whose_subject_is_not_its_principal_is_refused():
    claims = {"iss": "identity", "aud": "school-platform", "sub": "someone-else", "kind": USER, "principal": ADMIN,
              "iat": int(NOW.timestamp()), "exp": int((NOW + timedelta(minutes=5)).timestamp())}
    token = jwt.encode(claims, IDENTITY_KEY, algorithm="EdDSA", headers={"kid": key_id(IDENTITY_KEY.public_key())})

    with pytest.raises(NotAuthenticated):
        read_credential(token, identity_keys, NOW)


# --- the rule ----------------------------------------------------------------------------------------------

def test_the_fields_that_name_the_caller_are_found_in_the_request_schemas():
    assert principal_fields(directory.search_people.request) == ("viewer",)
    assert principal_fields(notify.send_announcement.request) == ("sender",)
    assert principal_fields(directory.get_schools.request) == ()


def test_signing_in_and_getting_credentials_need_no_credential():
    for method in (identity.login, identity.authenticate, issue_service_token, get_signing_keys):
        assert refusal(method, {}, None) is None


def test_a_payload_naming_a_principal_without_any_credential_is_not_authenticated():
    problem = refusal(directory.search_people, search_as(ADMIN), None)

    assert isinstance(problem, NotAuthenticated)
    assert problem.fields == {"viewer": ["is not vouched for by any credential"]}


def test_a_persons_assertion_admits_payloads_naming_that_person():
    assert refusal(directory.search_people, search_as(ADMIN), user(ADMIN)) is None


@given(field=st.sampled_from(["person_id", "district_id", "display_name", "status", "roles", "permissions"]))
def test_a_payload_naming_anyone_but_the_asserted_person_is_refused(field):
    other_values = {"person_id": "admin-2", "district_id": "district-2", "display_name": "Someone Else",
                    "status": "disabled", "roles": [{"role": identity.TEACHER, "school_ids": ["school-1"]}],
                    "permissions": [identity.PERMISSIONS_ADMIN]}
    impostor = {**ADMIN, field: other_values[field]}

    problem = refusal(directory.search_people, search_as(impostor), user(ADMIN))

    assert isinstance(problem, PermissionDenied)
    assert problem.fields == {"viewer": ["is not the principal of the caller's credential"]}


def test_a_service_token_calls_the_methods_of_its_scopes_as_itself():
    assert refusal(directory.search_people, search_as(SERVICE_PRINCIPAL), service(DIRECTORY_READ)) is None
    assert refusal(directory.get_schools, {"district_id": "district-1"}, service(DIRECTORY_READ)) is None


def test_a_service_token_is_refused_a_method_outside_its_scopes():
    problem = refusal(directory.search_people, search_as(SERVICE_PRINCIPAL), service(ANNOUNCEMENTS_SEND))

    assert isinstance(problem, PermissionDenied)
    assert "directory.search_people" in problem.message
    assert problem.fields == {"scopes": ["announcements:send granted"]}
    assert isinstance(refusal(identity.get_accounts, {"person_ids": []}, service(DIRECTORY_READ)), PermissionDenied)


def test_announcements_scope_covers_the_audience_notify_resolves_for_the_sender():
    sending = service(ANNOUNCEMENTS_SEND)

    assert refusal(notify.send_announcement, {"sender": SERVICE_PRINCIPAL}, sending) is None
    assert refusal(directory.resolve_audience, {"viewer": SERVICE_PRINCIPAL}, sending) is None


def test_a_service_token_cannot_speak_for_a_person():
    problem = refusal(notify.send_announcement, {"sender": ADMIN}, service(ANNOUNCEMENTS_SEND))

    assert isinstance(problem, PermissionDenied) and set(problem.fields) == {"sender"}


def test_setting_a_password_takes_an_operators_service_credential():
    request = {"login": "admin@example.org", "password": "long enough"}

    assert isinstance(refusal(identity.set_password, request, None), NotAuthenticated)
    assert isinstance(refusal(identity.set_password, request, user(ADMIN)), PermissionDenied)
    assert isinstance(refusal(identity.set_password, request, service(DIRECTORY_READ)), PermissionDenied)
    assert refusal(identity.set_password, request, service(ACCOUNTS_MANAGE)) is None


def test_a_call_without_any_credential_is_refused_unless_the_method_is_public():
    assert isinstance(refusal(directory.get_schools, {"district_id": "district-1"}, None), NotAuthenticated)
    assert isinstance(refusal(identity.issue_join_tokens, {"person_ids": ["p1"], "issued_by": "admin-1"}, None),
                      NotAuthenticated)
    assert refusal(identity.join, {"token": "t", "password": "p"}, None) is None


def test_a_person_calls_what_names_them_and_what_is_harmless_but_nothing_else():
    assert refusal(directory.get_schools, {"district_id": "district-1"}, user(ADMIN)) is None
    assert refusal(directory.search_people, search_as(ADMIN), user(ADMIN)) is None
    for method, request in ((identity.get_accounts, {"person_ids": ["p1"]}),
                            (directory.upsert_people, {"district_id": "district-1", "people": []}),
                            (identity.issue_join_tokens, {"person_ids": ["p1"], "issued_by": "admin-1"})):
        assert isinstance(refusal(method, request, user(ADMIN)), PermissionDenied), method.name


def platform(service_name: str) -> Caller:
    return service(platform_scope(service_name), principal=make_principal(
        person_id=f"service:platform:{service_name}", roles=[]))


def test_a_platform_service_calls_the_methods_it_needs_and_no_others():
    tokens = {"person_ids": ["p1"], "issued_by": "admin-1"}

    assert refusal(identity.issue_join_tokens, tokens, None, lambda: platform(notify.NAME)) is None
    assert isinstance(refusal(identity.issue_join_tokens, tokens, None, lambda: platform(rostering.NAME)),
                      PermissionDenied)
    assert refusal(directory.upsert_people, {"district_id": "d", "people": []}, None,
                   lambda: platform(rostering.NAME)) is None


def test_a_platform_service_cannot_name_a_person_without_that_persons_credential():
    problem = refusal(directory.resolve_audience, {"viewer": ADMIN}, None, lambda: platform(notify.NAME))

    assert isinstance(problem, NotAuthenticated) and "viewer" in problem.fields


def test_the_platform_service_is_read_only_when_the_caller_alone_does_not_admit_the_call():
    def never():
        raise AssertionError("the platform token was read")

    assert refusal(directory.search_people, search_as(ADMIN), user(ADMIN), never) is None


def test_a_persons_assertion_is_no_platform_service():
    check = CallerCheck(None, identity_keys, enforce=True, clock=lambda: NOW, platform_token=assertion_of())

    with pytest.raises(NotAuthenticated):
        check.admit(identity.get_accounts, {"person_ids": ["p1"]})


def test_a_platform_token_in_the_context_admits_its_methods():
    principal = make_principal(person_id="service:platform:directory", roles=[])
    token = sign_credential(IDENTITY_KEY, kind=SERVICE, principal=principal,
                            scopes=frozenset({platform_scope(directory.NAME)}), now=NOW, ttl=timedelta(minutes=15))[0]
    check = CallerCheck(None, identity_keys, enforce=True, clock=lambda: NOW, platform_token=token)

    check.admit(identity.get_accounts, {"person_ids": ["p1"]})
    with pytest.raises(PermissionDenied):
        check.admit(identity.issue_join_tokens, {"person_ids": ["p1"], "issued_by": "admin-1"})


# --- nameko wiring -----------------------------------------------------------------------------------------

def test_a_worker_reads_its_credential_once_and_admits_through_the_rule():
    check = CallerCheck(assertion_of(), identity_keys, enforce=True, clock=lambda: NOW)

    check.admit(directory.search_people, search_as(ADMIN))
    with pytest.raises(PermissionDenied):
        check.admit(directory.search_people, search_as({**ADMIN, "person_id": "admin-2"}))
    with pytest.raises(NotAuthenticated):
        anonymous = CallerCheck(None, identity_keys, enforce=True, clock=lambda: NOW)
        anonymous.admit(directory.search_people, search_as(ADMIN))


def test_a_forged_credential_is_refused_even_where_no_credential_is_needed():
    check = CallerCheck("forged", identity_keys, enforce=True, clock=lambda: NOW)

    with pytest.raises(NotAuthenticated):
        check.admit(directory.get_schools, {"district_id": "district-1"})


def test_a_service_told_not_to_verify_admits_everything():
    CallerCheck(None, identity_keys, enforce=False).admit(directory.search_people, search_as(ADMIN))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_identitys_keys_are_fetched_once_and_again_only_for_an_unknown_key_and_not_too_often():
    fetched = []
    clock = Clock()
    rows = [{"kid": key_id(IDENTITY_KEY.public_key()), "algorithm": "EdDSA",
             "public_key": public_key_pem(IDENTITY_KEY.public_key())}]
    keys = RemoteSigningKeys(monotonic=clock)
    kid = rows[0]["kid"]

    def fetch():
        fetched.append(clock.now)
        return rows

    assert keys.public_key_of(kid, fetch) is not None
    assert keys.public_key_of(kid, fetch) is not None
    assert keys.public_key_of("made-up", fetch) is None  # within the refresh interval: not asked again
    clock.now += KEY_REFRESH_SECONDS
    assert keys.public_key_of("made-up", fetch) is None

    assert fetched == [100.0, 100.0 + KEY_REFRESH_SECONDS]


def test_calls_arriving_while_identitys_keys_are_fetched_wait_for_them_instead_of_being_refused():
    rows = [{"kid": key_id(IDENTITY_KEY.public_key()), "algorithm": "EdDSA",
             "public_key": public_key_pem(IDENTITY_KEY.public_key())}]
    keys = RemoteSigningKeys(monotonic=Clock())
    in_flight, answer = threading.Event(), threading.Event()
    found = []

    def slow_fetch():
        in_flight.set()
        answer.wait(5)
        return rows

    first = threading.Thread(target=lambda: found.append(keys.public_key_of(rows[0]["kid"], slow_fetch)))
    first.start()
    in_flight.wait(5)
    second = threading.Thread(target=lambda: found.append(keys.public_key_of(rows[0]["kid"], slow_fetch)))
    second.start()
    answer.set()
    first.join(5)
    second.join(5)

    assert len(found) == 2 and all(key is not None for key in found)


# --- a payload naming who acts by id (`changed_by`, `decided_by`, ...: ACTING_PERSON_FIELDS) -----------------

ACTING = [(method, field, {**payload, field: "admin-1"}) for method, field, payload in (
    (identity.set_staff_permissions, "changed_by", {"person_id": "teacher-1", "permissions": []}),
    (identity.grant_roles, "changed_by", {"person_id": "p-1", "roles": []}),
    (identity.update_contact_details, "changed_by", {"person_id": "p-1"}),
    (identity.set_district_languages, "changed_by", {"district_id": "district-1", "languages": ["en"]}),
    (notify.set_preference, "changed_by", {"person_id": "admin-1", "preference": "app_only"}),
    (notify.set_district_default, "changed_by", {"district_id": "district-1", "default_preference": "sms_app"}),
    (notify.reset_credential_status, "reset_by", {"person_id": "p-1", "kind": "email", "reason": None}),
    (rostering.approve_sync_run, "decided_by", {"run_id": "run-1", "reason": None}),
    (rostering.reject_sync_run, "decided_by", {"run_id": "run-1", "reason": None}),
    (rostering.update_district_sync_settings, "changed_by", {"district_id": "district-1"}),
    (rostering.connect_district, "changed_by", {"source_id": "district-1", "name": "Lincoln Unified"}),
    (rostering.import_package, "requested_by", {"path": "p.zip"}),
    (rostering.preview_import, "requested_by", {"path": "p.zip"}),
    (rostering.sync_district, "requested_by", {"district": "lincoln"}),
)]


def test_every_acting_person_field_is_declared_once_and_is_a_field_of_its_request():
    assert {method_name(method): field for method, field, _ in ACTING} == dict(ACTING_PERSON_FIELDS)
    for method, field, _ in ACTING:
        assert field in method.request().fields


@pytest.mark.parametrize(("method", "field", "request_"), ACTING, ids=[f"{m.name}.{f}" for m, f, _ in ACTING])
def test_the_person_a_payload_says_acts_must_be_the_person_the_assertion_vouches_for(method, field, request_):
    assert refusal(method, request_, user(ADMIN)) is None

    forged = refusal(method, {**request_, field: "someone-else"}, user(ADMIN))
    assert isinstance(forged, PermissionDenied)
    assert forged.fields == {field: ["is not the person of the caller's credential"]}

    anonymous = refusal(method, request_, None)
    assert isinstance(anonymous, NotAuthenticated)
    assert anonymous.fields == {field: ["is not vouched for by any credential"]}


def test_a_forged_changed_by_with_another_persons_assertion_is_refused_by_the_worker():
    teacher = make_principal(person_id="teacher-1")
    check = CallerCheck(assertion_of(teacher), identity_keys, enforce=True, clock=lambda: NOW)
    request = {"person_id": "teacher-1", "permissions": [identity.PERMISSIONS_ADMIN], "changed_by": "admin-1"}

    with pytest.raises(PermissionDenied) as refused:
        check.admit(identity.set_staff_permissions, request)
    assert refused.value.fields == {"changed_by": ["is not the person of the caller's credential"]}
    with pytest.raises(NotAuthenticated):
        CallerCheck(None, identity_keys, enforce=True, clock=lambda: NOW).admit(identity.set_staff_permissions,
                                                                                 request)


def test_an_operators_service_token_decides_as_itself_only():
    operator = service(ROSTERING_MANAGE)
    decision = {"run_id": "run-1", "reason": None}

    assert refusal(rostering.approve_sync_run, {**decision, "decided_by": "service:lunch-alerts-1"}, operator) is None
    refused = refusal(rostering.approve_sync_run, {**decision, "decided_by": "Rita"}, operator)
    assert isinstance(refused, PermissionDenied) and set(refused.fields) == {"decided_by"}
    assert isinstance(refusal(rostering.approve_sync_run, {**decision, "decided_by": "service:lunch-alerts-1"},
                              service(ACCOUNTS_MANAGE)), PermissionDenied)


def test_a_service_token_cannot_act_as_a_person_by_id():
    request = {"person_id": "teacher-1", "permissions": [], "changed_by": SERVICE_PRINCIPAL["person_id"]}

    assert isinstance(refusal(identity.set_staff_permissions, request, service(*SCOPES)), PermissionDenied)


def test_an_import_takes_an_operators_credential():
    """`schoolctl roster import` acts as the operator (scope rostering:manage)."""
    request = {"path": "p.zip", "requested_by": None}

    assert isinstance(refusal(rostering.import_package, request, None), NotAuthenticated)
    assert refusal(rostering.import_package, request, service(ROSTERING_MANAGE)) is None


def test_background_work_acting_as_itself_passes_on_no_callers_credential_only_its_own_token():
    """A sync run outlives the operator's 15-minute token: its calls must be admitted on rostering's own token,
    which an expired caller credential beside it would spoil (a credential that no longer reads is refused)."""

    class Worker:
        data = {CREDENTIAL_CONTEXT_KEY: "operator-token", PLATFORM_SERVICE_CONTEXT_KEY: "rostering-token",
                "call_id_stack": ["rostering.on_district_sync_requested.1"]}

    worker = Worker()
    ActingAsItself().get_dependency(worker)()
    assert worker.data == {PLATFORM_SERVICE_CONTEXT_KEY: "rostering-token",
                           "call_id_stack": ["rostering.on_district_sync_requested.1"]}
    ActingAsItself().get_dependency(worker)()  # nothing to drop the second time
    assert CREDENTIAL_CONTEXT_KEY not in worker.data

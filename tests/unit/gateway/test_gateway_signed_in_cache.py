"""The gateway keeps identity's answer for an access token a couple of seconds, for reads only, and forgets
every kept answer after a write: a session ended through it is refused at once."""
from datetime import datetime, timedelta, timezone
from unittest.mock import Mock

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.gateway.api import ApiCall, Backends, Route
from services.gateway.domain.signed_in import ASSERTION_MARGIN, SignedInCache
from services.gateway.pipeline import answer
from services.gateway.session_handlers import refresh_session
from services.gateway.sign_in_settings import SignInConfigurationError, signed_in_cache
from shared.contracts.errors import NotAuthenticated

from gateway_builders import make_principal

NOW = datetime(2026, 12, 5, 8, 0, tzinfo=timezone.utc)


class Clocks:
    def __init__(self) -> None:
        self.elapsed = 0.0

    def monotonic(self) -> float:
        return self.elapsed

    def wall(self) -> datetime:
        return NOW + timedelta(seconds=self.elapsed)


def signed_in(person_id: str = "teacher-1", expires_in: timedelta = timedelta(minutes=5)) -> dict:
    return {"principal": make_principal(person_id=person_id), "assertion": f"assertion-of-{person_id}",
            "expires_at": (NOW + expires_in).isoformat()}


def cache(seconds: float = 2.0, clocks: Clocks | None = None, **options) -> tuple[SignedInCache, Clocks]:
    clocks = clocks or Clocks()
    return SignedInCache(seconds, monotonic=clocks.monotonic, wall_clock=clocks.wall, **options), clocks


def test_an_answer_is_kept_for_its_seconds_then_asked_for_again():
    kept, clocks = cache(2.0)
    kept.keep("token-a", signed_in())

    clocks.elapsed = 1.9
    assert kept.answer_for("token-a") == signed_in()
    assert kept.answer_for("token-b") is None
    clocks.elapsed = 2.0
    assert kept.answer_for("token-a") is None


def test_an_answer_is_never_kept_past_its_assertion_less_a_margin():
    kept, clocks = cache(10.0)
    kept.keep("nearly-expired", signed_in(expires_in=ASSERTION_MARGIN + timedelta(seconds=1)))
    kept.keep("expired", signed_in(expires_in=ASSERTION_MARGIN))

    assert kept.answer_for("expired") is None
    clocks.elapsed = 0.9
    assert kept.answer_for("nearly-expired") is not None
    clocks.elapsed = 1.0
    assert kept.answer_for("nearly-expired") is None


def test_zero_seconds_keeps_nothing_and_forgetting_drops_everyone():
    never, _ = cache(0)
    never.keep("token-a", signed_in())
    assert never.answer_for("token-a") is None

    kept, _ = cache(2.0)
    kept.keep("token-a", signed_in("a"))
    kept.keep("token-b", signed_in("b"))
    kept.forget_everyone()
    assert (kept.answer_for("token-a"), kept.answer_for("token-b"), len(kept)) == (None, None, 0)


def test_a_full_cache_drops_stale_answers_first_and_never_grows_past_its_bound():
    kept, clocks = cache(2.0, max_tokens=2)
    kept.keep("old", signed_in("old"))
    clocks.elapsed = 1.5
    kept.keep("recent", signed_in("recent"))
    clocks.elapsed = 2.5
    kept.keep("new", signed_in("new"))  # "old" is stale and makes room
    assert (kept.answer_for("recent") is not None, kept.answer_for("new") is not None) == (True, True)

    kept.keep("newest", signed_in("newest"))  # nothing stale: everything is dropped
    assert len(kept) == 1 and kept.answer_for("newest") is not None


def test_tokens_are_kept_by_digest_never_as_presented():
    kept, _ = cache(2.0)
    kept.keep("secret-access-token", signed_in())
    assert "secret-access-token" not in repr(kept._kept)


@pytest.mark.parametrize("setting", ["-1", "11", "soon", "nan"])
def test_an_unusable_cache_setting_stops_the_gateway_naming_it(setting):
    with pytest.raises(SignInConfigurationError, match="GATEWAY_SIGNED_IN_CACHE_SECONDS"):
        signed_in_cache({"GATEWAY_SIGNED_IN_CACHE_SECONDS": setting})


def test_the_cache_setting_defaults_to_two_seconds_and_zero_turns_it_off():
    assert (signed_in_cache({}).seconds, signed_in_cache({"GATEWAY_SIGNED_IN_CACHE_SECONDS": "0"}).seconds) == (2, 0)


# --- in the pipeline ------------------------------------------------------------------------------------

def route(method: str, **overrides) -> Route:
    options = {"name": f"{method.lower()}_me", "method": method, "rule": "/api/v1/me", "summary": "Me",
               "tag": "me", "handler": lambda call, backends: {}, "response": None}
    return Route(**{**options, **overrides})


def call(backends: Backends, method: str, token: str = "access-token", **route_options) -> int:
    request = Request(EnvironBuilder(method=method, path="/api/v1/me",
                                     headers={"Authorization": f"Bearer {token}"}).get_environ())
    return answer(route(method, **route_options), request, {}, backends, deadline=5).status_code


def backends() -> Backends:
    identity = Mock(name="identity")
    identity.issue_assertion.side_effect = lambda request: {
        **signed_in(), "expires_at": (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat()}
    return Backends(identity=identity, directory=Mock(name="directory"), present_credential=Mock(),
                    signed_in=SignedInCache(2.0))


def test_reads_within_the_seconds_ask_identity_once_and_each_presents_the_assertion():
    services = backends()

    assert [call(services, "GET") for _ in range(3)] == [200, 200, 200]

    services.identity.issue_assertion.assert_called_once_with({"token": "access-token"})
    assert services.present_credential.call_count == 3


def test_a_write_always_asks_identity_and_the_next_read_asks_again():
    services = backends()
    call(services, "GET")

    call(services, "POST")
    call(services, "GET")

    assert services.identity.issue_assertion.call_count == 3


def test_a_failed_write_forgets_too():
    services = backends()
    call(services, "GET")

    def refused(call, backends):
        raise RuntimeError("identity ended the session half way")

    assert call(services, "POST", handler=refused) == 500
    call(services, "GET")
    assert services.identity.issue_assertion.call_count == 3


def test_a_refresh_forgets_every_kept_answer_whether_identity_renews_or_ends_the_session():
    services = backends()
    call(services, "GET")
    services.identity.refresh_session.side_effect = NotAuthenticated("this refresh token was used before")

    with pytest.raises(NotAuthenticated):
        refresh_session(ApiCall(principal=None, body={"refresh_token": "used-twice"}), services)

    assert len(services.signed_in) == 0

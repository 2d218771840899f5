"""Signing in and what follows: renewing the tokens, signing out, changing the password.

Sign-ins and password changes check a password, so they go through the
throttle of failed attempts (domain/throttling.py): refused with 429 before
identity is asked once a login, a person or a client address failed too often.
"""
from __future__ import annotations

from services.gateway.api import ApiCall, Backends
from services.gateway.domain.throttling import login_key, person_key
from shared.contracts.errors import PermissionDenied


def log_in(call: ApiCall, backends: Backends) -> dict:
    with backends.login_attempts.attempt(login_key(call.body["login"]), call.client_address):
        return backends.identity.login(dict(call.body))


def refresh_session(call: ApiCall, backends: Backends) -> dict:
    try:
        return backends.identity.refresh_session(dict(call.body))
    finally:
        # A refresh token used twice ends its whole session: no answer kept for its access tokens outlives it.
        backends.signed_in.forget_everyone()


def sign_out(call: ApiCall, backends: Backends) -> dict:
    return backends.identity.sign_out({"token": call.token})


def sign_out_everywhere(call: ApiCall, backends: Backends) -> dict:
    return backends.identity.sign_out_everywhere({"token": call.token})


def change_password(call: ApiCall, backends: Backends) -> dict:
    # identity answers a wrong current password with PermissionDenied: a guess like a failed sign-in.
    with backends.login_attempts.attempt(person_key(call.principal["person_id"]), call.client_address,
                                         failure=PermissionDenied):
        return backends.identity.change_password({**call.body, "token": call.token})

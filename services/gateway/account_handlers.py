"""Joining and each person's own account settings: identity answers; the person is always the caller
(from the token), never someone named in the body or path."""
from __future__ import annotations

from services.gateway.api import ApiCall, Backends
from services.gateway.domain.communications import district_of
from services.gateway.domain.profiles import account_of


def join(call: ApiCall, backends: Backends) -> dict:
    return backends.identity.join(dict(call.body))


def check_join_invitation(call: ApiCall, backends: Backends) -> dict:
    return backends.identity.check_join_invitation(dict(call.body))


def show_district_languages(call: ApiCall, backends: Backends) -> dict:
    return backends.identity.get_district_languages({"district_id": district_of(call.principal)})


def set_district_languages(call: ApiCall, backends: Backends) -> dict:
    return backends.identity.set_district_languages({"district_id": district_of(call.principal),
                                                     "languages": call.body["languages"],
                                                     "default_language": call.body["default_language"],
                                                     "changed_by": call.principal["person_id"]})


def show_my_credentials(call: ApiCall, backends: Backends) -> dict:
    person_id = call.principal["person_id"]
    account = account_of(backends.identity.get_accounts({"person_ids": [person_id]})["accounts"], person_id)
    return {"credentials": account["credentials"] if account else []}


def set_my_language(call: ApiCall, backends: Backends) -> dict:
    return backends.identity.set_language({**call.body, "viewer": call.principal})


def send_my_credential_code(call: ApiCall, backends: Backends) -> dict:
    return backends.identity.send_credential_code(_mine(call))


def confirm_my_credential(call: ApiCall, backends: Backends) -> dict:
    return backends.identity.confirm_credential(_mine(call))


def remove_my_credential(call: ApiCall, backends: Backends) -> dict:
    return backends.identity.remove_credential(_mine(call))


def _mine(call: ApiCall) -> dict:
    """The body, for the caller's credential of the path's kind."""
    return {**call.body, "viewer": call.principal, "kind": call.path["kind"]}

"""The identity half of a manual action: who holds the credentials typed, new accounts, role grants.

Order of writes (why a failure part way leaves nothing a retry cannot finish): the directory checks
everything it can first and generates the new person's id; identity is written next, keyed by that
person id (upsert_accounts and grant_roles are idempotent); the directory writes last, in one
transaction with its audit entries. A directory write that fails leaves at most an account no
directory person names yet: a retry with the same credentials finds it (match_credentials, an account
of the district holding every credential) and the directory adopts it under its id instead of making
another. A new account with no credential cannot be found that way, and cannot sign in either.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from shared.contracts import identity
from shared.contracts.errors import Conflict, InvalidRequest, NotFound

from services.directory.domain.credential_match import REFUSE, Decision, Holder, decide, may_only_share

CREDENTIAL_KINDS = ("email", "mobile_phone")
EXISTING_PERSON_ID = "existing_person_id"


class IdentityRpc(Protocol):
    """The identity RPCs the directory's manual actions call (a ServiceRpc proxy as a worker sees it)."""

    def match_credentials(self, request: Mapping) -> dict: ...
    def upsert_accounts(self, request: Mapping) -> dict: ...
    def grant_roles(self, request: Mapping) -> dict: ...
    def update_contact_details(self, request: Mapping) -> dict: ...
    def get_accounts(self, request: Mapping) -> dict: ...


def typed_credentials(values: Mapping[str, Any]) -> dict[str, str]:
    return {kind: values[kind] for kind in CREDENTIAL_KINDS if values.get(kind)}


def match(identity_rpc: IdentityRpc, typed: Mapping[str, str], *, region: str, district_id: str,
          prefix: str, link_allowed: bool = True) -> tuple[dict[str, str | None], Decision]:
    """The typed credentials normalised, and what to do with them (domain.credential_match).
    `link_allowed` false: the person is always new (a student), refused only by a joined account."""
    request = {"region": region, **{kind: typed.get(kind) for kind in CREDENTIAL_KINDS}}
    try:
        matches = identity_rpc.match_credentials(request)
    except InvalidRequest as invalid:
        raise InvalidRequest(invalid.message, fields=_prefixed(invalid.fields, prefix)) from None
    holders = [Holder(h["person_id"], frozenset(h["holds"]), h["joined"], h["district_id"] == district_id)
               for h in matches["holders"]]
    given = [kind for kind in CREDENTIAL_KINDS if matches[kind] is not None]
    decision = decide(given, holders) if link_allowed else may_only_share(given, holders)
    normalised = {kind: matches[kind] for kind in CREDENTIAL_KINDS}
    if decision.outcome == REFUSE:
        raise refusal(decision, normalised, prefix)
    return normalised, decision


def refusal(decision: Decision, normalised: Mapping[str, str | None], prefix: str) -> Conflict:
    fields = {f"{prefix}.{kind}": [f"{normalised[kind]} {decision.reason}"] for kind in decision.refused_kinds}
    if decision.existing_person_ids:
        fields[EXISTING_PERSON_ID] = list(decision.existing_person_ids)
    return Conflict(decision.message or identity.CREDENTIAL_OF_JOINED_ACCOUNT, fields=fields)


def create_account(identity_rpc: IdentityRpc, *, person_id: str, district_id: str, names: Mapping[str, Any],
                   credentials: Mapping[str, str | None], roles: Sequence[Mapping], region: str, prefix: str) -> None:
    """A new invitee account made by hand (not managed by a sync), idempotent by person id."""
    account = {"person_id": person_id, "given_name": names["given_name"], "family_name": names["family_name"],
               **{kind: credentials.get(kind) for kind in CREDENTIAL_KINDS}, "roles": list(roles),
               "managed_by_sync": False}
    [result] = identity_rpc.upsert_accounts({"district_id": district_id, "region": region,
                                             "accounts": [account]})["results"]
    problems = {f"{prefix}.{p['field']}": [p["reason"]] for p in result["problems"]}
    if problems:
        # The match found no joined holder a moment ago; one joined since. Nothing was given to anyone.
        raise Conflict(identity.CREDENTIAL_OF_JOINED_ACCOUNT, fields=problems)


def grant(identity_rpc: IdentityRpc, person_id: str, roles: Sequence[Mapping], changed_by: str) -> None:
    """Roles granted by hand, kept through later syncs. A person without an account (a record the directory
    holds alone) has nothing to sign in with, so nothing to grant."""
    try:
        identity_rpc.grant_roles({"person_id": person_id, "roles": list(roles), "changed_by": changed_by})
    except NotFound:
        pass


def account_of(identity_rpc: IdentityRpc, person_id: str) -> dict | None:
    accounts = identity_rpc.get_accounts({"person_ids": [person_id]})["accounts"]
    return next((account for account in accounts if account["person_id"] == person_id), None)


def role(name: str, school_ids: Sequence[str] = ()) -> dict:
    return {"role": name, "school_ids": sorted(school_ids)}


def _prefixed(fields: Mapping[str, Any], prefix: str) -> dict:
    return {f"{prefix}.{name}" if name in CREDENTIAL_KINDS else name: reasons for name, reasons in fields.items()}

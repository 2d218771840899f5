"""A stand-in for notify where identity calls it (verification codes, credential health and Reset Status) and
rostering sends a notices folder's announcements.

`RecordingNotify` is the collaborator for handler tests; `fake_notify_service(recorder)` is a nameko
service named `notify` that serves those methods through it, for tests on a real broker.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timezone

from nameko.extensions import DependencyProvider

from shared.callers import CallerVerification
from shared.contracts.callers import CREDENTIAL_CONTEXT_KEY
from shared.contracts import notify
from shared.contracts.errors import InvalidRequest
from shared.messaging import rpc_endpoint


@dataclass
class RecordingNotify:
    """Records what it is asked; `bad` holds the (kind, address) pairs notify would have marked bad, and
    `refusing` (when set) is the reason it refuses every code it is asked to send."""

    codes_sent: list[dict] = field(default_factory=list)
    announcements: list[tuple[dict, str | None]] = field(default_factory=list)  # (request, credential it came with)
    resets: list[dict] = field(default_factory=list)
    bad: set[tuple[str, str]] = field(default_factory=set)
    refusing: str | None = None
    _ids: itertools.count = field(default_factory=itertools.count)

    def last_code(self, address: str) -> str:
        return next(sent["code"] for sent in reversed(self.codes_sent) if sent["address"] == address)

    def send_verification_code(self, payload: dict) -> dict:
        if self.refusing is not None:
            raise InvalidRequest(self.refusing, fields={"address": [self.refusing]})
        self.codes_sent.append(dict(payload))
        channel = "email" if payload["kind"] == "email" else "sms"
        return {"delivery_id": f"delivery-{next(self._ids)}", "channel": channel}

    def send_announcement(self, payload: dict, credential: str | None = None) -> dict:
        self.announcements.append((dict(payload), credential))
        return {"communication_id": f"communication-{next(self._ids)}", "state": "planning",
                "created_at": datetime.now(timezone.utc), "recipient_count": 1, "refused": []}

    def get_credential_health(self, payload: dict) -> dict:
        return {"credentials": [
            {"person_id": person_id, "kind": kind, "address": address, "state": "bad", "reason": "hard bounce",
             "last_status": "bounced", "updated_at": None}
            for person_id in payload["person_ids"] for kind, address in sorted(self.bad)]}

    def reset_credential_status(self, payload: dict) -> dict:
        kind = payload["kind"]
        address = next((address for bad_kind, address in self.bad if bad_kind == kind), None)
        if address is None:
            raise InvalidRequest("Reset Status does not apply: not marked bad.", fields={"kind": ["not bad"]})
        self.bad.discard((kind, address))
        self.resets.append(dict(payload))
        return {**payload, "address": address, "previous_state": "bad", "previous_reason": "hard bounce",
                "state": "good", "reset_at": datetime.now(timezone.utc)}


class CredentialToken(DependencyProvider):
    """The credential the call came with (what a caller presented), for tests to check."""

    def get_dependency(self, worker_ctx) -> str | None:
        return worker_ctx.data.get(CREDENTIAL_CONTEXT_KEY)


def fake_notify_service(recorder: RecordingNotify, *, verify_callers: bool = False) -> type:
    """A nameko service class named like notify, answering through `recorder`; `verify_callers`: admitting each
    call through shared/callers.py as notify does (when the config's VERIFY_CALLERS is on)."""

    class FakeNotify:
        name = notify.NAME
        credential_token = CredentialToken()
        if verify_callers:
            callers = CallerVerification()

        @rpc_endpoint(notify.send_verification_code)
        def send_verification_code(self, request):
            return recorder.send_verification_code(request)

        @rpc_endpoint(notify.send_announcement)
        def send_announcement(self, request):
            return recorder.send_announcement(request, self.credential_token)

        @rpc_endpoint(notify.get_credential_health)
        def get_credential_health(self, request):
            return recorder.get_credential_health(request)

        @rpc_endpoint(notify.reset_credential_status)
        def reset_credential_status(self, request):
            return recorder.reset_credential_status(request)

    return FakeNotify

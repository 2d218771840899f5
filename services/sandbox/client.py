"""A small client for the sandbox's own endpoints, for tests, benchmarks and `schoolctl`."""
from __future__ import annotations

import requests


class SandboxError(RuntimeError):
    """The sandbox refused a control request; the message carries its answer."""


class SandboxClient:
    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._session = requests.Session()

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> SandboxClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: object) -> requests.Response:
        response = self._session.request(method, self.base_url + path, timeout=self._timeout, **kwargs)
        if response.status_code >= 400:
            raise SandboxError(f"{method} {path}: {response.status_code} {response.text}")
        return response

    @staticmethod
    def _filters(channel: str | None, to: str | None, status: str | None) -> dict[str, str]:
        return {name: value for name, value in (("channel", channel), ("to", to), ("status", status)) if value}

    def health(self) -> bool:
        return self._call("GET", "/sandbox/health").json()["status"] == "ok"

    def messages(self, channel: str | None = None, to: str | None = None, status: str | None = None,
                 *, offset: int = 0, limit: int | None = None) -> list[dict]:
        params: dict[str, object] = {**self._filters(channel, to, status), "offset": offset}
        if limit is not None:
            params["limit"] = limit
        return self._call("GET", "/sandbox/messages", params=params).json()["messages"]

    def count(self, channel: str | None = None, to: str | None = None, status: str | None = None) -> int:
        return self._call("GET", "/sandbox/messages/count", params=self._filters(channel, to, status)).json()["count"]

    def clear_messages(self) -> None:
        self._call("DELETE", "/sandbox/messages")

    def add_rule(self, address: str, kind: str, *, times: int | None = None, code: int | None = None) -> dict:
        """kind: hard_bounce, block, spam_report, landline, stop_reply, transient, undeliverable."""
        payload: dict[str, object] = {"address": address, "kind": kind}
        if times is not None:
            payload["times"] = times
        if code is not None:
            payload["code"] = code
        return self._call("POST", "/sandbox/rules", json=payload).json()["rule"]

    def rules(self) -> list[dict]:
        return self._call("GET", "/sandbox/rules").json()["rules"]

    def send_inbound_sms(self, from_: str, to: str | None, body: str) -> str:
        """A text from a handset to our number (to=None: the number that last texted it); its MessageSid."""
        payload = {"from": from_, "body": body, **({"to": to} if to else {})}
        return self._call("POST", "/sandbox/inbound-sms", json=payload).json()["message_sid"]

    def send_inbound_email(self, from_: str, to: str, text: str, *, html: str = "",
                           message_id: str | None = None) -> str:
        """An email reply to one of our addresses, posted as Inbound Parse posts it; its Message-ID."""
        payload = {"from": from_, "to": to, "text": text, "html": html,
                   **({"message_id": message_id} if message_id else {})}
        return self._call("POST", "/sandbox/inbound-email", json=payload).json()["message_id"]

    def configure(self, *, sendgrid_events_url: str | None = None, twilio_inbound_url: str | None = None) -> dict:
        """Point webhooks somewhere else at run time; "" switches one off."""
        payload = {name: value for name, value in (("sendgrid_events_url", sendgrid_events_url),
                                                   ("twilio_inbound_url", twilio_inbound_url)) if value is not None}
        return self._call("POST", "/sandbox/config", json=payload).json()

    def pushes(self, to: str | None = None) -> list[dict]:
        """Pushes FCM was asked to send, oldest first; `to` a registration token."""
        return self._call("GET", "/sandbox/pushes", params={"to": to} if to else {}).json()["pushes"]

    def set_push_token_fate(self, token: str, fate: str, *, times: int | None = None) -> dict:
        """fate: unregistered (404, stale), invalid_argument (400 naming the token) or unavailable (503)."""
        payload: dict[str, object] = {"token": token, "fate": fate, **({"times": times} if times else {})}
        return self._call("POST", "/sandbox/push/tokens", json=payload).json()

    def reset(self) -> None:
        """Forget messages, request counts, rules, opt-outs and suppressions (the config stays)."""
        self._call("POST", "/sandbox/reset")

    def stats(self) -> dict:
        return self._call("GET", "/sandbox/stats").json()

    def sendgrid_public_key(self) -> str:
        """Base64 DER, the form SendGrid's settings page shows (EventWebhook(public_key=...))."""
        return self._call("GET", "/sandbox/sendgrid/public-key").json()["public_key"]

    def set_provider_latency(self, seconds: float) -> dict:
        """Each Twilio create and SendGrid send answers `seconds` late (0: at once again)."""
        return self._call("POST", "/sandbox/latency", json={"seconds": seconds}).json()

    def set_translator(self, *, fail: bool = False, status: int | None = None, delay_seconds: float = 0.0) -> dict:
        """Make the fake DeepL fail (with `status`, default 503) or answer late; all defaults: work again."""
        payload: dict[str, object] = {"fail": fail, "delay_seconds": delay_seconds}
        if status is not None:
            payload["status"] = status
        return self._call("POST", "/sandbox/translator", json=payload).json()

    def translator(self) -> dict:
        """The fake DeepL's behaviour, its request count and every text it translated."""
        return self._call("GET", "/sandbox/translator").json()

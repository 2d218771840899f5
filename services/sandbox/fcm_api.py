"""Firebase Cloud Messaging's HTTP v1 send and Google's OAuth2 token endpoint, answered as they answer.

    POST /oauth2/token                              a service account's signed JWT -> a bearer access token
    POST /v1/projects/{project}/messages:send       one message to one registration token, with that bearer

The token endpoint checks the assertion's signature when the sandbox knows the
service account (FCM_CREDENTIALS_JSON, as `make run` gives both sides), and
its scope always. A send records one push per token (channel `push`). What a
token answers is set per token (POST /sandbox/push/tokens {token, fate, times?}):
`unregistered` (404 UNREGISTERED, the app was uninstalled), `invalid_argument`
(400 about message.token) or `unavailable` (503, temporary); the rest are accepted.
"""
from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Mapping
from urllib.parse import parse_qsl

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from services.sandbox.recording import MessageLog
from services.sandbox.state import ApiAnswer, json_answer

TOKEN_PATH = "/oauth2/token"
SEND_PATH = re.compile(r"^/v1/projects/(?P<project>[^/]+)/messages:send$")
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
FATES = ("unregistered", "invalid_argument", "unavailable")
TOKEN_LIFETIME_SECONDS = 3600


def _error(status: int, grpc_status: str, message: str, error_code: str | None = None,
           token_violation: bool = False) -> ApiAnswer:
    details: list[dict] = [{"@type": FCM_ERROR, "errorCode": error_code}] if error_code else []
    if token_violation:
        details.append({"@type": BAD_REQUEST, "fieldViolations": [
            {"field": "message.token", "description": "Invalid registration token"}]})
    return json_answer(status, {"error": {"code": status, "message": message, "status": grpc_status,
                                          "details": details}})


_FATE_ANSWERS = {
    "unregistered": lambda: _error(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED"),
    "invalid_argument": lambda: _error(400, "INVALID_ARGUMENT", "The registration token is not a valid FCM "
                                       "registration token", "INVALID_ARGUMENT", token_violation=True),
    "unavailable": lambda: _error(503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE"),
}


class FcmSandbox:
    def __init__(self, log: MessageLog, service_account_json: str | None) -> None:
        self._log = log
        self._public_key = _public_key(service_account_json)
        self._lock = threading.Lock()
        self._access_tokens: set[str] = set()
        self._fates: dict[str, tuple[str, int | None]] = {}  # token -> (fate, sends left or None: always)

    def issue_token(self, body: bytes) -> ApiAnswer:
        form = dict(parse_qsl(body.decode("utf-8", "replace")))
        if form.get("grant_type") != JWT_BEARER or not form.get("assertion"):
            return json_answer(400, {"error": "unsupported_grant_type",
                                     "error_description": f"grant_type must be {JWT_BEARER} with an assertion"})
        try:
            claims = jwt.decode(form["assertion"], self._public_key, algorithms=["RS256"],
                                options={"verify_signature": self._public_key is not None, "verify_aud": False})
        except jwt.PyJWTError as error:
            return json_answer(400, {"error": "invalid_grant", "error_description": f"Invalid JWT: {error}"})
        if FCM_SCOPE not in str(claims.get("scope", "")).split():
            return json_answer(400, {"error": "invalid_scope", "error_description": f"{FCM_SCOPE} is required"})
        access_token = "ya29.sandbox-" + secrets.token_urlsafe(24)
        with self._lock:
            self._access_tokens.add(access_token)
        return json_answer(200, {"access_token": access_token, "expires_in": TOKEN_LIFETIME_SECONDS,
                                 "token_type": "Bearer"})

    def send(self, project: str, authorization: str | None, body: bytes) -> ApiAnswer:
        self._log.count_request("fcm_send")
        bearer = (authorization or "").removeprefix("Bearer ").strip()
        with self._lock:
            known = bearer in self._access_tokens
        if not known:
            return _error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.",
                          "THIRD_PARTY_AUTH_ERROR")
        try:
            message = json.loads(body).get("message")
        except (ValueError, AttributeError):
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("token"), str) or not message["token"]:
            return _error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.", "INVALID_ARGUMENT")
        token = message["token"]
        fate = self._fate(token)
        notification = message.get("notification") if isinstance(message.get("notification"), dict) else {}
        name = f"projects/{project}/messages/{secrets.token_hex(8)}"
        self._log.record(channel="push", to=token, from_=project, subject=notification.get("title"),
                         body=notification.get("body") or "", provider_message_id=name,
                         status=fate or "accepted", extra={"data": message.get("data") or {}})
        if fate:
            return _FATE_ANSWERS[fate]()
        return json_answer(200, {"name": name})

    def set_fate(self, raw: bytes) -> ApiAnswer:
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or not isinstance(payload.get("token"), str) or not payload["token"]:
            return json_answer(400, {"error": "expected a JSON object with token, fate and optionally times"})
        fate, times = payload.get("fate"), payload.get("times")
        if fate not in FATES:
            return json_answer(400, {"error": f"fate must be one of {', '.join(FATES)}"})
        if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
            return json_answer(400, {"error": "times must be a positive whole number"})
        with self._lock:
            self._fates[payload["token"]] = (fate, times)
        return json_answer(201, {"token": payload["token"], "fate": fate, "times": times})

    def pushes(self, query: Mapping[str, str]) -> ApiAnswer:
        return json_answer(200, {"pushes": self._log.query(channel="push", to=query.get("to") or None)})

    def reset(self) -> None:
        with self._lock:
            self._fates.clear()

    def _fate(self, token: str) -> str | None:
        with self._lock:
            fate, times = self._fates.get(token, (None, None))
            if fate is not None and times is not None:
                if times <= 1:
                    del self._fates[token]
                else:
                    self._fates[token] = (fate, times - 1)
        return fate


def _public_key(service_account_json: str | None):
    if not service_account_json:
        return None
    private_key = json.loads(service_account_json)["private_key"]
    return load_pem_private_key(private_key.encode(), password=None).public_key()


SANDBOX_PROJECT_ID = "school-sandbox"


def sandbox_service_account(token_url: str, project_id: str = SANDBOX_PROJECT_ID) -> str:
    """A service account key in Google's JSON shape whose token_uri is the sandbox's, with a new RSA key:
    notify signs its token requests with it, and the sandbox checks them with it."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return json.dumps({"type": "service_account", "project_id": project_id,
                       "private_key_id": secrets.token_hex(20), "private_key": pem,
                       "client_email": f"notify@{project_id}.iam.gserviceaccount.com",
                       "client_id": str(secrets.randbelow(10 ** 20)), "token_uri": token_url})

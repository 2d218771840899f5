"""Push through Firebase Cloud Messaging's HTTP v1 API, with google-auth's service-account credentials.

    POST {FCM_API_BASE}/v1/projects/{project}/messages:send   {"message": {"token", "notification", "data"}}

google-auth signs the service account's JWT and trades it at the account's
`token_uri` for an OAuth2 bearer token (scope firebase.messaging), refreshed
before it expires; its AuthorizedSession (a `requests` session) sends with it
and refreshes once on a 401. Pointing both at the sandbox needs nothing but
settings: the credentials' `token_uri` and FCM_API_BASE.

Every answer becomes a PushAnswer (domain.push.fcm_answer): FCM's status, its
FcmError errorCode from `details`, and whether a 400's violation names the token.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import requests
from google.auth.exceptions import GoogleAuthError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account

from services.notify.domain.delivery import Channel
from services.notify.domain.push import PushAnswer, PushNotification, PushOutcome, fcm_answer

FCM_DEFAULT_BASE = "https://fcm.googleapis.com"
FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"


class FcmConfigError(ValueError):
    """The environment names FCM but its credentials cannot be used."""


@dataclass(frozen=True)
class FcmSettings:
    project_id: str
    credentials: dict = field(repr=False)  # the service account's JSON key, as Google issues it
    api_base: str = FCM_DEFAULT_BASE


def fcm_settings(env, value) -> FcmSettings | None:
    """FCM_PROJECT_ID with FCM_CREDENTIALS_FILE (a service account key file) or FCM_CREDENTIALS_JSON (its
    content), and FCM_API_BASE (unset: FCM itself); None when FCM_PROJECT_ID is unset."""
    project_id = value(env, "FCM_PROJECT_ID")
    if project_id is None:
        return None
    path, content = value(env, "FCM_CREDENTIALS_FILE"), value(env, "FCM_CREDENTIALS_JSON")
    if bool(path) == bool(content):
        raise FcmConfigError("FCM_PROJECT_ID needs exactly one of FCM_CREDENTIALS_FILE or FCM_CREDENTIALS_JSON")
    try:
        credentials = json.loads(Path(path).read_text() if path else content)
    except (OSError, ValueError) as error:
        raise FcmConfigError(f"the FCM service account key cannot be read: {error}") from None
    missing = [key for key in ("client_email", "private_key", "token_uri") if not credentials.get(key)]
    if missing:
        raise FcmConfigError(f"the FCM service account key lacks {', '.join(missing)}")
    return FcmSettings(project_id, credentials, value(env, "FCM_API_BASE") or FCM_DEFAULT_BASE)


class FcmPush:
    channel = Channel.PUSH
    max_batch = 1  # one token per request: FCM's v1 API has no batch send

    def __init__(self, settings: FcmSettings, *, timeout_seconds: float = 10.0) -> None:
        credentials = service_account.Credentials.from_service_account_info(settings.credentials,
                                                                            scopes=[FCM_SCOPE])
        self._session = AuthorizedSession(credentials)
        self._url = f"{settings.api_base.rstrip('/')}/v1/projects/{settings.project_id}/messages:send"
        self._timeout = timeout_seconds

    def push(self, token: str, notification: PushNotification) -> PushAnswer:
        message = {"token": token, "notification": {"title": notification.title, "body": notification.body},
                   "data": dict(notification.data)}
        try:
            response = self._session.post(self._url, json={"message": message}, timeout=self._timeout)
        except (requests.RequestException, GoogleAuthError) as error:
            return PushAnswer(PushOutcome.TRANSIENT, "UNREACHABLE", f"FCM unavailable: {error}")
        if response.ok:
            return PushAnswer(PushOutcome.ACCEPTED, message_name=_json(response).get("name"))
        error = _json(response).get("error") or {}
        details = [item for item in error.get("details") or [] if isinstance(item, dict)]
        code = next((item.get("errorCode") for item in details if item.get("@type") == FCM_ERROR_TYPE), None)
        violations = [violation for item in details if item.get("@type") == BAD_REQUEST_TYPE
                      for violation in item.get("fieldViolations") or [] if isinstance(violation, dict)]
        names_token = any(violation.get("field") == "message.token" for violation in violations)
        return fcm_answer(response.status_code, code or error.get("status"), token_field=names_token,
                          message=error.get("message"))

    def close(self) -> None:
        self._session.close()


def _json(response: requests.Response) -> dict:
    try:
        document = response.json()
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}

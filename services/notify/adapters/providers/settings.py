"""Provider settings, read from the environment in one place (secrets live nowhere else).

    TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN      both, or neither (then no SMS or voice channel)
    TWILIO_FROM_NUMBER / TWILIO_MESSAGING_SERVICE_SID   at least one, with Twilio
    TWILIO_API_BASE                            e.g. http://127.0.0.1:8025 for the sandbox; unset: Twilio itself
    SENDGRID_API_KEY, SENDGRID_FROM_EMAIL      both, or neither (then no email channel)
    SENDGRID_FROM_NAME, SENDGRID_API_BASE      optional; SENDGRID_API_BASE unset: SendGrid itself
    SENDGRID_WEBHOOK_PUBLIC_KEY                the Event Webhook verification key (base64 or PEM)
    FCM_PROJECT_ID, FCM_CREDENTIALS_FILE | FCM_CREDENTIALS_JSON, FCM_API_BASE   push (fcm_push.fcm_settings)
    NOTIFY_WEBHOOK_BASE_URL                    public base of notify's webhooks; unset: no status callbacks
    PROVIDER_TIMEOUT_SECONDS                   per HTTP call, default 10
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from services.notify.adapters.providers.fcm_push import FcmSettings, fcm_settings
from shared.settings import value

SENDGRID_DEFAULT_BASE = "https://api.sendgrid.com"


class ProviderConfigError(ValueError):
    """The environment names a provider but leaves out something it needs."""


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str = field(repr=False)
    from_number: str | None = None
    messaging_service_sid: str | None = None
    api_base: str | None = None  # None: https://api.twilio.com, untouched


@dataclass(frozen=True)
class SendGridSettings:
    api_key: str = field(repr=False)
    from_email: str = ""
    from_name: str | None = None
    api_base: str = SENDGRID_DEFAULT_BASE
    webhook_public_key: str | None = None


@dataclass(frozen=True)
class ProviderSettings:
    twilio: TwilioSettings | None = None
    sendgrid: SendGridSettings | None = None
    fcm: FcmSettings | None = None
    webhook_base_url: str | None = None
    timeout_seconds: float = 10.0

    def callback_url(self, path: str, delivery_id: str) -> str | None:
        """A status callback URL that carries the delivery id back, or None without a webhook base."""
        if not self.webhook_base_url:
            return None
        return f"{self.webhook_base_url.rstrip('/')}{path}?delivery_id={quote(delivery_id, safe='')}"


def _value(env: Mapping[str, str] | None, name: str) -> str | None:
    return value(name, env)


def _require_together(env: Mapping[str, str], names: tuple[str, ...]) -> bool:
    """True when all are set, False when none are; anything in between is a mistake worth stopping for."""
    present = [name for name in names if _value(env, name)]
    if present and len(present) != len(names):
        missing = ", ".join(name for name in names if name not in present)
        raise ProviderConfigError(f"{', '.join(present)} set but {missing} missing")
    return bool(present)


def providers_from_env(environ: Mapping[str, str] | None = None) -> ProviderSettings:
    env = environ
    twilio = None
    if _require_together(env, ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")):
        if not (_value(env, "TWILIO_FROM_NUMBER") or _value(env, "TWILIO_MESSAGING_SERVICE_SID")):
            raise ProviderConfigError("Twilio needs TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
        twilio = TwilioSettings(
            account_sid=_value(env, "TWILIO_ACCOUNT_SID"),
            auth_token=_value(env, "TWILIO_AUTH_TOKEN"),
            from_number=_value(env, "TWILIO_FROM_NUMBER"),
            messaging_service_sid=_value(env, "TWILIO_MESSAGING_SERVICE_SID"),
            api_base=_value(env, "TWILIO_API_BASE"),
        )
    sendgrid = None
    if _require_together(env, ("SENDGRID_API_KEY", "SENDGRID_FROM_EMAIL")):
        sendgrid = SendGridSettings(
            api_key=_value(env, "SENDGRID_API_KEY"),
            from_email=_value(env, "SENDGRID_FROM_EMAIL"),
            from_name=_value(env, "SENDGRID_FROM_NAME"),
            api_base=_value(env, "SENDGRID_API_BASE"),
            webhook_public_key=_value(env, "SENDGRID_WEBHOOK_PUBLIC_KEY"),
        )
    try:
        timeout = float(_value(env, "PROVIDER_TIMEOUT_SECONDS"))
    except ValueError:
        raise ProviderConfigError("PROVIDER_TIMEOUT_SECONDS must be a number of seconds") from None
    if timeout <= 0:
        raise ProviderConfigError("PROVIDER_TIMEOUT_SECONDS must be positive")
    return ProviderSettings(twilio=twilio, sendgrid=sendgrid, fcm=fcm_settings(env, _value),
                            webhook_base_url=_value(env, "NOTIFY_WEBHOOK_BASE_URL"), timeout_seconds=timeout)

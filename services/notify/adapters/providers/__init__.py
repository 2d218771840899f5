"""notify's provider channels (ProviderChannel in domain/delivery.py) on the real twilio and sendgrid SDKs.

    settings = providers_from_env()           # the composition root reads the environment once
    channels = provider_channels(settings)    # {Channel.EMAIL: SendGridEmail, Channel.SMS: ..., Channel.VOICE: ...}
    receipts = channels[Channel.SMS].send(messages)
"""
from __future__ import annotations

from services.notify.adapters.providers.fcm_push import FcmPush
from services.notify.adapters.providers.sendgrid_email import SendGridEmail
from services.notify.adapters.providers.settings import (
    ProviderConfigError,
    ProviderSettings,
    SendGridSettings,
    TwilioSettings,
    providers_from_env,
)
from services.notify.adapters.providers.twilio_channels import TwilioSms, TwilioVoice, say_twiml
from services.notify.domain.delivery import Channel, ProviderChannel

__all__ = [
    "FcmPush", "ProviderConfigError", "ProviderSettings", "SendGridEmail", "SendGridSettings", "TwilioSettings", "TwilioSms",
    "TwilioVoice", "provider_channels", "providers_from_env", "say_twiml",
]


def provider_channels(settings: ProviderSettings) -> dict[Channel, ProviderChannel]:
    """A channel for each configured provider; voice only when there is a number to call from."""
    channels: dict[Channel, ProviderChannel] = {}
    if settings.sendgrid is not None:
        channels[Channel.EMAIL] = SendGridEmail(settings)
    if settings.twilio is not None:
        channels[Channel.SMS] = TwilioSms(settings)
        if settings.twilio.from_number:
            channels[Channel.VOICE] = TwilioVoice(settings)
    if settings.fcm is not None:
        channels[Channel.PUSH] = FcmPush(settings.fcm, timeout_seconds=settings.timeout_seconds)
    return channels

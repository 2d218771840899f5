"""providers_from_env: the one place provider settings and secrets come from (no I/O; lives here by ownership)."""
from __future__ import annotations

import pytest

from services.notify.adapters.providers import ProviderConfigError, provider_channels, providers_from_env
from services.notify.adapters.webhooks import TWILIO_STATUS_PATH
from services.notify.domain.delivery import Channel

FULL_ENV = {
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "twilio-secret",
    "TWILIO_FROM_NUMBER": "+15005550006",
    "TWILIO_API_BASE": "http://127.0.0.1:8025",
    "SENDGRID_API_KEY": "SG.sendgrid-secret",
    "SENDGRID_FROM_EMAIL": "office@lincoln.example.org",
    "SENDGRID_FROM_NAME": "Lincoln Elementary",
    "SENDGRID_API_BASE": "http://127.0.0.1:8025",
    "SENDGRID_WEBHOOK_PUBLIC_KEY": "MFkw...",
    "NOTIFY_WEBHOOK_BASE_URL": "https://notify.lincoln.example.org/",
    "PROVIDER_TIMEOUT_SECONDS": "2.5",
}


def test_a_full_environment_configures_both_providers_and_callbacks():
    settings = providers_from_env(FULL_ENV)

    assert settings.twilio.api_base == "http://127.0.0.1:8025"
    assert settings.sendgrid.from_name == "Lincoln Elementary"
    assert settings.sendgrid.webhook_public_key == "MFkw..."
    assert settings.timeout_seconds == 2.5
    assert settings.callback_url(TWILIO_STATUS_PATH, "d 1/2") == (
        "https://notify.lincoln.example.org/webhooks/twilio/status?delivery_id=d%201%2F2")


def test_secrets_never_appear_in_the_settings_repr():
    text = repr(providers_from_env(FULL_ENV))

    assert "twilio-secret" not in text and "sendgrid-secret" not in text


def test_an_empty_environment_configures_no_provider_and_no_callbacks():
    settings = providers_from_env({})

    assert (settings.twilio, settings.sendgrid, settings.webhook_base_url) == (None, None, None)
    assert settings.callback_url(TWILIO_STATUS_PATH, "d-1") is None
    assert provider_channels(settings) == {}


def test_unset_api_bases_mean_the_real_providers():
    env = {k: v for k, v in FULL_ENV.items() if not k.endswith("_API_BASE")}

    settings = providers_from_env(env)

    assert settings.twilio.api_base is None
    assert settings.sendgrid.api_base == "https://api.sendgrid.com"


@pytest.mark.parametrize("missing, complaint", [
    ("TWILIO_AUTH_TOKEN", "TWILIO_AUTH_TOKEN missing"),
    ("SENDGRID_FROM_EMAIL", "SENDGRID_FROM_EMAIL missing"),
])
def test_half_a_provider_is_a_configuration_error_naming_what_is_missing(missing, complaint):
    with pytest.raises(ProviderConfigError, match=complaint):
        providers_from_env({k: v for k, v in FULL_ENV.items() if k != missing})


def test_twilio_without_any_sender_is_a_configuration_error():
    with pytest.raises(ProviderConfigError, match="TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID"):
        providers_from_env({k: v for k, v in FULL_ENV.items() if k != "TWILIO_FROM_NUMBER"})


@pytest.mark.parametrize("value", ["soon", "0", "-1"])
def test_a_timeout_that_is_not_a_positive_number_is_refused(value):
    with pytest.raises(ProviderConfigError, match="PROVIDER_TIMEOUT_SECONDS"):
        providers_from_env({**FULL_ENV, "PROVIDER_TIMEOUT_SECONDS": value})


def test_a_messaging_service_alone_gives_sms_but_no_voice():
    env = {**{k: v for k, v in FULL_ENV.items() if k != "TWILIO_FROM_NUMBER"},
           "TWILIO_MESSAGING_SERVICE_SID": "MG" + "2" * 32}

    channels = provider_channels(providers_from_env(env))

    assert set(channels) == {Channel.EMAIL, Channel.SMS}

"""The sandbox's settings: command line over environment over local defaults."""
from __future__ import annotations

import pytest

from services.sandbox.config import DEFAULT_ACCOUNT_SID, config_from


def test_defaults_serve_on_8025_with_fake_local_credentials():
    config = config_from([], {})

    assert (config.host, config.port, config.twilio_account_sid) == ("127.0.0.1", 8025, DEFAULT_ACCOUNT_SID)
    assert config.sendgrid_events_url is None and config.sendgrid_signing_key_pem is None


def test_the_environment_supplies_credentials_and_webhook_targets():
    config = config_from([], {
        "SANDBOX_LISTEN": "127.0.0.1:9100", "TWILIO_ACCOUNT_SID": "AC" + "9" * 32, "TWILIO_AUTH_TOKEN": "tok",
        "SENDGRID_API_KEY": "SG.k", "SANDBOX_SENDGRID_EVENTS_URL": "http://127.0.0.1:8000/e",
        "SANDBOX_TWILIO_INBOUND_URL": "http://127.0.0.1:8000/i"})

    assert (config.port, config.twilio_auth_token, config.sendgrid_api_key) == (9100, "tok", "SG.k")
    assert (config.sendgrid_events_url, config.twilio_inbound_url) == ("http://127.0.0.1:8000/e",
                                                                       "http://127.0.0.1:8000/i")


def test_the_command_line_wins_over_the_environment():
    config = config_from(["--listen", "127.0.0.1:0", "--sendgrid-events-url", "http://127.0.0.1:1/x"],
                         {"SANDBOX_LISTEN": "127.0.0.1:9100", "SANDBOX_SENDGRID_EVENTS_URL": "http://127.0.0.1:2/y"})

    assert (config.port, config.sendgrid_events_url) == (0, "http://127.0.0.1:1/x")


def test_secrets_stay_out_of_the_repr():
    assert "tok" not in repr(config_from([], {"TWILIO_AUTH_TOKEN": "tok"}))


def test_a_listen_address_without_a_port_is_refused():
    with pytest.raises(SystemExit):
        config_from(["--listen", "localhost"], {})

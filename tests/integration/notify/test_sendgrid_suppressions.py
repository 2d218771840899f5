"""Reset Status's side at the email provider, on the real sendgrid SDK against the sandbox's suppression API: a
bounced address comes off the bounce list and the next email is delivered, not dropped; a spam report stays."""
from __future__ import annotations

import dataclasses
import socket

import pytest

from services.notify.adapters.providers import SendGridEmail
from services.notify.adapters.providers.sendgrid_suppressions import SendGridSuppressions
from services.notify.adapters.providers.settings import ProviderSettings, SendGridSettings
from services.notify.domain.delivery import Channel, OutboundMessage, Outcome
from services.notify.domain.email_suppression import SuppressionsUnavailable, plan_lift
from tests.integration.sandbox.sandbox_harness import (  # noqa: F401 — fixtures
    final_sendgrid_reports,
    module_receiver,
    provider_settings,
    receiver,
    sandbox,
    sandbox_process,
)


def one_email(settings, delivery_id: str, to: str) -> None:
    [receipt] = SendGridEmail(settings).send([OutboundMessage(delivery_id, Channel.EMAIL, to, "Body", "Subject")])
    assert receipt.outcome is Outcome.ACCEPTED


def test_a_bounced_address_taken_off_the_bounce_list_gets_the_next_email(sandbox, provider_settings, receiver):
    sandbox.add_rule("moved@example.org", "hard_bounce", times=1)
    one_email(provider_settings, "before-reset", "moved@example.org")
    suppressions = SendGridSuppressions(provider_settings)

    assert suppressions.lists_holding("Moved@example.org") == {"bounces"}
    suppressions.remove("moved@example.org", "bounces")
    one_email(provider_settings, "after-reset", "moved@example.org")

    reports = {r.delivery_id: r for r in final_sendgrid_reports(receiver, sandbox.sendgrid_public_key(),
                                                                {"before-reset", "after-reset"})}
    assert reports["before-reset"].outcome is Outcome.HARD_BOUNCE
    assert reports["after-reset"].outcome is Outcome.DELIVERED
    assert suppressions.lists_holding("moved@example.org") == frozenset()


def test_a_spam_report_is_kept_on_the_providers_list(sandbox, provider_settings):
    sandbox.add_rule("annoyed@example.org", "spam_report")
    one_email(provider_settings, "reported", "annoyed@example.org")

    listed = SendGridSuppressions(provider_settings).lists_holding("annoyed@example.org")

    assert listed == {"spam_reports"}
    assert plan_lift(listed).as_dict() == {"lifted": [], "kept": ["spam_reports"]}


def test_a_refused_key_is_a_failure_that_names_the_answer(sandbox, provider_settings):
    wrong_key = dataclasses.replace(provider_settings.sendgrid, api_key="SG.not-the-key")
    suppressions = SendGridSuppressions(dataclasses.replace(provider_settings, sendgrid=wrong_key))

    with pytest.raises(SuppressionsUnavailable, match="401"):
        suppressions.lists_holding("anyone@example.org")


def test_an_unreachable_provider_is_a_failure_not_a_hang():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed_port = unused.getsockname()[1]
    settings = ProviderSettings(sendgrid=SendGridSettings("SG.key", from_email="school@example.org",
                                                          api_base=f"http://127.0.0.1:{closed_port}"),
                                timeout_seconds=2.0)

    with pytest.raises(SuppressionsUnavailable, match="could not be reached"):
        SendGridSuppressions(settings).lists_holding("anyone@example.org")

"""`schoolctl queues`: the management API's queue objects as lines, and where the API is reached; `schoolctl dev
add-worker`: what an added worker gets."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from schoolctl.dev import worker_environment
from schoolctl.main import app
from schoolctl.queues import QueueLine, management_endpoint, queue_lines


def test_a_queue_s_depth_consumers_and_rates_are_read_from_the_api_object():
    api = [{"name": "notify.deliveries.sms", "type": "quorum", "messages_ready": 40, "messages_unacknowledged": 4,
            "consumers": 2, "message_stats": {"publish_details": {"rate": 12.5}, "deliver_get_details": {"rate": 9.0},
                                              "ack_details": {"rate": 8.5}}},
           {"name": "notify.deliveries.dead", "type": "quorum", "messages_ready": 3}]

    assert queue_lines(api) == [
        QueueLine("notify.deliveries.dead", 3, 0, 0, 0.0, 0.0, 0.0, "quorum"),
        QueueLine("notify.deliveries.sms", 40, 4, 2, 12.5, 9.0, 8.5, "quorum"),
    ]


@pytest.mark.parametrize(("amqp_uri", "management_url", "expected"), [
    ("amqp://guest:guest@127.0.0.1:5672/", "http://127.0.0.1:15672",
     ("http://127.0.0.1:15672", ("guest", "guest"), "/")),
    ("amqp://ops:s%40cret@rabbit:5672/school", "https://rabbit:15671/",
     ("https://rabbit:15671", ("ops", "s@cret"), "school")),
    ("amqp://worker:pw@rabbit/school", "http://monitor:seen@rabbit:15672/rabbitmq",
     ("http://rabbit:15672/rabbitmq", ("monitor", "seen"), "school")),
])
def test_the_api_is_reached_with_the_broker_s_login_and_vhost_unless_its_url_has_a_login(
        amqp_uri, management_url, expected):
    assert management_endpoint(amqp_uri, management_url) == expected


def test_add_worker_without_a_running_stack_says_to_start_one(tmp_path):
    result = CliRunner().invoke(app, ["dev", "add-worker"], env={"SCHOOL_VAR_DIR": str(tmp_path)})

    assert result.exit_code == 69
    assert "start one with `make run` first" in result.output


def test_an_added_worker_gets_the_broker_database_and_providers_and_nothing_else():
    env = {"AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/", "SCHOOL_VAR_DIR": "var", "TWILIO_AUTH_TOKEN": "t",
           "IDENTITY_TOKEN_SECRET": "s", "PAGER": "less"}

    assert worker_environment(env, {"TWILIO_AUTH_TOKEN", "SENDGRID_API_KEY"}) == {
        "AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/", "SCHOOL_VAR_DIR": "var", "TWILIO_AUTH_TOKEN": "t"}

"""`schoolctl dead-letters` and `schoolctl queues` against a running notify service on a broker vhost of its own:
list and show with the reason, replay onto the channel's queue, purge only once confirmed."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from typer.testing import CliRunner

from schoolctl.main import app
from services.notify.domain.delivery import Channel
from services.notify.domain.stuck_jobs import DeadLetter, DeadReason, dead_letter_headers
from services.notify.queue.dead_letters import DeadLetterQueue
from services.notify.queue.jobs import DeliveryJob
from services.notify.queue.publisher import DeliveryPublisher, RawMessage
from services.notify.queue.topology import DEAD_QUEUE, work_queue
from shared.contracts import callers, identity
from shared.contracts.errors import NotAuthenticated
from shared.messaging import rpc_endpoint
from shared.testing.principals import make_principal
from tests.integration.notify.worker_processes import queue_depth, wait_until

OPERATOR = ("operator-1", "operator-secret")
MANAGEMENT_API = "http://127.0.0.1:15672"


class IdentityStandIn:
    """Issues the operator's service token, as identity does for a credential with the operator's scopes."""

    name = identity.NAME

    @rpc_endpoint(callers.issue_service_token)
    def issue_service_token(self, request):
        if (request["client_id"], request["client_secret"]) != OPERATOR:
            raise NotAuthenticated("the client id or secret is not valid")
        return {"token": "operator-token", "expires_at": datetime(2030, 1, 1, tzinfo=timezone.utc),
                "scopes": list(callers.OPERATOR_SCOPES), "principal": make_principal(person_id="service:operator-1")}


@pytest.fixture
def schoolctl(rabbit_config, notify_container, container_factory):
    container_factory(IdentityStandIn, rabbit_config).start()
    env = {"SCHOOLCTL_CLIENT_ID": OPERATOR[0], "SCHOOLCTL_CLIENT_SECRET": OPERATOR[1],
           "AMQP_URI": rabbit_config["AMQP_URI"], "RABBITMQ_MANAGEMENT_URL": MANAGEMENT_API}

    def invoke(*args: str, stdin: str = ""):
        return CliRunner().invoke(app, list(args), input=stdin, env=env)

    return invoke


def dead_letter(amqp_uri: str, body: bytes, message_id: str, reason: DeadReason, detail: str) -> None:
    headers = dead_letter_headers(DeadLetter(reason, detail), now=datetime.now(timezone.utc))
    DeliveryPublisher(amqp_uri).publish_dead_letter(RawMessage(body, message_id, headers))


@pytest.fixture
def two_dead_letters(rabbit_config):
    amqp_uri = rabbit_config["AMQP_URI"]
    dead_letter(amqp_uri, DeliveryJob("comm-1", Channel.SMS, ("d-1", "d-2")).to_json(), "job-1",
                DeadReason.RETRIES_EXHAUSTED, "processing failed 5 times, last: OperationalError()")
    dead_letter(amqp_uri, b"{not json", "garbage", DeadReason.INVALID_JOB, "not JSON: Expecting property name")
    return amqp_uri


def test_list_and_show_name_each_dead_letter_s_reason_and_leave_them_queued(schoolctl, two_dead_letters):
    listed = schoolctl("dead-letters", "list")
    shown = schoolctl("dead-letters", "show", "job-1")

    assert listed.exit_code == 0, listed.output
    assert "retries_exhausted" in listed.output and "invalid_job" in listed.output and "2 dead letters" in listed.output
    assert shown.exit_code == 0, shown.output
    assert "processing failed 5 times" in shown.output and "d-1, d-2" in shown.output and "sms" in shown.output
    assert DeadLetterQueue(two_dead_letters).count() == 2


def test_show_of_an_unknown_dead_letter_exits_67(schoolctl, two_dead_letters):
    assert schoolctl("dead-letters", "show", "no-such-job").exit_code == 67


def test_replay_puts_jobs_back_on_their_channel_s_queue_and_leaves_what_is_no_job(schoolctl, two_dead_letters):
    result = schoolctl("dead-letters", "replay", "--all")

    assert result.exit_code == 0, result.output
    assert "Replayed 1 dead letters." in result.output and "left garbage: not a delivery job" in result.output
    assert queue_depth(two_dead_letters, work_queue(Channel.SMS)) == 1
    assert queue_depth(two_dead_letters, DEAD_QUEUE) == 1


def test_replay_needs_ids_or_all(schoolctl, two_dead_letters):
    assert schoolctl("dead-letters", "replay").exit_code == 65


def test_purge_asks_first_and_deletes_only_once_confirmed(schoolctl, two_dead_letters):
    declined = schoolctl("dead-letters", "purge", "--all", stdin="n\n")
    assert declined.exit_code != 0 and queue_depth(two_dead_letters, DEAD_QUEUE) == 2

    chosen = schoolctl("dead-letters", "purge", "garbage", stdin="y\n")
    assert chosen.exit_code == 0, chosen.output
    assert "Purged 1 dead letters." in chosen.output and queue_depth(two_dead_letters, DEAD_QUEUE) == 1

    everything = schoolctl("dead-letters", "purge", "--all", "--yes")
    assert everything.exit_code == 0 and queue_depth(two_dead_letters, DEAD_QUEUE) == 0


def test_queues_shows_every_queue_with_depth_and_consumers(schoolctl, two_dead_letters):
    def queues() -> dict:
        result = schoolctl("queues", "--json")
        assert result.exit_code == 0, result.output
        return {line["name"]: line for line in json.loads(result.output)}

    def counted(lines: dict) -> bool:
        # The management API samples each queue's statistics every few seconds, each queue on its own time:
        # the dead letters can be counted before the notify service's consumer is.
        return lines[DEAD_QUEUE]["ready"] == 2 and lines["rpc-notify"]["consumers"] >= 1

    wait_until(lambda: counted(queues()), timeout=30, every=1,
               what="the dead letters and the running notify service's consumer counted")
    lines = queues()
    assert lines[DEAD_QUEUE]["kind"] == "quorum"
    assert set(lines) >= {work_queue(channel) for channel in Channel}

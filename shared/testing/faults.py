"""Faults the chaos tests inject into a running platform, each aimed at the test's own share of the machine
(its broker vhost, its own database connections), and the tally of what the provider sandbox was asked
to send more than once."""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def close_vhost_connections(rabbit_manager, vhost: str, *, at_least: int = 1, only: int | None = None,
                            closed_before: Collection[str] = (), wait_seconds: float = 15.0) -> list[str]:
    """What `rabbitmqctl close_all_connections` does, for one vhost only (other tests share the broker),
    through the management API; the names of the connections closed (`only`: that many of them, as when
    one process alone loses the broker). The API lists a new connection only at its next statistics tick
    (5 s), so this first waits until it lists `at_least` of them besides those `closed_before`."""
    deadline = time.monotonic() + wait_seconds
    while True:
        names = sorted(connection["name"] for connection in rabbit_manager.get_connections()
                       if connection.get("vhost") == vhost and connection["name"] not in closed_before)
        if len(names) >= at_least or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    for name in names[:only]:
        rabbit_manager.delete_connection(name)
    return names[:only]


def consumers_by_queue(rabbit_manager, vhost: str, queues: Iterable[str]) -> dict[str, int]:
    """Each queue's consumer count, as the broker has it now (0 for a queue not declared yet)."""
    found = {queue["name"]: queue.get("consumers", 0) for queue in rabbit_manager.get_queues(vhost)}
    return {name: found.get(name, 0) for name in queues}


def with_application_name(database_url: str, application_name: str) -> str:
    """The URL whose connections name themselves, so a test can find (and terminate) only its own."""
    return make_url(database_url).update_query_dict({"application_name": application_name}).render_as_string(
        hide_password=False)


# How long terminate_backends waits for each backend to end. Without a wait it returned as soon as the signal
# was sent, and a test's next statement could still find the backend's socket quiet (its FATAL not yet
# written): the directory's faults test failed about one run in three on a loaded box.
TERMINATION_WAIT_MS = 5000


def terminate_backends(database_url: str, application_name: str) -> int:
    """pg_terminate_backend on every connection named `application_name`, waiting until each has ended (up to
    TERMINATION_WAIT_MS: it has then told its client why and closed its socket); how many there were."""
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            return len(connection.execute(text(
                "SELECT pg_terminate_backend(pid, :wait_ms) FROM pg_stat_activity "
                "WHERE application_name = :name AND pid <> pg_backend_pid()"),
                {"name": application_name, "wait_ms": TERMINATION_WAIT_MS}).all())
    finally:
        engine.dispose()


@dataclass(frozen=True, slots=True)
class Repeats:
    """What the provider was asked to send again: copies beyond the first of one (channel, address)."""

    messages: Mapping[str, int]  # by channel: repeated copies
    requests: Mapping[str, int]  # by channel: provider requests (SendGrid batches, Twilio calls) holding them
    most_copies: int  # the most times any one address got the message (1: nothing repeated)

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())


def repeats(messages: Sequence[Mapping]) -> Repeats:
    """From the sandbox's record of messages (one per recipient, `batch_id` naming its request)."""
    seen: Counter[tuple[str, str]] = Counter()
    repeated: Counter[str] = Counter()
    requests: dict[str, set[str]] = {}
    for message in sorted(messages, key=lambda entry: entry["id"]):
        key = (message["channel"], message["to"].lower())
        seen[key] += 1
        if seen[key] > 1:
            repeated[message["channel"]] += 1
            requests.setdefault(message["channel"], set()).add(message["batch_id"])
    return Repeats(dict(repeated), {channel: len(ids) for channel, ids in requests.items()},
                   max(seen.values(), default=0))

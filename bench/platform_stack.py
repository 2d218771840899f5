"""The platform under measurement: every process of `make run` on a scratch vhost and scratch PostgreSQL databases.

One database per service (as deployed), migrated, dropped at the end with the
vhost, whatever happens. Helpers read the services' databases directly only to
*observe* (how far notify's projection got, when a communication was queued);
everything measured goes through the platform's own entry points.
"""
from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
import requests

from bench.context import PG_DSN, RABBIT_API, Context, pg_dsn
from bench.metrics.postgres import scratch_database
from bench.metrics.rabbit import scratch_vhost
from bench.process_memory import status_mb
from shared.config import SERVICES
from shared.messaging import cluster_rpc
from shared.migrations import upgrade
from shared.testing.stack import Stack, running_stack


# The viewers sign in once (stages/people.py) and a district run measures for longer than an access token
# lives (15 minutes by default): their tokens last the run instead, as sign-in is not what is measured.
BENCH_ENVIRONMENT = {"IDENTITY_TOKEN_TTL_SECONDS": str(12 * 3600)}
# Starting a stack is not measured: on a box other runs load (average 14 on 2 cores) the seven processes took
# more than the 60 s tests allow to import and connect, which lost a stage's figures.
STACK_READY_SECONDS = 300.0


def sqlalchemy_url(database: str) -> str:
    """`database` on the bench's PostgreSQL (PG_DSN) as a SQLAlchemy URL; the in-process bench tools use it too."""
    parts = dict(part.split("=", 1) for part in PG_DSN.split())
    user = parts.get("user", "postgres")
    return f"postgresql+psycopg2://{user}@{parts.get('host', '127.0.0.1')}:{parts.get('port', '5432')}/{database}"


@dataclass
class Platform:
    stack: Stack
    databases: dict[str, str]  # service -> scratch database name
    vhost_uri: str
    peak_rss_mb: dict[str, float] = field(default_factory=dict)  # process kind -> its largest VmHWM so far

    def query(self, service: str, sql: str, params: tuple = ()) -> list[tuple]:
        """Observe a service's database (read only)."""
        with psycopg2.connect(pg_dsn(self.databases[service])) as connection, connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def scalar(self, service: str, sql: str, params: tuple = ()) -> object:
        return self.query(service, sql, params)[0][0]

    def database_url(self, service: str) -> str:
        """A service's scratch database as a SQLAlchemy URL, to observe it with the project's own queries."""
        return sqlalchemy_url(self.databases[service])

    def cpu_seconds(self, *, with_database: bool = False) -> dict[str, float]:
        """CPU time (user + system) each process of the stack has used so far, from /proc (Linux); with
        `with_database`, also `postgres`: the PostgreSQL backends connected to the stack's databases now
        (a backend that closed since an earlier reading takes its CPU with it: a low bound)."""
        used = {}
        for name, process in self.stack.processes.items():
            seconds = cpu_seconds_of(process.pid)
            if seconds is not None:
                used[name] = seconds
        if with_database:
            used["postgres"] = sum(cpu_seconds_of(pid) or 0.0 for (pid,) in _backend_pids(list(self.databases.values())))
        return used

    def note_peak_rss(self) -> None:
        """Keep each running process's peak resident set so far (VmHWM, Linux); read before a process stops,
        as the kernel forgets it then. Notify workers count as one kind: the largest of them."""
        for name, process in self.stack.processes.items():
            peak_mb = _peak_rss_mb(process.pid)
            if peak_mb is not None:
                kind = process_kind(name)
                self.peak_rss_mb[kind] = max(self.peak_rss_mb.get(kind, 0.0), peak_mb)

    def queued_messages(self) -> int:
        """Messages ready or unacknowledged in the vhost's service queues (the notify delivery queues excluded).

        From the management API, whose figures are refreshed every few seconds: good enough to tell
        whether event handling is still going on, which is all it is used for.
        """
        return sum(messages for name, messages in self.queue_depths().items()
                   if not name.startswith("notify.deliveries"))

    def queue_depths(self) -> dict[str, int]:
        """Each queue of the vhost: its messages ready or unacknowledged (the management API's figures, a few
        seconds old at most)."""
        api = urlsplit(RABBIT_API)
        base = urlunsplit((api.scheme, f"{api.hostname}:{api.port}", "", "", ""))
        vhost = quote(urlsplit(self.vhost_uri).path.lstrip("/"), safe="")
        queues = requests.get(f"{base}/api/queues/{vhost}", params={"columns": "name,messages"},
                              auth=(api.username or "guest", api.password or "guest"), timeout=10).json()
        return {queue["name"]: queue.get("messages") or 0 for queue in queues}


# Six processes importing their libraries at once on a 2-core box shared with other runs took over a minute to
# answer (load average 13 to 20); the stages measure the running stack, not its start.
STACK_READY_SECONDS = 240.0

# identity issues the operator's token for 15 minutes; a district import on a loaded box outlasts that.
OPERATOR_TOKEN_RENEW_SECONDS = 600.0


@contextmanager
def operator_rpc(platform: Platform, contract, timeout: float) -> Iterator[Callable[[], object]]:
    """`service()`: `contract`'s service as the operator, over a connection reopened with a fresh token once
    the last one is OPERATOR_TOKEN_RENEW_SECONDS old (call it for each call, not once for a whole wait)."""
    with ExitStack() as connection:
        current: list = [None, 0.0]  # the proxy, when its token was issued

        def service():
            if current[0] is None or time.monotonic() - current[1] >= OPERATOR_TOKEN_RENEW_SECONDS:
                connection.close()
                rpc = connection.enter_context(cluster_rpc(platform.vhost_uri, timeout=timeout,
                                                           credential=platform.stack.operator_token()))
                current[:] = [rpc(contract), time.monotonic()]
            return current[0]

        yield service


def cpu_per_item(before: Mapping[str, float], after: Mapping[str, float], items: float, *, digits: int = 1) -> str:
    """Each process's CPU milliseconds per item between two cpu_seconds() readings, the busiest first."""
    spent = sorted(((after[name] - before.get(name, 0.0)) * 1000 / items, name) for name in after)
    return ", ".join(f"{name} {ms:.{digits}f} ms" for ms, name in reversed(spent) if ms >= 0.5 * 10 ** -digits)


def cpu_spent(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    """The CPU seconds each process used between two cpu_seconds() (or cpu_with_bench()) readings."""
    return {name: after[name] - before.get(name, 0.0) for name in after}


def describe_cpu(spent: Mapping[str, float]) -> str:
    """Their total first, then each process, the busiest first."""
    busiest = sorted(((seconds, name) for name, seconds in spent.items()), reverse=True)
    return f"{sum(spent.values()):.1f} s CPU (" + ", ".join(f"{name} {seconds:.1f}" for seconds, name in busiest
                                                            if seconds >= 0.05) + ")"


def cpu_with_bench(platform: Platform) -> dict[str, float]:
    """cpu_seconds() of the stack with its PostgreSQL backends, and as "bench" the bench's own process: its
    polling, and whatever loopback provider fake it serves."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return {**platform.cpu_seconds(with_database=True), "bench": used.ru_utime + used.ru_stime}


def process_kind(name: str) -> str:
    """A stack process's name as a metric's prefix: `notify-worker-2` and `bench-worker-1` are `notify_worker`."""
    return "notify_worker" if "worker" in name else name.replace("-", "_")


def cpu_seconds_of(pid: int) -> float | None:
    """The user and system CPU a live process has used so far, in seconds; None once it has exited."""
    try:
        # Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None  # it has exited
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _backend_pids(databases: list[str]) -> list[tuple[int]]:
    with psycopg2.connect(PG_DSN) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s)", (databases,))
        return cursor.fetchall()


def _peak_rss_mb(pid: int) -> float | None:
    status = status_mb(pid, "VmHWM")
    return None if status is None else status.get("VmHWM")


def wait_for(ctx: Context, what: str, done: Callable[[], bool], *, timeout: float,
             every: float = 0.2, report: Callable[[], str] | None = None) -> float:
    """Poll `done` until it holds; returns when it did (time.monotonic()). Progress every 10 s."""
    deadline = time.monotonic() + timeout
    last_report = time.monotonic()
    while not done():
        now = time.monotonic()
        if now > deadline:
            raise TimeoutError(f"{what}: not done after {timeout:.0f}s" + (f" ({report()})" if report else ""))
        if report and now - last_report >= 10:
            ctx.progress(f"  {what}: {report()}")
            last_report = now
        time.sleep(every)
    return time.monotonic()


@contextmanager
def running_platform(ctx: Context, *, workers: int = 0,
                     extra_env: Mapping[str, str] | None = None) -> Iterator[Platform]:
    with ExitStack() as cleanup:
        vhost_uri = cleanup.enter_context(scratch_vhost())
        databases = {service: cleanup.enter_context(scratch_database()) for service in SERVICES}
        for service, database in databases.items():
            upgrade(service, sqlalchemy_url(database))
        ctx.progress(f"starting every service, the gateway and the sandbox ({workers} notify workers)")
        urls = {service: sqlalchemy_url(database) for service, database in databases.items()}
        stack = cleanup.enter_context(running_stack(vhost_uri, urls, ctx.workdir / "logs", workers=workers,
                                                    extra_env={**BENCH_ENVIRONMENT, **(extra_env or {})},
                                                    ready_seconds=STACK_READY_SECONDS))
        yield Platform(stack, databases, vhost_uri)

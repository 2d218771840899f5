"""The notify worker: a process type of its own, started in any number (`notify-worker`).

It consumes delivery jobs from the durable queue, sends them through the
providers and records what happened; see process_job.py for one job's steps.
"""
from __future__ import annotations


def main() -> None:
    # Imported when the process starts, not with the package: the package's modules (process_job,
    # verdicts…) are plain use cases that unit tests import without a broker client or a database driver.
    import sys

    from services.notify.worker.app import run_worker
    from services.notify.worker.settings import WorkerSettings
    from shared.http_headers import install as install_header_parsing
    from shared.logs import configure_logging
    from shared.metrics import serve_metrics
    from shared.settings import exit_if_misconfigured

    exit_if_misconfigured(["notify-worker"])
    install_header_parsing()  # each provider answer's headers
    configure_logging(service="notify-worker")
    serve_metrics("notify-worker")
    sys.exit(run_worker(WorkerSettings.from_env()))

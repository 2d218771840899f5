"""baseline_http_posts_per_s and baseline_http_posts_2p_per_s: keep-alive `requests` POSTs to the sandbox.

The sandbox runs as its own process (services.sandbox.process.running_sandbox);
the client loop is the sandbox's own benchmark loop (a Twilio message create),
from one and from two client processes.
"""
from __future__ import annotations

from bench.context import Context
from bench.report import Row
from services.sandbox.bench import measure
from services.sandbox.process import running_sandbox


def run(ctx: Context) -> list[Row]:
    seconds = ctx.sizes.http_seconds
    rows = []
    with running_sandbox() as sandbox:
        for processes, name in ((1, "baseline_http_posts_per_s"), (2, "baseline_http_posts_2p_per_s")):
            ctx.progress(f"keep-alive POSTs with requests from {processes} process(es) for {seconds:.0f}s")
            rows.append(Row(name, measure(sandbox.base_url, "requests", processes, seconds), "posts/s"))
            sandbox.client.clear_messages()
    return rows

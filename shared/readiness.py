"""Wait until every service consumes its RPC queue: the moment a started stack can take work."""
from __future__ import annotations

import time
from typing import Callable

from nameko.exceptions import UnknownService

from shared.contracts import directory, identity, notify, rostering
from shared.contracts.errors import PlatformError
from shared.messaging import cluster_rpc

# One cheap, read-only call per service that succeeds on an empty database.
PROBES = {
    identity.NAME: (identity.contract, "get_accounts", {"person_ids": []}),
    directory.NAME: (directory.contract, "get_schools", {}),
    notify.NAME: (notify.contract, "get_recipients", {"person_ids": []}),
    rostering.NAME: (rostering.contract, "list_sync_runs", {"limit": 1}),
}


class StackNotReady(RuntimeError):
    pass


def wait_for_services(amqp_uri: str, *, seconds: float = 90, still_running: Callable[[], None] = lambda: None) -> None:
    """Return once every service answers; `still_running` may raise to stop waiting for a stack that died."""
    deadline = time.monotonic() + seconds
    pending = dict(PROBES)
    while pending:
        still_running()
        with cluster_rpc(amqp_uri, timeout=5) as rpc:
            for name, (contract, method, payload) in list(pending.items()):
                try:
                    getattr(rpc(contract), method)(payload)
                except UnknownService:
                    continue
                except PlatformError:
                    pass
                del pending[name]
        if pending:
            if time.monotonic() > deadline:
                raise StackNotReady(f"not answering after {seconds:.0f} s: {', '.join(sorted(pending))}")
            time.sleep(0.3)

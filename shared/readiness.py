"""Wait until every service consumes its RPC queue: the moment a started stack can take work."""
from __future__ import annotations

import time
from typing import Callable

from nameko.exceptions import UnknownService

from shared.contracts import directory, identity, notify, rostering
from shared.contracts.errors import PlatformError
from shared.messaging import cluster_rpc

# Each service's health check (shared/contracts/health.py): any answer, a refusal of an anonymous caller included,
# shows the service consumes its queue.
PROBES = {contract.name: contract for contract in (identity.contract, directory.contract, notify.contract,
                                                   rostering.contract)}


class StackNotReady(RuntimeError):
    pass


def wait_for_services(amqp_uri: str, *, seconds: float = 90, still_running: Callable[[], None] = lambda: None) -> None:
    """Return once every service answers; `still_running` may raise to stop waiting for a stack that died."""
    deadline = time.monotonic() + seconds
    pending = dict(PROBES)
    while pending:
        still_running()
        with cluster_rpc(amqp_uri, timeout=5) as rpc:
            for name, contract in list(pending.items()):
                try:
                    rpc(contract).check_health()
                except UnknownService:
                    continue
                except PlatformError:
                    pass
                del pending[name]
        if pending:
            if time.monotonic() > deadline:
                raise StackNotReady(f"not answering after {seconds:.0f} s: {', '.join(sorted(pending))}")
            time.sleep(0.3)

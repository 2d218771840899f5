"""Ports for the servers the tests and the bench start on loopback.

A port the kernel hands out for `bind(0)` lies in its ephemeral range, the range every outgoing connection of
every process on the machine also takes its local port from: between the pick and the server's own bind, a
client socket elsewhere (another test group's broker connection, say) could take it, and the server exits with
"Address already in use" (seen with three test groups and benchmarks side by side). Picking below that range
leaves only other servers to collide with, and the bind check leaves out the ones already listening. A port
is handed out once per process: a stack picks all its ports before its processes bind any, so the bind check
alone would not keep two of them apart.
"""
from __future__ import annotations

import random
import socket
from pathlib import Path

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST = 10_000
_pick = random.Random()  # its own: tests that seed the module's generator must not make every group pick alike
_handed_out: set[int] = set()


def free_port() -> int:
    below = _ephemeral_start()
    if below <= LOWEST:  # a machine whose ephemeral range reaches low: the kernel's pick is the safer one
        return _kernel_pick()
    for _ in range(200):
        port = _pick.randrange(LOWEST, below)
        if port in _handed_out:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    return _kernel_pick()


def _ephemeral_start() -> int:
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def _kernel_pick() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

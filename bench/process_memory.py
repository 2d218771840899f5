"""A process's memory as Linux reports it in /proc/<pid>/status, in MB (of 1,048,576 bytes)."""
from __future__ import annotations

from pathlib import Path


def status_mb(pid: int | str, *fields: str) -> dict[str, float] | None:
    """The `fields` asked (VmRSS, VmHWM, ...) of process `pid` ("self" for this one); None once it has exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = {}
    for line in status.splitlines():
        name, _, value = line.partition(":")
        if name in fields:
            found[name] = int(value.split()[0]) / 1024  # kB
    return found

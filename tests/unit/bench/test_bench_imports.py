"""The bench process itself must stay a plain threaded program: its reader child and its load threads
break under eventlet's monkey patching, which importing `shared.runner` applies."""
from __future__ import annotations

import subprocess
import sys


def test_importing_the_bench_does_not_monkey_patch():
    probe = ("import bench.__main__, eventlet.patcher as p; "
             "print(p.is_monkey_patched('socket'), p.is_monkey_patched('thread'))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.split() == ["False", "False"]

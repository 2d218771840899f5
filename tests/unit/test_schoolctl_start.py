"""`schoolctl --help` and the commands that reach no service start without the service stack's libraries."""
import subprocess
import sys

import pytest

import typer

from schoolctl.lazy_commands import LazySubApp
from schoolctl.main import SUB_APPS, app

HEAVY = ("nameko", "eventlet", "kombu", "sqlalchemy")

PROBE = """
import sys
from schoolctl.main import run
code = run(sys.argv[1:])
print("imported:" + ",".join(sorted(name for name in {heavy!r} if name in sys.modules)), file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.parametrize("argv", [["--help"], ["roster", "--help"], ["roster", "check", "--help"]])
def test_a_command_that_reaches_no_service_imports_neither_nameko_nor_eventlet(argv):
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv], capture_output=True,
                          text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "imported:"  # none of HEAVY
    assert "Usage" in done.stdout


def test_the_root_help_lists_every_sub_app_with_the_help_it_gives_itself():
    root = typer.main.get_command(app)

    for name, (_, help_text) in SUB_APPS.items():
        sub_app = root.get_command(None, name)
        assert isinstance(sub_app, LazySubApp)
        assert sub_app.loaded().help == help_text

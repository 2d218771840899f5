"""The sandbox in a child process and a webhook receiver, for every test in this folder."""
from tests.integration.sandbox.sandbox_harness import (  # noqa: F401 — fixtures
    module_receiver,
    receiver,
    sandbox,
    sandbox_process,
)

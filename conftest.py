# nameko's pytest plugin no longer monkey-patches; without this, tests that
# start containers hang instead of failing (see PLATFORM-NOTES).
import shared  # noqa: F401 — silences eventlet's deprecation notice before the import below

import eventlet  # noqa: E402

eventlet.monkey_patch()

# The chaos tests' figures, printed in every run's summary (shared/testing/chaos_report.py).
pytest_plugins = ("shared.testing.chaos_report",)

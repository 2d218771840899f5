# nameko's pytest plugin no longer monkey-patches; without this, tests that
# start containers hang instead of failing (see PLATFORM-NOTES).
import shared  # noqa: F401 — silences eventlet's deprecation notice before the import below

import eventlet  # noqa: E402

eventlet.monkey_patch()

# nameko's pytest plugin no longer monkey-patches; without this, tests that
# start containers hang instead of failing (see PLATFORM-NOTES).
import eventlet

eventlet.monkey_patch()

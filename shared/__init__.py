"""Library code every service shares: contracts, config, database and messaging seams."""
import warnings

# eventlet announces its own deprecation on import. nameko 2.14 depends on it, and the
# seams in shared/ are where a runtime swap would happen; the notice would only be noise
# in every process's log, so it is silenced once, here, before anything imports eventlet.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

"""schoolctl: the operator's command line for the school communications platform."""
import warnings

# nameko imports eventlet, which announces its own deprecation on import; an
# operator can do nothing about it, so the command line stays quiet about it.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

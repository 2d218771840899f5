"""schoolctl: the operator's command line for the school communications platform."""
import shared  # noqa: F401 — silences eventlet's deprecation notice before nameko imports it

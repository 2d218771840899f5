"""The notify worker's settings, read from the environment in its composition root."""
import pytest

from services.notify.worker.settings import DEFAULT_PROVIDER_FACTORY, WorkerSettings


def test_the_worker_takes_its_prefetch_and_heartbeat_from_the_environment(monkeypatch):
    monkeypatch.setenv("NOTIFY_WORKER_PREFETCH", "4")
    monkeypatch.setenv("NOTIFY_WORKER_HEARTBEAT", " 15 ")

    settings = WorkerSettings.from_env()

    assert (settings.prefetch, settings.heartbeat_seconds) == (4, 15)


def test_unset_settings_are_the_declared_defaults(monkeypatch):
    for name in ("NOTIFY_WORKER_PREFETCH", "NOTIFY_WORKER_HEARTBEAT", "NOTIFY_PROVIDER_FACTORY"):
        monkeypatch.delenv(name, raising=False)

    settings = WorkerSettings.from_env()

    assert (settings.prefetch, settings.heartbeat_seconds, settings.provider_factory) == (
        2, 30, DEFAULT_PROVIDER_FACTORY)


def test_a_prefetch_that_is_not_a_number_is_refused_naming_it(monkeypatch):
    monkeypatch.setenv("NOTIFY_WORKER_PREFETCH", "lots")

    with pytest.raises(ValueError, match="NOTIFY_WORKER_PREFETCH must be a whole number, not 'lots'"):
        WorkerSettings.from_env()

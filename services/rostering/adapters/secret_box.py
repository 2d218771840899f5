"""The key that seals districts' source secrets (shared/sealed_secrets.py), read from the environment when the
service starts, not at import."""
from __future__ import annotations


from nameko.extensions import DependencyProvider

from shared.sealed_secrets import ROSTERING_SETTINGS_KEY, SealedSecrets
from shared.settings import value


def settings_secrets(environ=None) -> SealedSecrets:
    return SealedSecrets(ROSTERING_SETTINGS_KEY, value(ROSTERING_SETTINGS_KEY, environ))


class SettingsSecrets(DependencyProvider):
    def setup(self) -> None:
        self.sealed = settings_secrets()

    def get_dependency(self, worker_ctx) -> SealedSecrets:
        return self.sealed

"""The key that seals districts' source secrets (shared/sealed_secrets.py), read from the environment when the
service starts, not at import."""
from __future__ import annotations

import os

from nameko.extensions import DependencyProvider

from shared.sealed_secrets import ROSTERING_SETTINGS_KEY, SealedSecrets


def settings_secrets(environ=os.environ) -> SealedSecrets:
    return SealedSecrets(ROSTERING_SETTINGS_KEY, environ.get(ROSTERING_SETTINGS_KEY))


class SettingsSecrets(DependencyProvider):
    def setup(self) -> None:
        self.sealed = settings_secrets()

    def get_dependency(self, worker_ctx) -> SealedSecrets:
        return self.sealed

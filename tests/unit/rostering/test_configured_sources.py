"""Which provider each district syncs from: its settings, secrets opened from their sealed form only to connect."""
import pytest
from cryptography.fernet import Fernet
from rostering_fakes import FakeSettings

from services.rostering.adapters.sources.configured import ConfiguredSources
from services.rostering.domain.errors import UnknownSource
from services.rostering.domain.settings import SyncSettings
from shared.sealed_secrets import SealedSecrets

KEY = Fernet.generate_key().decode()
LINCOLN = {"tenant_id": "1234", "application_id": "5678", "server_url": "https://lincoln.example.org",
           "client_id": "key"}


def sources(source="classlink", connection=LINCOLN, secrets=None, key=KEY):
    sealed = SealedSecrets("ROSTERING_SETTINGS_KEY", KEY).seal(
        {"client_secret": "s3cret"} if secrets is None else secrets)
    settings = FakeSettings()
    settings.save(SyncSettings("lincoln", source=source, connection=connection, sealed_secrets=sealed))
    return ConfiguredSources(settings, SealedSecrets("ROSTERING_SETTINGS_KEY", key))


def test_a_configured_district_is_described_without_its_secret():
    configured = sources()
    assert configured.describe("lincoln") == "ClassLink tenant 1234 (OneRoster 1.1)"
    source = configured.for_district("lincoln", changed_since=None)
    assert "s3cret" not in source.description and "s3cret" not in repr(source.__dict__)


@pytest.mark.parametrize(("settings", "reason"), [
    ({"source": None}, "no source is configured for district lincoln"),
    ({"source": "oneroster_csv"}, "syncs from OneRoster CSV packages, which are imported"),
    ({"source": "clever"}, "Clever is not one rostering can sync from yet"),
    ({"secrets": {}}, "ClassLink client secret is not set"),
    ({"key": Fernet.generate_key().decode()}, "secrets cannot be read: none of the keys in ROSTERING_SETTINGS_KEY"),
    ({"connection": {**LINCOLN, "auth": "oauth2"}}, "need the token URL"),
    ({"connection": {name: value for name, value in LINCOLN.items() if name != "tenant_id"}}, "cannot be used"),
])
def test_a_district_whose_source_cannot_be_used_is_refused_with_why(settings, reason):
    with pytest.raises(UnknownSource, match=reason):
        sources(**settings).describe("lincoln")


def test_a_district_never_configured_syncs_from_packages_only():
    with pytest.raises(UnknownSource, match="district springfield syncs from OneRoster CSV packages"):
        sources().describe("springfield")

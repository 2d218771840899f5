"""Which provider each district syncs from: its settings, secrets opened from their sealed form only to connect."""
import logging

import pytest
from cryptography.fernet import Fernet
from rostering_fakes import FakeSettings

from services.rostering.adapters.sources.configured import SOURCE_BUILDERS, ConfiguredSources
from services.rostering.domain.errors import UnknownSource
from services.rostering.domain.settings import SyncSettings
from shared.contracts.rostering import SYNCED_SOURCES
from shared.sealed_secrets import SealedSecrets

KEY = Fernet.generate_key().decode()
LINCOLN = {"tenant_id": "1234", "application_id": "5678", "server_url": "https://lincoln.example.org",
           "client_id": "key"}
JEFFERSON = {"district_id": "d-1", "api_url": "https://clever.example.org"}
SPRINGFIELD = {"host": "sftp.springfield.example.org", "port": 2222, "username": "springfield", "folder": "/inbox",
               "host_key": "ssh-ed25519 AAAA"}
NOTICES = {"notices_folder": "/notices", "notices_subject": "Attendance: {Student Name}",
           "notices_body": "{Student Name} was {Status}", "notices_client_id": "springfield-notices"}


def save(settings, district, source, connection, secrets, key=KEY):
    sealed = SealedSecrets("ROSTERING_SETTINGS_KEY", key).seal(secrets)
    settings.save(SyncSettings(district, source=source, connection=connection, sealed_secrets=sealed, region="GB"))


def sources(source="classlink", connection=LINCOLN, secrets=None, key=KEY):
    settings = FakeSettings()
    save(settings, "lincoln", source, connection, {"client_secret": "s3cret"} if secrets is None else secrets)
    return ConfiguredSources(settings, SealedSecrets("ROSTERING_SETTINGS_KEY", key))


def test_every_source_rostering_reads_has_its_builder():
    assert set(SOURCE_BUILDERS) == set(SYNCED_SOURCES)


def test_a_configured_district_is_described_without_its_secret():
    configured = sources()
    assert configured.describe("lincoln") == "ClassLink tenant 1234 (OneRoster 1.1)"
    source = configured.for_district("lincoln", changed_since=None)
    assert "s3cret" not in source.description and "s3cret" not in repr(source.__dict__)


def test_a_clever_district_opens_its_token_only_to_connect_and_never_shows_it():
    configured = sources("clever", JEFFERSON, {"token": "s3cret"})
    assert configured.describe("lincoln") == "Clever district d-1"
    source = configured.for_district("lincoln", changed_since=None, after_event="event-3")
    assert source.description == "Clever district d-1, events after event-3"
    assert "s3cret" not in repr(source.__dict__)


@pytest.mark.parametrize(("settings", "reason"), [
    ({"source": None}, "no source is configured for district lincoln"),
    ({"source": "oneroster_csv"}, "syncs from OneRoster CSV packages, which are imported"),
    ({"secrets": {}}, "ClassLink connection needs client_secret \\(set in its sync settings\\)"),
    ({"key": Fernet.generate_key().decode()}, "secrets cannot be read: none of the keys in ROSTERING_SETTINGS_KEY"),
    ({"connection": {**LINCOLN, "auth": "oauth2"}}, "need the token URL"),
    ({"connection": {**LINCOLN, "version": "2.0"}}, "ClassLink configuration cannot be used"),
    ({"connection": {name: value for name, value in LINCOLN.items() if name != "tenant_id"}},
     "ClassLink connection needs tenant_id"),
    ({"source": "clever", "connection": JEFFERSON, "secrets": {}}, "Clever connection needs token"),
    ({"source": "clever", "connection": {}, "secrets": {"token": "t"}}, "Clever connection needs district_id"),
    ({"source": "sftp", "connection": SPRINGFIELD, "secrets": {"password": "p"}},
     "picked up from its SFTP inbox when the SIS drops it; it cannot be synced on request"),
])
def test_a_district_whose_source_cannot_be_used_is_refused_with_why(settings, reason):
    with pytest.raises(UnknownSource, match=reason):
        sources(**settings).describe("lincoln")


def test_a_district_never_configured_syncs_from_packages_only():
    with pytest.raises(UnknownSource, match="district springfield syncs from OneRoster CSV packages"):
        sources().describe("springfield")


def sftp_districts(**districts) -> ConfiguredSources:
    settings = FakeSettings()
    for district, (connection, secrets) in districts.items():
        save(settings, district, "sftp", connection, secrets)
    save(settings, "lincoln", "classlink", LINCOLN, {"client_secret": "s3cret"})
    return ConfiguredSources(settings, SealedSecrets("ROSTERING_SETTINGS_KEY", KEY))


def test_the_inboxes_are_every_sftp_district_and_one_configured_unusably_is_logged_and_left_out(caplog):
    configured = sftp_districts(springfield=(SPRINGFIELD, {"password": "p4ss"}),
                                shelbyville=({**SPRINGFIELD, "username": None}, {"password": "p4ss"}),
                                ogdenville=(SPRINGFIELD, {}))
    with caplog.at_level(logging.WARNING):
        inboxes = configured.sftp_inboxes()
    assert list(inboxes) == ["springfield"]
    assert inboxes["springfield"].address == "sftp://springfield@sftp.springfield.example.org:2222/inbox"
    assert inboxes["springfield"].password == "p4ss" and "p4ss" not in repr(inboxes["springfield"])
    assert configured.region_of("springfield") == "GB"
    logged = caplog.text
    assert "shelbyville's OneRoster SFTP connection needs username" in logged
    assert "ogdenville" in logged and "SFTP password or private key is not set" in logged


def test_a_notices_folder_is_the_inbox_server_with_its_own_folder_templates_and_sealed_secret(caplog):
    configured = sftp_districts(
        springfield=({**SPRINGFIELD, **NOTICES, "notices_priority": True},
                     {"private_key": "KEY", "notices_client_secret": "n0tices"}),
        shelbyville=({**SPRINGFIELD, "notices_folder": "/notices"}, {"password": "p"}),
        ogdenville=(SPRINGFIELD, {"password": "p"}))
    with caplog.at_level(logging.WARNING):
        folders = configured.notice_folders()
    assert list(folders) == ["springfield"]
    folder = folders["springfield"]
    assert folder.connection.folder == "/notices" and folder.connection.private_key == "KEY"
    assert (folder.subject, folder.client_id, folder.client_secret, folder.priority) == (
        "Attendance: {Student Name}", "springfield-notices", "n0tices", True)
    assert "shelbyville's notices need notices_subject, notices_body" in caplog.text


def test_a_held_sftp_drop_is_kept_as_its_inbox_names_it():
    configured = sftp_districts(springfield=(SPRINGFIELD, {"password": "p"}))
    kept = configured.kept("springfield", b"zip")
    assert kept.description == "SFTP inbox sftp://springfield@sftp.springfield.example.org:2222/inbox"

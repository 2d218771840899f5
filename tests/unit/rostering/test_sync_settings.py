"""A district's sync settings: validation naming the field, secrets sealed and never answered, the directory
locked at once, every change audited (DISTRICT_SYNC_SETTINGS_CHANGED)."""
from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet
from marshmallow import ValidationError
from rostering_fakes import Importer

from services.rostering import settings_handlers
from shared.contracts import directory as directory_contract
from shared.contracts import rostering
from shared.contracts.errors import InvalidRequest
from shared.sealed_secrets import SealedSecrets

DISTRICT = "district-id"
CLASSLINK = {"tenant_id": "1234", "application_id": "5678", "server_url": "https://lincoln.example.org",
             "client_id": "key", "client_secret": "s3cret-value"}


class Settings:
    """The settings use cases against in-memory ports, with a real key."""

    def __init__(self) -> None:
        self.importer = Importer()
        self.secrets = SealedSecrets("ROSTERING_SETTINGS_KEY", Fernet.generate_key().decode())
        self.changes = iter(f"change-{n}" for n in range(1, 100))

    def change(self, **changes) -> dict:
        # Loaded as the RPC entrypoint loads it, so the contract's own validation takes part.
        request = rostering.UpdateDistrictSyncSettingsRequest().load(
            {"district_id": DISTRICT, "changed_by": "admin-1", **changes})
        return settings_handlers.update_district_sync_settings(
            request, settings=self.importer.settings, secrets=self.secrets,
            directory=self.importer.directory.proxy(directory_contract.contract),
            publish=self.importer.outbox,
            clock=self.importer.clock, new_id=lambda: next(self.changes))

    def shown(self) -> dict:
        return settings_handlers.get_district_sync_settings({"district_id": DISTRICT},
                                                            settings=self.importer.settings)

    def audited(self) -> list[dict]:
        return [payload for name, payload in self.importer.published
                if name == rostering.DISTRICT_SYNC_SETTINGS_CHANGED.name]


@pytest.fixture
def settings():
    return Settings()


def test_a_district_never_changed_reads_the_defaults_sync_off(settings):
    shown = settings.shown()
    assert shown["daily_sync"] is False and shown["source"] == "oneroster_csv" and shown["connection"] == {}
    assert shown["daily_time"] == "02:00" and shown["time_zone"] == "UTC" and shown["updated_by"] is None


def test_changing_settings_validates_the_threshold_and_locks_the_directory_at_once(settings):
    updated = settings.change(daily_sync=True, mass_change_threshold=0.2)
    assert updated["daily_sync"] is True and updated["mass_change_threshold"] == 0.2
    assert updated["updated_by"] == "admin-1" and settings.importer.directory.ownership["source"] == "OneRoster CSV"
    with pytest.raises(ValidationError) as refused:
        settings.change(mass_change_threshold=0)
    assert "mass_change_threshold" in refused.value.messages


def test_an_unknown_source_is_refused_naming_the_field(settings):
    with pytest.raises(ValidationError) as refused:
        settings.change(source="powerschool")
    assert refused.value.messages == {"source": ["'powerschool' is not a source: give one of oneroster_csv, "
                                                 "classlink, clever, sftp, or null for none"]}


@pytest.mark.parametrize(("changes", "field"), [
    ({"source": "classlink", "connection": {"password": "x"}}, "connection.password"),
    ({"source": "classlink", "connection": {"version": "2.0"}}, "connection.version"),
    ({"source": "sftp", "connection": {"port": 70000}}, "connection.port"),
    ({"source": "clever", "connection": {"notices_folder": "/notices"}}, "connection.notices_folder"),
    ({"source": "sftp", "connection": {"notices_priority": "often"}}, "connection.notices_priority"),
    ({"daily_time": "25:00"}, "daily_time"),
    ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
])
def test_what_the_contract_cannot_take_is_refused_naming_the_field(settings, changes, field):
    with pytest.raises(ValidationError) as refused:
        settings.change(**changes)
    assert field in refused.value.messages


def test_a_connection_given_alone_is_checked_against_the_kept_source(settings):
    settings.change(source="clever")
    with pytest.raises(InvalidRequest) as refused:
        settings.change(connection={"tenant_id": "1234"})
    assert "connection.tenant_id" in refused.value.fields


def test_the_daily_sync_needs_the_sources_connection_complete(settings):
    with pytest.raises(InvalidRequest) as refused:
        settings.change(source="classlink", daily_sync=True,
                        connection={name: value for name, value in CLASSLINK.items() if name != "client_secret"})
    assert list(refused.value.fields) == ["connection.client_secret"]
    with pytest.raises(InvalidRequest) as refused:
        settings.change(source=None, daily_sync=True)
    assert list(refused.value.fields) == ["source"]


def test_secrets_are_sealed_and_answered_only_as_set(settings):
    answered = settings.change(source="classlink", connection=CLASSLINK, daily_sync=True)
    assert answered["connection"] == {**{name: value for name, value in CLASSLINK.items() if name != "client_secret"},
                                      "client_secret_set": True}
    kept = settings.importer.settings.get(DISTRICT)
    assert "s3cret-value" not in kept.sealed_secrets and "s3cret-value" not in repr(kept)
    assert settings.secrets.open(kept.sealed_secrets) == {"client_secret": "s3cret-value"}
    assert "s3cret-value" not in json.dumps([settings.shown(), settings.audited()], default=str)


def test_other_changes_keep_the_secret_null_removes_it_and_a_new_source_starts_empty(settings):
    settings.change(source="classlink", connection=CLASSLINK)
    settings.change(connection={"tenant_id": "4321", "token_url": None}, mass_change_threshold=0.3)
    kept = settings.importer.settings.get(DISTRICT)
    assert kept.connection["tenant_id"] == "4321" and settings.secrets.open(kept.sealed_secrets) == {
        "client_secret": "s3cret-value"}

    assert settings.change(connection={"client_secret": None})["connection"]["client_secret_set"] is False
    assert settings.importer.settings.get(DISTRICT).sealed_secrets is None

    settings.change(connection={"client_secret": "another"})
    moved = settings.change(source="sftp", connection={"host": "sftp.lincoln.example.org", "password": "pw"})
    assert moved["connection"] == {"host": "sftp.lincoln.example.org", "password_set": True,
                                   "private_key_set": False, "notices_client_secret_set": False}
    assert settings.secrets.open(settings.importer.settings.get(DISTRICT).sealed_secrets) == {"password": "pw"}


def test_each_change_is_audited_with_what_changed_before_and_after(settings):
    settings.change(mass_change_threshold=0.25, daily_time="05:30")
    settings.change(mass_change_threshold=0.25)  # changes nothing: no entry
    settings.change(source="classlink", connection=CLASSLINK)
    settings.change(connection={"client_secret": "rotated"})

    first, second, third = settings.audited()
    assert first == {"change_id": "change-1", "district_id": DISTRICT, "changed_by": "admin-1",
                     "changed_at": first["changed_at"],
                     "before": {"mass_change_threshold": 0.1, "daily_time": "02:00"},
                     "after": {"mass_change_threshold": 0.25, "daily_time": "05:30"}}
    assert second["before"]["source"] == "oneroster_csv" and second["after"]["source"] == "classlink"
    assert second["after"]["connection"]["client_secret_set"] is True
    # A secret replaced still reads as set: the entry names it as given, never its value.
    assert third["before"] == {} and third["after"] == {"secrets_given": ["client_secret"]}


def test_without_a_key_a_secret_is_refused_naming_the_connection(settings):
    settings.secrets = SealedSecrets("ROSTERING_SETTINGS_KEY", None)
    with pytest.raises(InvalidRequest) as refused:
        settings.change(source="clever", connection={"token": "t"})
    assert "ROSTERING_SETTINGS_KEY is not set" in refused.value.fields["connection"][0]
    assert settings.change(mass_change_threshold=0.5)["mass_change_threshold"] == 0.5  # no secret: no key needed


@pytest.mark.parametrize(("source", "connection", "missing"), [
    ("clever", {}, "connection.district_id"),
    ("clever", {"district_id": "5b2ad81a709e300001e2cd7a"}, "connection.token"),
    ("sftp", {"host": "sftp.example.org", "username": "lincoln", "folder": "/drop", "password": "pw"},
     "connection.host_key"),
])
def test_each_provider_needs_its_own_connection_before_the_daily_sync(settings, source, connection, missing):
    with pytest.raises(InvalidRequest) as refused:
        settings.change(source=source, connection=connection, daily_sync=True)
    assert list(refused.value.fields) == [missing]


SFTP = {"host": "sftp.example.org", "username": "lincoln", "folder": "/drop", "host_key": "ssh-ed25519 AAAA",
        "password": "pw"}
NOTICES = {"notices_folder": "/notices", "notices_subject": "Attendance: {Student Name}",
           "notices_body": "{Student Name} was {Status}", "notices_client_id": "lincoln-notices",
           "notices_client_secret": "n0tices"}


def test_an_sftp_notices_folder_is_kept_whole_its_secret_sealed(settings):
    shown = settings.change(source="sftp", connection={**SFTP, **NOTICES, "notices_priority": True},
                            daily_sync=True)
    assert shown["connection"]["notices_client_secret_set"] is True and "notices_client_secret" not in shown[
        "connection"]
    assert shown["connection"]["notices_priority"] is True
    kept = settings.importer.settings.get(DISTRICT)
    assert settings.secrets.open(kept.sealed_secrets) == {"password": "pw", "notices_client_secret": "n0tices"}


@pytest.mark.parametrize(("connection", "missing"), [
    ({"notices_folder": "/notices"}, "connection.notices_subject"),
    ({**NOTICES, "notices_client_secret": None}, "connection.notices_client_secret"),
])
def test_notices_settings_are_all_given_or_none_naming_the_first_missing(settings, connection, missing):
    settings.change(source="sftp", connection=SFTP)
    with pytest.raises(InvalidRequest) as refused:
        settings.change(connection=connection)
    assert list(refused.value.fields) == [missing] and "SFTP notices need" in refused.value.message


def test_connection_values_given_as_text_are_kept_as_their_fields_read_them(settings):
    shown = settings.change(source="sftp", connection={**SFTP, "port": "2222", "notices_priority": "false"})
    assert shown["connection"]["port"] == 2222 and shown["connection"]["notices_priority"] is False


# --- a district that connects its provider before anything was imported ---------------------------------------

def connect(settings: Settings, **changes) -> dict:
    request = rostering.ConnectDistrictRequest().load(
        {"source_id": "clever-district-7", "name": "Springfield Unified", "changed_by": "operator", **changes})
    return settings_handlers.connect_district(
        request, settings=settings.importer.settings, secrets=settings.secrets,
        directory=settings.importer.directory.proxy(directory_contract.contract),
        publish=settings.importer.outbox,
        clock=settings.importer.clock, new_id=lambda: next(settings.changes))


def test_a_new_district_connecting_clever_is_made_in_the_directory_under_its_clever_id(settings):
    connected = connect(settings, source="clever", connection={"token": "t0ken"}, daily_sync=True)
    assert settings.importer.directory.method_calls("upsert_district") == [
        {"source_id": "clever-district-7", "name": "Springfield Unified"}]
    assert connected["district_id"] == DISTRICT and connected["source"] == "clever"
    assert connected["connection"] == {"district_id": "clever-district-7", "token_set": True}
    assert settings.importer.settings.get(DISTRICT).daily_sync is True
    assert settings.importer.directory.ownership["source"] == "Clever"
    assert settings.audited()[0]["after"]["source"] == "clever"


def test_a_clever_connection_naming_another_district_is_refused_and_makes_nothing(settings):
    with pytest.raises(InvalidRequest) as refused:
        connect(settings, source="clever", connection={"district_id": "clever-district-8", "token": "t0ken"})
    assert refused.value.fields == {"connection.district_id": [
        "the Clever district clever-district-8 is not clever-district-7, the district being connected"]}
    assert settings.importer.directory.calls == []


def test_settings_that_cannot_be_kept_make_no_district(settings):
    with pytest.raises(InvalidRequest) as refused:
        connect(settings, source="classlink", connection={"tenant_id": "1234"}, daily_sync=True)
    assert "connection.application_id" in refused.value.fields
    assert settings.importer.directory.calls == [] and settings.importer.settings.stored == {}


def test_a_new_classlink_district_is_made_under_its_district_orgs_sourced_id(settings):
    connected = connect(settings, source_id="district-1", name="Lincoln Unified", source="classlink",
                        connection=CLASSLINK)
    assert settings.importer.directory.district == {"source_id": "district-1", "name": "Lincoln Unified"}
    assert connected["connection"]["tenant_id"] == "1234" and connected["connection"]["client_secret_set"] is True

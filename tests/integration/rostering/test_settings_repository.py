"""Districts' sync settings in the rostering database (SQLite and PostgreSQL): read back as saved, the sealed
secrets stored as given, and the schedule's day claimed once."""
from datetime import date, datetime, timezone

import pytest

from services.rostering.adapters.settings_repository import SettingsRepository
from services.rostering.domain.settings import SyncSettings


@pytest.fixture
def settings(rostering_session):
    return SettingsRepository(rostering_session)


def classlink_district(district_id="lincoln", **overrides) -> SyncSettings:
    return SyncSettings(district_id, **{
        "daily_sync": True, "source": "classlink", "connection": {"tenant_id": "1234", "client_id": "key"},
        "secrets_set": frozenset({"client_secret"}), "sealed_secrets": "gAAAA-sealed", "daily_time": "05:30",
        "time_zone": "America/Chicago", "region": "GB", "enable_student_accounts_automatically": True,
        "updated_by": "admin-1", "updated_at": datetime(2026, 12, 5, 6, 0, tzinfo=timezone.utc), **overrides})


def test_settings_read_back_as_they_were_saved(settings):
    saved = classlink_district()
    settings.save(saved)
    assert settings.get("lincoln") == saved
    assert settings.get("lincoln").sealed_secrets == "gAAAA-sealed"


def test_a_district_never_saved_has_the_defaults(settings):
    assert settings.get("springfield") == SyncSettings("springfield")


def test_the_schedule_lists_only_districts_whose_provider_it_reads(settings):
    settings.save(classlink_district())
    settings.save(classlink_district("off", daily_sync=False))
    settings.save(SyncSettings("packages", daily_sync=True))
    assert [(found.district_id, day) for found, day in settings.scheduled()] == [("lincoln", None)]


def test_a_scheduled_day_is_claimed_once(settings):
    settings.save(classlink_district())
    assert settings.claim_scheduled_day("lincoln", date(2026, 12, 5)) is True
    assert settings.claim_scheduled_day("lincoln", date(2026, 12, 5)) is False
    assert settings.last_scheduled_on("lincoln") == date(2026, 12, 5)
    assert settings.claim_scheduled_day("lincoln", date(2026, 12, 6)) is True
    settings.save(classlink_district(mass_change_threshold=0.3))  # a settings change keeps the claimed day
    assert settings.scheduled()[0][1] == date(2026, 12, 6)

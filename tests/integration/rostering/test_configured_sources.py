"""Which provider each district syncs from: the sources file, secrets only from the environment."""
import pytest

from services.rostering.adapters.sources.configured import SOURCES_FILE_VARIABLE, ConfiguredSources
from services.rostering.domain.errors import UnknownSource

LINCOLN = {"source": "classlink", "tenant_id": "1234", "application_id": "5678",
           "server_url": "https://lincoln.example.org", "client_id": "key", "client_secret_env": "LINCOLN_SECRET"}


def sources(entry=LINCOLN, **environ):
    return ConfiguredSources({"LINCOLN_SECRET": "s3cret", **environ}, {"lincoln": entry})


def test_a_configured_district_is_described_without_its_secret():
    configured = sources()
    assert configured.describe("lincoln") == "ClassLink tenant 1234 (OneRoster 1.1)"
    source = configured.for_district("lincoln", changed_since=None)
    assert "s3cret" not in source.description and "s3cret" not in repr(source.__dict__)


def test_a_clever_district_reads_its_token_from_the_environment_and_never_shows_it():
    configured = sources({"source": "clever", "district_id": "d-1", "token_env": "LINCOLN_SECRET"})
    assert configured.describe("lincoln") == "Clever district d-1"
    source = configured.for_district("lincoln", changed_since=None, after_event="event-3")
    assert source.description == "Clever district d-1, events after event-3"
    assert "s3cret" not in repr(source.__dict__)


@pytest.mark.parametrize(("entry", "environ", "reason"), [
    (None, {}, "no source is configured for district lincoln"),
    ({**LINCOLN, "source": "powerschool"}, {}, "'powerschool' is not one rostering can sync from"),
    ({"source": "clever", "district_id": "d-1", "token_env": "T"}, {}, "Clever token is not set \\(the environment "
                                                                        "variable T\\)"),
    ({"source": "clever", "token_env": "LINCOLN_SECRET"}, {}, "Clever configuration cannot be used"),
    (LINCOLN, {"LINCOLN_SECRET": ""}, "secret is not set \\(the environment variable LINCOLN_SECRET\\)"),
    ({**LINCOLN, "auth": "oauth2"}, {}, "need the token URL"),
    ({key: value for key, value in LINCOLN.items() if key != "tenant_id"}, {}, "cannot be used"),
])
def test_a_district_whose_source_cannot_be_used_is_refused_with_why(entry, environ, reason):
    with pytest.raises(UnknownSource, match=reason):
        sources(entry, **environ).describe("lincoln")


def test_the_sources_file_is_read_from_the_path_the_environment_names(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text("districts:\n  lincoln:\n    source: classlink\n    tenant_id: '42'\n    application_id: a\n"
                    "    server_url: https://x.example.org\n    client_id: k\n    client_secret_env: S\n")
    configured = ConfiguredSources({SOURCES_FILE_VARIABLE: str(path), "S": "secret"})
    assert configured.describe("lincoln") == "ClassLink tenant 42 (OneRoster 1.1)"


def test_an_unreadable_sources_file_refuses_syncs_only(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text("districts: [unclosed")
    with pytest.raises(UnknownSource, match="the rostering sources file cannot be read"):
        ConfiguredSources({SOURCES_FILE_VARIABLE: str(path)}).describe("lincoln")

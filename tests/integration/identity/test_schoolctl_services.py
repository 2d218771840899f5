"""`schoolctl services add|list|revoke`: the operator issues service credentials straight into identity's
database (here the embedded SQLite default, migrated)."""
import json

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from schoolctl.main import app
from services.identity.adapters.service_credentials import ServiceCredentialRepository
from shared.db import make_engine


@pytest.fixture
def identity_url(sqlite_database_urls):
    return sqlite_database_urls["identity"]


@pytest.fixture
def services(identity_url):
    def invoke(*args: str):
        return CliRunner().invoke(app, ["services", *args, "--database-url", identity_url])

    return invoke


def stored(url: str):
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return ServiceCredentialRepository(session).credentials()
    finally:
        engine.dispose()


def test_a_credential_is_added_with_its_secret_shown_once_and_kept_as_a_digest(services, identity_url):
    added = services("add", "lunch-alerts", "--scopes", "announcements:send, directory:read", "--district",
                     "district-1", "--json")

    assert added.exit_code == 0, added.output
    issued = json.loads(added.output)
    [credential] = stored(identity_url)
    assert credential.client_id == issued["client_id"] and credential.name == "lunch-alerts"
    assert credential.scopes == ("announcements:send", "directory:read") and credential.district_id == "district-1"
    assert credential.secret_matches(issued["client_secret"]) and issued["client_secret"] not in credential.secret_digest


def test_the_plain_answer_is_what_schoolctl_reads_as_the_operator(services):
    added = services("add", "operator", "--scopes", "accounts:manage")

    assert added.exit_code == 0
    assert "export SCHOOLCTL_CLIENT_ID=operator-" in added.output and "export SCHOOLCTL_CLIENT_SECRET=" in added.output


def test_an_unknown_scope_exits_65_and_adds_nothing(services, identity_url):
    added = services("add", "lunch-alerts", "--scopes", "everything")

    assert added.exit_code == 65 and "unknown scope everything" in added.output
    assert stored(identity_url) == []


def test_a_revoked_credential_is_listed_as_revoked_and_cannot_be_revoked_twice(services, identity_url):
    client_id = json.loads(services("add", "lunch-alerts", "--scopes", "directory:read", "--json").output)["client_id"]

    assert services("revoke", client_id).exit_code == 0
    assert services("revoke", client_id).exit_code == 67
    [credential] = stored(identity_url)
    assert credential.revoked_at is not None
    [line] = services("list").output.splitlines()
    assert line.startswith(f"{client_id}\tlunch-alerts\tdirectory:read\t-\t") and "\trevoked " in line

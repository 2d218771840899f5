"""`schoolctl services add|list|revoke`: service credentials, the client ids and secrets other services (and
operators' tools) exchange with identity for short-lived service tokens (docs/calling-the-platform.md).

These commands write identity's database directly ($IDENTITY_DATABASE_URL, else `make run`'s file): whoever
may do that is the operator, so no credential is needed to issue the first one.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Annotated, Optional

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from schoolctl.broker import EXIT_DATA, EXIT_NO_USER, fail
from services.identity.adapters.service_credentials import ServiceCredentialRepository, add_service_credential
from services.identity.domain.service_credentials import InvalidServiceCredential
from shared.config import database_url
from shared.contracts import identity
from shared.contracts.callers import SCOPES
from shared.db import make_engine

app = typer.Typer(help="Service credentials: who may call the platform over RPC, and what.", no_args_is_help=True)

DatabaseUrl = Annotated[Optional[str], typer.Option(
    "--database-url", help="identity's database (default: $IDENTITY_DATABASE_URL, else the local file)",
    show_default=False)]


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The service's name, e.g. lunch-balance-alerts")],
    scopes: Annotated[str, typer.Option("--scopes", help=f"Comma-separated, among: {', '.join(SCOPES)}")],
    district: Annotated[Optional[str], typer.Option(
        "--district", help="The district it acts in (needed to send announcements or read the directory)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the credential as JSON")] = False,
    url: DatabaseUrl = None,
) -> None:
    """Issue a client id and secret. The secret is shown this once and never stored."""
    wanted = [scope.strip() for scope in scopes.split(",") if scope.strip()]
    try:
        issued = add_service_credential(url or database_url(identity.NAME), name, wanted, district,
                                        datetime.now(timezone.utc))
    except InvalidServiceCredential as invalid:
        raise fail(str(invalid), EXIT_DATA) from None
    credential = issued.credential
    if as_json:
        typer.echo(json.dumps({"client_id": credential.client_id, "client_secret": issued.secret,
                               "scopes": list(credential.scopes), "district_id": credential.district_id}))
        return
    console = Console(soft_wrap=True)
    console.print(f"Service credential for {name} ({', '.join(credential.scopes)}); the secret is shown once:",
                  markup=False, highlight=False)
    console.print(f"export SCHOOLCTL_CLIENT_ID={credential.client_id}", markup=False, highlight=False)
    console.print(f"export SCHOOLCTL_CLIENT_SECRET={issued.secret}", markup=False, highlight=False)


@app.command("list")
def list_credentials(url: DatabaseUrl = None) -> None:
    """Every credential issued, one a line: client id, name, scopes, district, created, revoked (tab-separated)."""
    for credential in _repository_call(url, lambda repo: repo.credentials()):
        typer.echo("\t".join((
            credential.client_id, credential.name, ",".join(credential.scopes), credential.district_id or "-",
            credential.created_at.isoformat(timespec="seconds"),
            f"revoked {credential.revoked_at.isoformat(timespec='seconds')}" if credential.revoked_at else "active")))


@app.command("revoke")
def revoke(client_id: Annotated[str, typer.Argument(help="The credential's client id")],
           url: DatabaseUrl = None) -> None:
    """Revoke a credential: identity issues no more tokens for it (those issued expire within 15 minutes)."""
    now = datetime.now(timezone.utc)
    if not _repository_call(url, lambda repo: repo.revoke(client_id, now)):
        raise fail(f"No credential {client_id} that is not revoked already", EXIT_NO_USER)
    Console().print(f"Revoked {client_id}.", markup=False, highlight=False)


def _repository_call(url: str | None, call):
    engine = make_engine(url or database_url(identity.NAME))
    try:
        with Session(engine) as session:
            return call(ServiceCredentialRepository(session))
    finally:
        engine.dispose()

"""Service credentials in identity's database: one row per credential, the secret as a digest only."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import JSON, Column, String, Table, select, update
from sqlalchemy.orm import Session

from services.identity.domain.service_credentials import IssuedCredential, ServiceCredential, new_credential
from shared.db import make_engine

from .tables import UtcDateTime, metadata

service_credentials = Table(
    "service_credentials", metadata,
    Column("client_id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("district_id", String, nullable=True),
    Column("secret_digest", String, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
)


class ServiceCredentialRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def credential(self, client_id: str) -> ServiceCredential | None:
        row = self.session.execute(select(service_credentials).where(
            service_credentials.c.client_id == client_id)).first()
        return _credential_from_row(row) if row is not None else None

    def credentials(self) -> list[ServiceCredential]:
        rows = self.session.execute(select(service_credentials).order_by(service_credentials.c.name,
                                                                         service_credentials.c.created_at))
        return [_credential_from_row(row) for row in rows]

    def add(self, credential: ServiceCredential) -> None:
        self.session.execute(service_credentials.insert().values(
            client_id=credential.client_id, name=credential.name, scopes=list(credential.scopes),
            district_id=credential.district_id, secret_digest=credential.secret_digest,
            created_at=credential.created_at, revoked_at=credential.revoked_at))
        self.session.commit()

    def revoke(self, client_id: str, now: datetime) -> bool:
        revoked = self.session.execute(update(service_credentials).where(
            service_credentials.c.client_id == client_id, service_credentials.c.revoked_at.is_(None),
        ).values(revoked_at=now))
        self.session.commit()
        return revoked.rowcount == 1


def _credential_from_row(row) -> ServiceCredential:
    return ServiceCredential(client_id=row.client_id, name=row.name, scopes=tuple(row.scopes),
                             district_id=row.district_id, secret_digest=row.secret_digest,
                             created_at=row.created_at, revoked_at=row.revoked_at)


def add_service_credential(database_url: str, name: str, scopes: Sequence[str], district_id: str | None,
                           now: datetime) -> IssuedCredential:
    """The operator's way in (`schoolctl services add`): whoever may write identity's database issues
    credentials; everyone else asks identity over RPC with one."""
    issued = new_credential(name, scopes, district_id, now)
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            ServiceCredentialRepository(session).add(issued.credential)
    finally:
        engine.dispose()
    return issued

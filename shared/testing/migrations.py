"""Whether a service's Alembic history builds exactly the tables its code declares."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine


def schema_drift(url: str, metadata: MetaData) -> list:
    """Alembic's differences between the migrated database at `url` and `metadata`; [] when none."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            dialect = connection.dialect.name

            def declared_here(obj, name, type_, reflected, compare_to) -> bool:
                # An index declared for one dialect only (ddl_if) is not missing from the others.
                only_on = getattr(getattr(obj, "_ddl_if", None), "dialect", None)
                return only_on is None or only_on == dialect

            context = MigrationContext.configure(connection, opts={"include_object": declared_here})
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()

"""What a run held for approval keeps: the package as read, the archive set it was judged on, and the diff rows.

The package is kept as bytes (a zip) in the rostering database, so an approval applies exactly what
was held even when the file at the original path has changed or gone, on any host of the service.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from services.rostering.adapters.tables import held_packages, sync_run_changes

# Change rows per INSERT. SQLAlchemy holds every row of one executemany several times over (as given, compiled,
# with its JSON cells encoded): a district's 105,000 changes in one statement peaked 262 MB above where storing
# them started, a page at a time 60 MB (most of it the 12 MB package's own INSERT).
CHANGES_PAGE = 2000


class HeldRuns:
    def __init__(self, session: Session) -> None:
        self.session = session

    def keep(self, run_id: str, *, package: bytes, request: dict, archive_digest: str,
             changes: Iterable[dict]) -> None:
        self.session.execute(insert(held_packages).values(run_id=run_id, content=package, request=request,
                                                          archive_digest=archive_digest))
        self._add_changes(run_id, changes)
        self.session.commit()

    def record_changes(self, run_id: str, changes: Iterable[dict]) -> None:
        """The archive rows of a run that went ahead, kept with its report."""
        self._add_changes(run_id, changes)
        self.session.commit()

    def package(self, run_id: str) -> tuple[bytes, dict, str] | None:
        row = self.session.execute(select(held_packages.c.content, held_packages.c.request,
                                          held_packages.c.archive_digest)
                                   .where(held_packages.c.run_id == run_id)).first()
        self.session.commit()
        return None if row is None else (bytes(row.content), dict(row.request), row.archive_digest)

    def release(self, run_id: str) -> None:
        """The package is no longer needed (approved and applied, rejected or superseded); the rows stay."""
        self.session.execute(delete(held_packages).where(held_packages.c.run_id == run_id))
        self.session.commit()

    def changes(self, run_id: str, *, entity: str | None, offset: int, limit: int) -> tuple[list[dict], int]:
        where = [sync_run_changes.c.run_id == run_id]
        if entity is not None:
            where.append(sync_run_changes.c.entity == entity)
        total = self.session.execute(select(func.count()).select_from(sync_run_changes).where(*where)).scalar_one()
        rows = self.session.execute(select(sync_run_changes).where(*where).order_by(sync_run_changes.c.seq)
                                    .offset(offset).limit(limit)).mappings().all()
        self.session.commit()
        return [{name: row[name] for name in CHANGE_FIELDS} for row in rows], total

    def _add_changes(self, run_id: str, changes: Iterable[dict]) -> None:
        """In pages, in the caller's transaction: `changes` may be built as they are stored, never all at once."""
        numbered = enumerate(changes)
        while page := list(itertools.islice(numbered, CHANGES_PAGE)):
            self.session.execute(insert(sync_run_changes), [
                {"run_id": run_id, "seq": seq, **{name: change[name] for name in CHANGE_FIELDS}}
                for seq, change in page])


CHANGE_FIELDS = ("entity", "key", "file", "line", "reason", "outcome", "name", "kinds", "school_ids")

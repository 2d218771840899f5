"""Everything the directory keeps in its database, for one worker: one session, a repository per concept.

One Database dependency (one engine, one pool) serves them all; each repository commits its own unit
of work on the shared session, so an archive and its audit entries land in one transaction.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from services.directory.adapters.archiving_repository import ArchivingRepository
from services.directory.adapters.audit_repository import AuditLog
from services.directory.adapters.job_repository import JobRepository
from services.directory.adapters.manual_repository import ManualRepository
from services.directory.adapters.repository import DirectoryRepository


class DirectoryStore:
    def __init__(self, session: Session):
        self.people = DirectoryRepository(session)
        self.audit = AuditLog(session)
        self.archiving = ArchivingRepository(session, self.people, self.audit)
        self.jobs = JobRepository(session)
        self.manual = ManualRepository(session, self.people, self.audit)

"""Two writers refreshing one person's reach rows at once (pages applied side by side share guardians)."""
from __future__ import annotations

import eventlet
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.directory.adapters.repository import DirectoryRepository
from services.directory.adapters.tables import reach
from shared.db import make_engine

pytestmark = pytest.mark.postgres


def test_a_second_writer_refreshing_the_same_guardian_waits_then_commits(directory_config, district):
    engine = make_engine(directory_config["DATABASES"]["directory"])
    guardian = district.ids["gina"]  # a child in each school: rows for both schools and their classrooms

    def reach_rows() -> int:
        with Session(engine) as session:
            return session.execute(select(func.count()).select_from(reach).where(reach.c.person_id == guardian)).scalar()

    expected = reach_rows()
    assert expected > 0
    first, second = Session(engine), Session(engine)
    try:
        DirectoryRepository(first).refresh_reach({guardian})  # deleted and written again, not committed yet

        def second_writer() -> None:
            DirectoryRepository(second).refresh_reach({guardian})
            second.commit()

        waiting = eventlet.spawn(second_writer)
        eventlet.sleep(0.5)  # the second writer is now blocked on the first one's rows
        first.commit()
        waiting.wait()  # before the fix: UniqueViolation on pk_reach
    finally:
        first.close()
        second.close()
        engine.dispose()
    assert reach_rows() == expected

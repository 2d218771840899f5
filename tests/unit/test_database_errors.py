"""A database error names its statement, never its values: they are people's names, addresses and tokens, and the
error's text ends up in log lines (issue #15: database errors log the statement, not the values)."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from shared.db import make_engine


def test_a_failed_statement_is_named_without_its_parameters():
    engine = make_engine("sqlite://")

    with pytest.raises(OperationalError) as failed, engine.connect() as connection:
        connection.execute(text("SELECT * FROM no_such_table WHERE email = :email"), {"email": "ana@example.org"})

    assert "no_such_table" in str(failed.value) and "ana@example.org" not in str(failed.value)

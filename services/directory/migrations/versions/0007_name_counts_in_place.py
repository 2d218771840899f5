"""name_counts kept without rescanning the change log: each logged change carries its transaction's id, so
the trigger that marks a transaction's first change and the fold at its commit find that transaction's rows
through an index; and name_counts leaves room on its pages so a count's update stays on the row's page.

Why (a district's full import, autovacuum off as on the CI machines): the log is written and emptied by
every transaction, and without VACUUM its dead rows stay. The marking trigger (`... FROM
name_count_changes LIMIT 1`) and the fold (`DELETE FROM name_count_changes`) read the whole table each time:
1,700 pages of dead rows, 94 ms a read, twice a page of people, 260,000 people into the district, and
growing with each page. And every fold updates the counts of names already held: a full page made 61 % of
those updates leave the page, each adding entries to the primary key and to both trigram indexes (154,000
updates of 3,300 counts: 1,035 pages of table and 779 of one trigram index).

Revision ID: directory_0007
Revises: directory_0006
Create Date: 2026-12-05
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa

revision = "directory_0007"
down_revision = "directory_0006"
branch_labels = None
depends_on = None


def _revision_0006():
    spec = importlib.util.spec_from_file_location("directory_0006", Path(__file__).with_name("0006_name_counts.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_0006 = _revision_0006()
KEY, PENDING = _0006.KEY, _0006.PENDING
# Room on each page for a count's new version, so its update is a heap-only tuple: no index entry is added,
# and the page's dead versions are pruned whenever the page is read less than half free.
NAME_COUNTS_FILLFACTOR = 50

# Where a transaction's function differs from directory_0006's. A variable, not txid_current() itself, in the
# conditions: a volatile call is no index condition.
THIS_TRANSACTION = "DECLARE\n  this_transaction bigint := txid_current();\nBEGIN\n"


def _replaced(definition: str, *changes: tuple[str, str]) -> str:
    for old, new in (("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"), *changes):
        if old not in definition:
            raise ValueError(f"directory_0006's function no longer says {old!r}")
        definition = definition.replace(old, new, 1)
    return definition


# directory_0006's, with the marking row read from the transaction's own changes.
LOG_CHANGES = _replaced(
    _0006.LOG_CHANGES, ("BEGIN\n", THIS_TRANSACTION),
    (f"SELECT {KEY}, 0 FROM name_count_changes LIMIT 1",
     f"SELECT {KEY}, 0 FROM name_count_changes WHERE transaction_id = this_transaction LIMIT 1"))

# directory_0006's, folding the transaction's own rows (found by the index) rather than every row the table
# holds: each transaction folds its changes at its commit, so no committed change waits in the log.
FOLD_CHANGES = _replaced(
    _0006.FOLD_CHANGES, ("BEGIN\n", THIS_TRANSACTION),
    ("DELETE FROM name_count_changes RETURNING",
     "DELETE FROM name_count_changes WHERE transaction_id = this_transaction RETURNING"))


def upgrade() -> None:
    op.add_column("name_count_changes", sa.Column("transaction_id", sa.BigInteger(), nullable=True))
    op.create_index(op.f("ix_name_count_changes_transaction_id"), "name_count_changes", ["transaction_id"])
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE name_count_changes ALTER COLUMN transaction_id SET DEFAULT txid_current()")
    op.execute(f"ALTER TABLE name_counts SET (fillfactor = {NAME_COUNTS_FILLFACTOR})")
    op.execute(LOG_CHANGES)
    op.execute(FOLD_CHANGES)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_0006.LOG_CHANGES.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
        op.execute(_0006.FOLD_CHANGES.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
        op.execute("ALTER TABLE name_counts RESET (fillfactor)")
    op.drop_index(op.f("ix_name_count_changes_transaction_id"), "name_count_changes")
    op.drop_column("name_count_changes", "transaction_id")

"""name_counts: how many people of a district hold each name (per archived state and kind flags), so a
district-wide search counts its matches and finds its first page's names without reading every match's
row; on PostgreSQL kept by triggers on `people` (a statement's changes are logged, a transaction's log is
folded in at its commit, by a deferred trigger that one marking row of the log queues), filled from the existing rows.

Revision ID: directory_0006
Revises: directory_0005
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa

revision = "directory_0006"
down_revision = "directory_0005"
branch_labels = None
depends_on = None

ID = sa.String(32)
KEY = "district_id, family_name_key, given_name_key, archived, is_student, is_staff, is_guardian"
# Set (for the transaction) while it has changes not yet folded into name_counts.
PENDING = "directory.name_count_changes_pending"

# A statement's changes to people, as +1 / -1 per key (a change that keeps the key nets to nothing).
LOG_CHANGES = f"""
CREATE FUNCTION directory_log_name_count_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO name_count_changes ({KEY}, people)
    SELECT {KEY}, count(*) FROM new_rows GROUP BY {KEY};
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO name_count_changes ({KEY}, people)
    SELECT {KEY}, -count(*) FROM old_rows GROUP BY {KEY};
  ELSE
    INSERT INTO name_count_changes ({KEY}, people)
    SELECT {KEY}, sum(change) FROM (
      SELECT {KEY}, 1 AS change FROM new_rows
      UNION ALL
      SELECT {KEY}, -1 FROM old_rows) AS changed
    GROUP BY {KEY} HAVING sum(change) <> 0;
  END IF;
  IF FOUND AND current_setting('{PENDING}', true) IS DISTINCT FROM 'yes' THEN
    -- The first changes since the transaction began (or since its last fold): a change of zero to one of
    -- their names marks them, and only that row queues the fold for the commit.
    INSERT INTO name_count_changes ({KEY}, people) SELECT {KEY}, 0 FROM name_count_changes LIMIT 1;
    PERFORM set_config('{PENDING}', 'yes', true);
  END IF;
  RETURN NULL;
END $$
"""

# At commit (a deferred trigger, fired by the marking row alone): every change the transaction logged is folded
# in, in key order, so two transactions committing at once take their names' row locks in one order.
FOLD_CHANGES = f"""
CREATE FUNCTION directory_fold_name_count_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('{PENDING}', 'no', true);
  WITH moved AS (DELETE FROM name_count_changes RETURNING {KEY}, people)
  INSERT INTO name_counts ({KEY}, people)
  SELECT {KEY}, sum(people) FROM moved GROUP BY {KEY} HAVING sum(people) <> 0 ORDER BY {KEY}
  ON CONFLICT ({KEY}) DO UPDATE SET people = name_counts.people + excluded.people;
  RETURN NULL;
END $$
"""

TRIGGERS = {
    "insert": "INSERT ON people REFERENCING NEW TABLE AS new_rows",
    "update": "UPDATE ON people REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "DELETE ON people REFERENCING OLD TABLE AS old_rows",
}


def _key_columns() -> list[sa.Column]:
    return [sa.Column("district_id", ID, nullable=False),
            sa.Column("family_name_key", sa.Text(), nullable=False),
            sa.Column("given_name_key", sa.Text(), nullable=False),
            *(sa.Column(flag, sa.Boolean(), nullable=False)
              for flag in ("archived", "is_student", "is_staff", "is_guardian"))]


def upgrade() -> None:
    op.create_table(
        "name_counts", *_key_columns(), sa.Column("people", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY.split(", "), name=op.f("pk_name_counts")),
    )
    op.create_table("name_count_changes", *_key_columns(), sa.Column("people", sa.Integer(), nullable=False))
    op.execute(f"INSERT INTO name_counts ({KEY}, people) SELECT {KEY}, count(*) FROM people GROUP BY {KEY}")
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    home = bind.execute(sa.text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                                "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'")).scalar_one()
    for column in ("given_name_key", "family_name_key"):
        op.execute(f'CREATE INDEX ix_name_counts_{column}_trgm ON name_counts '
                   f'USING gin ({column} "{home}".gin_trgm_ops)')
    op.execute(LOG_CHANGES)
    op.execute(FOLD_CHANGES)
    for event, clause in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER people_{event}_name_counts AFTER {clause} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION directory_log_name_count_changes()")
    op.execute("CREATE CONSTRAINT TRIGGER name_count_changes_fold AFTER INSERT ON name_count_changes "
               "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.people = 0) "
               "EXECUTE FUNCTION directory_fold_name_count_changes()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER name_count_changes_fold ON name_count_changes")
        for event in TRIGGERS:
            op.execute(f"DROP TRIGGER people_{event}_name_counts ON people")
        op.execute("DROP FUNCTION directory_fold_name_count_changes()")
        op.execute("DROP FUNCTION directory_log_name_count_changes()")
        for column in ("given_name_key", "family_name_key"):
            op.drop_index(f"ix_name_counts_{column}_trgm", "name_counts")
    op.drop_table("name_count_changes")
    op.drop_table("name_counts")

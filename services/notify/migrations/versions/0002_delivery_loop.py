"""The delivery loop: communications, deliveries, the send ledger, delivery events, credential health,
preferences, district settings, status resets, the in-app inbox and stored provider webhooks.

Revision ID: 0002_delivery_loop
Revises: 0001
Create Date: 2025-11-23
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_delivery_loop"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.String(64)


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "communications",
        sa.Column("id", ID, nullable=False),
        sa.Column("district_id", ID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("priority", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("with_call", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("sender_id", ID, nullable=True),
        sa.Column("audience", sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("state", sa.String(16), nullable=False, server_default=sa.text("'planning'")),
        _timestamp("created_at"),
        sa.Column("planned_count", sa.Integer(), nullable=False, server_default=sa.text("0")),
        _timestamp("queued_at", nullable=True),
        _timestamp("completed_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_communications")),
    )
    op.create_index(op.f("ix_communications_district_id"), "communications", ["district_id"])

    op.create_table(
        "deliveries",
        sa.Column("id", ID, nullable=False),
        sa.Column("communication_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("provider_code", sa.String(64), nullable=True),
        sa.Column("provider_message_id", sa.String(128), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("fallback_of", ID, nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.ForeignKeyConstraint(["communication_id"], ["communications.id"],
                                name=op.f("fk_deliveries_communication_id_communications"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["fallback_of"], ["deliveries.id"], name=op.f("fk_deliveries_fallback_of_deliveries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("communication_id", "person_id", "channel",
                            name=op.f("uq_deliveries_communication_id_person_id_channel")),
    )
    op.create_index(op.f("ix_deliveries_person_id"), "deliveries", ["person_id"])
    op.create_index(op.f("ix_deliveries_provider_message_id"), "deliveries", ["provider_message_id"])
    op.create_index(op.f("ix_deliveries_fallback_of"), "deliveries", ["fallback_of"])
    op.create_index(op.f("ix_deliveries_communication_id_status_channel"), "deliveries",
                    ["communication_id", "status", "channel"])

    op.create_table(
        "send_ledger",
        sa.Column("communication_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("delivery_id", ID, nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("job_id", sa.String(64), nullable=False),
        _timestamp("written_at"),
        sa.PrimaryKeyConstraint("communication_id", "person_id", "channel", name=op.f("pk_send_ledger")),
    )

    op.create_table(
        "delivery_events",
        sa.Column("id", ID, nullable=False),
        sa.Column("delivery_id", ID, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("provider_code", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        _timestamp("occurred_at"),
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"],
                                name=op.f("fk_delivery_events_delivery_id_deliveries"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_events")),
    )
    op.create_index(op.f("ix_delivery_events_delivery_id"), "delivery_events", ["delivery_id"])

    op.create_table(
        "credential_health",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("last_outcome", sa.String(16), nullable=True),
        sa.Column("soft_failures", sa.Integer(), nullable=False, server_default=sa.text("0")),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("kind", "address", name=op.f("pk_credential_health")),
    )

    op.create_table(
        "preferences",
        sa.Column("person_id", ID, nullable=False),
        sa.Column("preference", sa.String(16), nullable=False),
        _timestamp("chosen_at"),
        sa.Column("chosen_by", ID, nullable=True),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_preferences")),
    )

    op.create_table(
        "district_settings",
        sa.Column("district_id", ID, nullable=False),
        sa.Column("default_preference", sa.String(16), nullable=False),
        _timestamp("updated_at"),
        sa.Column("updated_by", ID, nullable=True),
        sa.PrimaryKeyConstraint("district_id", name=op.f("pk_district_settings")),
    )

    op.create_table(
        "status_resets",
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("previous_state", sa.String(16), nullable=False),
        sa.Column("previous_reason", sa.Text(), nullable=True),
        sa.Column("reset_by", ID, nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        _timestamp("reset_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_resets")),
    )
    op.create_index(op.f("ix_status_resets_kind_address"), "status_resets", ["kind", "address"])

    op.create_table(
        "inbox_items",
        sa.Column("id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("communication_id", ID, nullable=False),
        _timestamp("created_at"),
        _timestamp("read_at", nullable=True),
        sa.ForeignKeyConstraint(["communication_id"], ["communications.id"],
                                name=op.f("fk_inbox_items_communication_id_communications"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_items")),
        sa.UniqueConstraint("person_id", "communication_id", name=op.f("uq_inbox_items_person_id_communication_id")),
    )

    op.create_table(
        "webhook_receipts",
        sa.Column("id", ID, nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        _timestamp("received_at"),
        sa.Column("payload", sa.JSON(), nullable=False),
        _timestamp("applied_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_receipts")),
    )
    op.create_index(op.f("ix_webhook_receipts_applied_at"), "webhook_receipts", ["applied_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_receipts_applied_at"), table_name="webhook_receipts")
    op.drop_table("webhook_receipts")
    op.drop_table("inbox_items")
    op.drop_index(op.f("ix_status_resets_kind_address"), table_name="status_resets")
    op.drop_table("status_resets")
    op.drop_table("district_settings")
    op.drop_table("preferences")
    op.drop_table("credential_health")
    op.drop_index(op.f("ix_delivery_events_delivery_id"), table_name="delivery_events")
    op.drop_table("delivery_events")
    op.drop_table("send_ledger")
    for index in ("ix_deliveries_communication_id_status_channel", "ix_deliveries_fallback_of",
                  "ix_deliveries_provider_message_id", "ix_deliveries_person_id"):
        op.drop_index(op.f(index), table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index(op.f("ix_communications_district_id"), table_name="communications")
    op.drop_table("communications")

"""pipeline: generic outbox (reply/push/multicast), claim tokens, event times, worker heartbeats

Revision ID: 0002_pipeline
Revises: 0001
Create Date: 2026-12-02 10:45:00

Replaces `outgoing_replies` with `outbox`. Unsettled replies are carried over, so an upgrade
during traffic loses nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_pipeline"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_token", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("event_time", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("redelivery", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.drop_index("ix_webhook_events_user_key")
        batch_op.create_index("ix_webhook_events_user_key_status", ["user_key", "status"])

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("user_key", sa.String(length=64), nullable=True),
        sa.Column("reply_token", sa.String(length=255), nullable=True),
        sa.Column("recipients", sa.JSON(), nullable=True),
        sa.Column("fallback_to", sa.String(length=64), nullable=True),
        sa.Column("messages", sa.JSON(), nullable=True),
        sa.Column("retry_key", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("in_doubt", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_token", sa.String(length=32), nullable=True),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["webhook_events.id"],
            name=op.f("fk_outbox_event_id_webhook_events"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_status_next", ["status", "next_attempt_at"])
        batch_op.create_index("ix_outbox_user_key_status", ["user_key", "status"])
        batch_op.create_index("ix_outbox_origin", ["origin"])
        batch_op.create_index(batch_op.f("ix_outbox_event_id"), ["event_id"])

    op.execute(
        """
        INSERT INTO outbox (kind, origin, event_id, user_key, reply_token, messages, status,
            attempts, in_doubt, next_attempt_at, deadline_at, created_at, sent_at, last_error)
        SELECT 'reply', 'reply', r.event_id, e.user_key, r.reply_token, r.messages, r.status,
            r.attempts, false, r.next_attempt_at, r.deadline_at, r.created_at, r.sent_at,
            r.last_error
        FROM outgoing_replies r JOIN webhook_events e ON e.id = r.event_id
        """
    )
    with op.batch_alter_table("outgoing_replies", schema=None) as batch_op:
        batch_op.drop_index("ix_outgoing_replies_status_next")
    op.drop_table("outgoing_replies")

    op.create_table(
        "pipeline_workers",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_pipeline_workers")),
    )


def downgrade() -> None:
    op.drop_table("pipeline_workers")
    op.create_table(
        "outgoing_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("reply_token", sa.String(length=255), nullable=False),
        sa.Column("messages", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["webhook_events.id"],
            name=op.f("fk_outgoing_replies_event_id_webhook_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_replies")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outgoing_replies_event_id")),
    )
    with op.batch_alter_table("outgoing_replies", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outgoing_replies_status_next", ["status", "next_attempt_at"], unique=False
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_event_id"))
        batch_op.drop_index("ix_outbox_origin")
        batch_op.drop_index("ix_outbox_user_key_status")
        batch_op.drop_index("ix_outbox_status_next")
    op.drop_table("outbox")
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_events_user_key_status")
        batch_op.create_index("ix_webhook_events_user_key", ["user_key"])
        batch_op.drop_column("redelivery")
        batch_op.drop_column("event_time")
        batch_op.drop_column("lease_token")

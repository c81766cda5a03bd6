"""segments: staff, flows, segments, broadcasts, scheduler jobs

Revision ID: 0002_segments
Revises: 0002_pipeline
Create Date: 2026-12-02 11:19:26.638397
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_segments"
down_revision = "0002_pipeline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(length=191), nullable=False),
        sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apscheduler_jobs")),
    )
    with op.batch_alter_table("apscheduler_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_apscheduler_jobs_next_run_time", ["next_run_time"], unique=False)

    op.create_table(
        "broadcast_recipients",
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("friend_id", sa.Integer(), nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("broadcast_id", "friend_id", name=op.f("pk_broadcast_recipients")),
    )
    with op.batch_alter_table("broadcast_recipients", schema=None) as batch_op:
        batch_op.create_index("ix_broadcast_recipients_friend", ["friend_id"], unique=False)

    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("segment", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("repeat", sa.String(length=16), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_by", sa.String(length=64), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=True),
        sa.Column("delivered", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["broadcasts.id"], name=op.f("fk_broadcasts_parent_id_broadcasts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_broadcasts_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index("ix_broadcasts_status_send_at", ["status", "send_at"], unique=False)

    op.create_table(
        "flow_states",
        sa.Column("user_key", sa.String(length=64), nullable=False),
        sa.Column("flow", sa.String(length=32), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_key", name=op.f("pk_flow_states")),
    )
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("line_user_id", sa.String(length=64), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_accounts")),
        sa.UniqueConstraint("name", name=op.f("uq_staff_accounts_name")),
    )
    op.create_table(
        "staff_audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=128), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_audit_log")),
    )
    with op.batch_alter_table("staff_audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "broadcast_chunks",
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name=op.f("fk_broadcast_chunks_broadcast_id_broadcasts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("broadcast_id", "chunk", name=op.f("pk_broadcast_chunks")),
    )
    with op.batch_alter_table("broadcast_chunks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_broadcast_chunks_outbox_id"), ["outbox_id"], unique=False
        )

    op.create_table(
        "delivery_preferences",
        sa.Column("friend_id", sa.Integer(), nullable=False),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["friend_id"],
            ["friends.id"],
            name=op.f("fk_delivery_preferences_friend_id_friends"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("friend_id", name=op.f("pk_delivery_preferences")),
    )
    op.create_table(
        "friend_attributes",
        sa.Column("friend_id", sa.Integer(), nullable=False),
        sa.Column("attribute", sa.String(length=32), nullable=False),
        sa.Column("option", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["friend_id"],
            ["friends.id"],
            name=op.f("fk_friend_attributes_friend_id_friends"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "friend_id", "attribute", "option", name=op.f("pk_friend_attributes")
        ),
    )
    with op.batch_alter_table("friend_attributes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_friend_attributes_attribute_option", ["attribute", "option"], unique=False
        )

    op.create_table(
        "staff_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_accounts.id"],
            name=op.f("fk_staff_tokens_staff_id_staff_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_tokens_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("staff_tokens")
    with op.batch_alter_table("friend_attributes", schema=None) as batch_op:
        batch_op.drop_index("ix_friend_attributes_attribute_option")

    op.drop_table("friend_attributes")
    op.drop_table("delivery_preferences")
    with op.batch_alter_table("broadcast_chunks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broadcast_chunks_outbox_id"))

    op.drop_table("broadcast_chunks")
    with op.batch_alter_table("staff_audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_audit_log_at"))

    op.drop_table("staff_audit_log")
    op.drop_table("staff_accounts")
    op.drop_table("flow_states")
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.drop_index("ix_broadcasts_status_send_at")
        batch_op.drop_index(batch_op.f("ix_broadcasts_parent_id"))

    op.drop_table("broadcasts")
    with op.batch_alter_table("broadcast_recipients", schema=None) as batch_op:
        batch_op.drop_index("ix_broadcast_recipients_friend")

    op.drop_table("broadcast_recipients")
    with op.batch_alter_table("apscheduler_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_apscheduler_jobs_next_run_time")

    op.drop_table("apscheduler_jobs")

"""friend count: Insight snapshots, sent alerts, ledger index and daily rollup, answer counts

Revision ID: 0002_friendcount
Revises: 0002_segments
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_friendcount"
down_revision = "0002_segments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "follower_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("followers", sa.Integer(), nullable=True),
        sa.Column("targeted_reaches", sa.Integer(), nullable=True),
        sa.Column("blocks", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sample", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follower_snapshots")),
        sa.UniqueConstraint("day", name=op.f("uq_follower_snapshots_day")),
    )
    op.create_table(
        "friend_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_friend_alerts")),
        sa.UniqueConstraint("key", name=op.f("uq_friend_alerts_key")),
    )
    op.create_table(
        "answer_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("confident", sa.Boolean(), nullable=False),
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "confident", "shard", name=op.f("pk_answer_counts")),
    )
    op.create_table(
        "friend_event_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "kind", name=op.f("pk_friend_event_days")),
    )
    op.create_index("ix_friend_events_kind_occurred_at", "friend_events", ["kind", "occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_friend_events_kind_occurred_at", table_name="friend_events")
    op.drop_table("friend_event_days")
    op.drop_table("answer_counts")
    op.drop_table("friend_alerts")
    op.drop_table("follower_snapshots")

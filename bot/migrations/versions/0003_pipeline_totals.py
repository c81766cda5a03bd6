"""pipeline totals: what `events prune` deleted, so /metrics counters never go down

Revision ID: 0003_pipeline_totals
Revises: 0002_friendcount
Create Date: 2026-12-02 14:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_pipeline_totals"
down_revision = "0002_friendcount"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pipeline_totals",
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("labels", sa.String(length=255), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("metric", "labels", name=op.f("pk_pipeline_totals")),
    )


def downgrade() -> None:
    op.drop_table("pipeline_totals")

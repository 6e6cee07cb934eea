"""derived_results: results computed from the data, stored for every process to read

Revision ID: 0020_derived_results
Revises: 0019_dora_relink
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import deliveryops.db

revision = "0020_derived_results"
down_revision = "0019_dora_relink"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "derived_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("scope", sa.String(length=250), nullable=False),
        sa.Column("data_version", sa.String(length=64), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("compute_seconds", sa.Float(), nullable=False),
        sa.Column("computed_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_derived_results")),
        sa.UniqueConstraint("kind", "scope", "data_version", name="uq_derived_results_key"),
    )


def downgrade() -> None:
    op.drop_table("derived_results")

"""improvement actions: DORA keys and health-check cards as targets (the card an action aims at)

Revision ID: 0021_action_targets
Revises: 0020_derived_results
Create Date: 2026-12-07 09:00:00

``target_metric`` is a non-native enum (a plain VARCHAR(30) without a CHECK constraint), so its new values
need no schema change; only the health card key is new.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_action_targets"
down_revision = "0020_derived_results"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("improvement_actions") as batch:
        batch.add_column(sa.Column("target_card", sa.String(length=60), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("improvement_actions") as batch:
        batch.drop_column("target_card")

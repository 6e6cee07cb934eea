"""sync run dora counts

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deployments", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("incidents", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_column("incidents")
        batch_op.drop_column("deployments")

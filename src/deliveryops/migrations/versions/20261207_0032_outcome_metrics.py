"""outcomes: health-check cards as a key result's source; a decision's expected effect on a team metric

Revision ID: 0032_outcome_metrics
Revises: 0036_enablement
Create Date: 2026-12-07 14:30:00

``key_results.metric`` already holds any team metric key (a plain string); a health card also needs the
card's key. A decision brief's expected effect may now name a team metric (flow, DORA or a health card) of
a team instead of a KPI series or key result.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032_outcome_metrics"
down_revision = "0036_enablement"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("key_results") as batch:
        batch.add_column(sa.Column("metric_card", sa.String(length=60), nullable=True))
    with op.batch_alter_table("decision_briefs") as batch:
        batch.add_column(sa.Column("effect_team_metric", sa.String(length=30), nullable=True))
        batch.add_column(sa.Column("effect_team_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("effect_card", sa.String(length=60), nullable=True))
        batch.create_foreign_key(
            "fk_decision_briefs_effect_team_id_teams", "teams", ["effect_team_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("decision_briefs") as batch:
        batch.drop_constraint("fk_decision_briefs_effect_team_id_teams", type_="foreignkey")
        batch.drop_column("effect_card")
        batch.drop_column("effect_team_id")
        batch.drop_column("effect_team_metric")
    with op.batch_alter_table("key_results") as batch:
        batch.drop_column("metric_card")

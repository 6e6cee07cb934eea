"""stored rollouts and admin-defined data checks

Adds rollouts of a catalogue entry across chosen teams (with each team's target date and the outcome
metric the rollout should move) and the admin-defined checks of an entry (a signal, a threshold and
a window).

Revision ID: 0035_rollouts
Revises: 0034_outbound
Create Date: 2026-12-07 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import deliveryops.db

revision = "0035_rollouts"
down_revision = "0034_outbound"
branch_labels = None
depends_on = None

SIGNALS = (
    "deployments_per_week",
    "workflow_runs_per_week",
    "reviewed_share",
    "pr_lifetime_hours",
    "retros_held",
    "health_checks_held",
    "successful_syncs",
    "forecasts_committed",
)


def upgrade() -> None:
    op.create_table(
        "cockpit_custom_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("signal", sa.Enum(*SIGNALS, name="signal", native_enum=False, length=40), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["cockpit_catalogue_entries.id"],
            name=op.f("fk_cockpit_custom_checks_entry_id_cockpit_catalogue_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_cockpit_custom_checks_updated_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cockpit_custom_checks")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_cockpit_custom_checks_entry_id")),
    )
    op.create_table(
        "cockpit_rollouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["cockpit_catalogue_entries.id"],
            name=op.f("fk_cockpit_rollouts_entry_id_cockpit_catalogue_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_cockpit_rollouts_owner_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_cockpit_rollouts_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cockpit_rollouts")),
    )
    with op.batch_alter_table("cockpit_rollouts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cockpit_rollouts_entry_id"), ["entry_id"], unique=False)
    op.create_table(
        "cockpit_rollout_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rollout_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("target_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rollout_id"],
            ["cockpit_rollouts.id"],
            name=op.f("fk_cockpit_rollout_teams_rollout_id_cockpit_rollouts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_cockpit_rollout_teams_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cockpit_rollout_teams")),
        sa.UniqueConstraint("rollout_id", "team_id", name="uq_cockpit_rollout_teams_rollout_team"),
    )
    with op.batch_alter_table("cockpit_rollout_teams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cockpit_rollout_teams_rollout_id"), ["rollout_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cockpit_rollout_teams_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    op.drop_table("cockpit_rollout_teams")
    with op.batch_alter_table("cockpit_rollouts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cockpit_rollouts_entry_id"))
    op.drop_table("cockpit_rollouts")
    op.drop_table("cockpit_custom_checks")

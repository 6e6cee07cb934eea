"""multi-team retros: a breakout retro per team and a shared synthesis board with votes and team-owned actions

Revision ID: 0037_multi_team_retros
Revises: 0032_outcome_metrics
Create Date: 2026-12-07 16:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import deliveryops.db

revision = "0037_multi_team_retros"
down_revision = "0032_outcome_metrics"
branch_labels = None
depends_on = None

PHASES = ("breakouts", "synthesis", "vote", "actions", "finished")


def upgrade() -> None:
    op.create_table(
        "multi_retros",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("format", sa.String(length=40), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("vote_budget", sa.Integer(), nullable=False),
        sa.Column("facilitator_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("phase", sa.Enum(*PHASES, name="multiphase", native_enum=False, length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("scheduled_for", deliveryops.db.UTCDateTime(), nullable=False),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.Column("finished_at", deliveryops.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["facilitator_id"], ["users.id"], name=op.f("fk_multi_retros_facilitator_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name=op.f("fk_multi_retros_group_id_groups"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_multi_retros")),
    )
    op.create_table(
        "multi_retro_breakouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("multi_retro_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("retro_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["multi_retro_id"],
            ["multi_retros.id"],
            name=op.f("fk_multi_retro_breakouts_multi_retro_id_multi_retros"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_multi_retro_breakouts_team_id_teams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["retro_id"], ["retros.id"], name=op.f("fk_multi_retro_breakouts_retro_id_retros"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_multi_retro_breakouts")),
        sa.UniqueConstraint("multi_retro_id", "team_id", name="uq_multi_retro_breakouts_team"),
        sa.UniqueConstraint("retro_id", name=op.f("uq_multi_retro_breakouts_retro_id")),
    )
    with op.batch_alter_table("multi_retro_breakouts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_multi_retro_breakouts_multi_retro_id"), ["multi_retro_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_multi_retro_breakouts_team_id"), ["team_id"], unique=False)
    op.create_table(
        "multi_retro_themes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("multi_retro_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["multi_retro_id"],
            ["multi_retros.id"],
            name=op.f("fk_multi_retro_themes_multi_retro_id_multi_retros"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_multi_retro_themes")),
    )
    with op.batch_alter_table("multi_retro_themes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_multi_retro_themes_multi_retro_id"), ["multi_retro_id"], unique=False)
    op.create_table(
        "multi_retro_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("multi_retro_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("voter_token", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["multi_retro_id"],
            ["multi_retros.id"],
            name=op.f("fk_multi_retro_votes_multi_retro_id_multi_retros"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["multi_retro_themes.id"],
            name=op.f("fk_multi_retro_votes_theme_id_multi_retro_themes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_multi_retro_votes")),
    )
    with op.batch_alter_table("multi_retro_votes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_multi_retro_votes_multi_retro_id"), ["multi_retro_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_multi_retro_votes_theme_id"), ["theme_id"], unique=False)
    op.create_table(
        "multi_retro_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("multi_retro_id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["multi_retro_id"],
            ["multi_retros.id"],
            name=op.f("fk_multi_retro_actions_multi_retro_id_multi_retros"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["improvement_actions.id"],
            name=op.f("fk_multi_retro_actions_action_id_improvement_actions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["multi_retro_themes.id"],
            name=op.f("fk_multi_retro_actions_theme_id_multi_retro_themes"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_multi_retro_actions")),
        sa.UniqueConstraint("action_id", name=op.f("uq_multi_retro_actions_action_id")),
    )
    with op.batch_alter_table("multi_retro_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_multi_retro_actions_multi_retro_id"), ["multi_retro_id"], unique=False)


def downgrade() -> None:
    op.drop_table("multi_retro_actions")
    op.drop_table("multi_retro_votes")
    op.drop_table("multi_retro_themes")
    op.drop_table("multi_retro_breakouts")
    op.drop_table("multi_retros")

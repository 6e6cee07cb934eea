"""live sessions: stand-ups, refinements and plannings, their notes per item, and the actions they decide

Revision ID: 0033_live_sessions
Revises: 0031_retro_board
Create Date: 2026-12-07 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import deliveryops.db

revision = "0033_live_sessions"
down_revision = "0031_retro_board"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "live_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind", sa.Enum("standup", "refinement", "planning", name="kind", native_enum=False, length=20), nullable=False
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("facilitator_id", sa.Integer(), nullable=True),
        sa.Column("agenda", sa.JSON(), nullable=False),
        sa.Column("focus", sa.Integer(), nullable=False),
        sa.Column("by_date", sa.Date(), nullable=True),
        sa.Column("forecast_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("timer_ends_at", deliveryops.db.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.Column("finished_at", deliveryops.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["facilitator_id"], ["users.id"], name=op.f("fk_live_sessions_facilitator_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["forecast_id"], ["forecasts.id"], name=op.f("fk_live_sessions_forecast_id_forecasts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_live_sessions_team_id_teams"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_sessions")),
    )
    with op.batch_alter_table("live_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_sessions_team_id"), ["team_id"], unique=False)
    op.create_table(
        "live_session_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=100), nullable=False),
        sa.Column("helper_ids", sa.JSON(), nullable=False),
        sa.Column("impediment_id", sa.Integer(), nullable=True),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("acceptance_criteria", sa.Text(), nullable=False),
        sa.Column("estimate", sa.Float(), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["impediment_id"],
            ["impediments.id"],
            name=op.f("fk_live_session_items_impediment_id_impediments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["live_sessions.id"], name=op.f("fk_live_session_items_session_id_live_sessions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_session_items")),
        sa.UniqueConstraint("session_id", "item_key", name="uq_live_session_items_session_key"),
    )
    with op.batch_alter_table("live_session_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_session_items_session_id"), ["session_id"], unique=False)
    with op.batch_alter_table("improvement_actions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_improvement_actions_session_id_live_sessions"),
            "live_sessions",
            ["session_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("improvement_actions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_improvement_actions_session_id_live_sessions"), type_="foreignkey")
        batch_op.drop_column("session_id")
    with op.batch_alter_table("live_session_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_session_items_session_id"))
    op.drop_table("live_session_items")
    with op.batch_alter_table("live_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_sessions_team_id"))
    op.drop_table("live_sessions")

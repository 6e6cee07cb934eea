"""coaching insights and notes

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import deliveryops.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coaching_insights",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("magnitude", sa.Float(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("first_seen_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.Column("resolved_at", deliveryops.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["improvement_actions.id"],
            name=op.f("fk_coaching_insights_action_id_improvement_actions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_coaching_insights_team_id_teams"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_insights")),
        sa.UniqueConstraint("team_id", "kind", "subject", name="uq_coaching_insights_subject"),
    )
    with op.batch_alter_table("coaching_insights", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coaching_insights_team_id"), ["team_id"], unique=False)

    op.create_table(
        "coaching_dismissals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("magnitude", sa.Float(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.Column("until", deliveryops.db.UTCDateTime(), nullable=True),
        sa.Column("lifted_at", deliveryops.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"], name=op.f("fk_coaching_dismissals_by_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_coaching_dismissals_team_id_teams"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_dismissals")),
    )
    with op.batch_alter_table("coaching_dismissals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coaching_dismissals_team_id"), ["team_id"], unique=False)

    op.create_table(
        "coaching_states",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("inputs", sa.String(length=64), nullable=False),
        sa.Column("computed_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_coaching_states_team_id_teams"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_coaching_states")),
    )

    op.create_table(
        "coaching_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("shared_with_team", sa.Boolean(), nullable=False),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_coaching_notes_author_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_coaching_notes_team_id_teams"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_notes")),
    )
    with op.batch_alter_table("coaching_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coaching_notes_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_coaching_notes_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("coaching_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coaching_notes_team_id"))
        batch_op.drop_index(batch_op.f("ix_coaching_notes_author_id"))
    op.drop_table("coaching_notes")
    op.drop_table("coaching_states")
    with op.batch_alter_table("coaching_dismissals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coaching_dismissals_team_id"))
    op.drop_table("coaching_dismissals")
    with op.batch_alter_table("coaching_insights", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coaching_insights_team_id"))
    op.drop_table("coaching_insights")

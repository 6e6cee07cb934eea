"""roadmap: team calendars (holiday country, planned absences) and roadmap plans (sharing rule, epic order and shares)

Revision ID: 0030_roadmap
Revises: 0029_outcomes
Create Date: 2026-12-07 10:51:17
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import deliveryops.db

revision = "0030_roadmap"
down_revision = "0029_outcomes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "roadmap_epics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("epic_key", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("share", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_roadmap_epics_team_id_teams"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmap_epics")),
        sa.UniqueConstraint("team_id", "epic_key", name="uq_roadmap_epics_team_epic"),
    )
    with op.batch_alter_table("roadmap_epics", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roadmap_epics_team_id"), ["team_id"], unique=False)

    op.create_table(
        "roadmap_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("updated_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_roadmap_plans_team_id_teams"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_roadmap_plans_updated_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmap_plans")),
        sa.UniqueConstraint("team_id", name=op.f("uq_roadmap_plans_team_id")),
    )
    op.create_table(
        "team_absences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_team_absences_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_team_absences_team_id_teams"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_absences")),
    )
    with op.batch_alter_table("team_absences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_absences_team_id"), ["team_id"], unique=False)

    op.create_table(
        "team_calendars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=True),
        sa.Column("subdivision", sa.String(length=16), nullable=True),
        sa.Column("updated_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_team_calendars_team_id_teams"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_team_calendars_updated_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_calendars")),
        sa.UniqueConstraint("team_id", name=op.f("uq_team_calendars_team_id")),
    )


def downgrade() -> None:
    op.drop_table("team_calendars")
    with op.batch_alter_table("team_absences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_absences_team_id"))

    op.drop_table("team_absences")
    op.drop_table("roadmap_plans")
    with op.batch_alter_table("roadmap_epics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roadmap_epics_team_id"))

    op.drop_table("roadmap_epics")

"""tools, practices and adoption

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import deliveryops.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cockpit_catalogue_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("tool", "practice", name="entrykind", native_enum=False, length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("guide", sa.Text(), nullable=False),
        sa.Column(
            "data_check",
            sa.Enum(
                "regular_retrospectives",
                "wip_limits",
                "experiment_preregistration",
                name="datacheck",
                native_enum=False,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_cockpit_catalogue_entries_owner_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cockpit_catalogue_entries")),
        sa.UniqueConstraint("name", name=op.f("uq_cockpit_catalogue_entries_name")),
    )
    op.create_table(
        "cockpit_adoption_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("not_started", "trying", "adopted", "not_applicable", name="adoptionlevel", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("set_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["cockpit_catalogue_entries.id"],
            name=op.f("fk_cockpit_adoption_states_entry_id_cockpit_catalogue_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"], ["users.id"], name=op.f("fk_cockpit_adoption_states_set_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_cockpit_adoption_states_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cockpit_adoption_states")),
    )
    op.create_index(op.f("ix_cockpit_adoption_states_entry_id"), "cockpit_adoption_states", ["entry_id"], unique=False)
    op.create_index(
        "ix_cockpit_adoption_states_team_entry", "cockpit_adoption_states", ["team_id", "entry_id", "set_at"], unique=False
    )
    op.create_index(op.f("ix_cockpit_adoption_states_team_id"), "cockpit_adoption_states", ["team_id"], unique=False)
    op.create_table(
        "cockpit_team_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("wip_limit", sa.Integer(), nullable=True),
        sa.Column("updated_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_cockpit_team_settings_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cockpit_team_settings")),
        sa.UniqueConstraint("team_id", name=op.f("uq_cockpit_team_settings_team_id")),
    )
    op.create_table(
        "cockpit_impediment_tools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("impediment_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("linked_by_id", sa.Integer(), nullable=True),
        sa.Column("linked_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["cockpit_catalogue_entries.id"],
            name=op.f("fk_cockpit_impediment_tools_entry_id_cockpit_catalogue_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["impediment_id"],
            ["impediments.id"],
            name=op.f("fk_cockpit_impediment_tools_impediment_id_impediments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["linked_by_id"], ["users.id"], name=op.f("fk_cockpit_impediment_tools_linked_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cockpit_impediment_tools")),
        sa.UniqueConstraint("impediment_id", name="uq_cockpit_impediment_tools_impediment"),
    )
    op.create_index(op.f("ix_cockpit_impediment_tools_entry_id"), "cockpit_impediment_tools", ["entry_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_cockpit_impediment_tools_entry_id"), table_name="cockpit_impediment_tools")
    op.drop_table("cockpit_impediment_tools")
    op.drop_table("cockpit_team_settings")
    op.drop_index(op.f("ix_cockpit_adoption_states_team_id"), table_name="cockpit_adoption_states")
    op.drop_index("ix_cockpit_adoption_states_team_entry", table_name="cockpit_adoption_states")
    op.drop_index(op.f("ix_cockpit_adoption_states_entry_id"), table_name="cockpit_adoption_states")
    op.drop_table("cockpit_adoption_states")
    op.drop_table("cockpit_catalogue_entries")

"""dependencies: functions outside engineering, cross-team dependencies and their negotiation history

Revision ID: 0022_dependencies
Revises: 0021_action_targets
Create Date: 2026-12-07 09:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import deliveryops.db

revision = "0022_dependencies"
down_revision = "0021_action_targets"
branch_labels = None
depends_on = None

SEEDED_FUNCTIONS = ("Design", "Data", "Security", "Legal", "Marketing", "Sales", "Support")


def upgrade() -> None:
    functions = op.create_table(
        "dependency_functions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_dependency_functions_owner_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dependency_functions")),
        sa.UniqueConstraint("name", name=op.f("uq_dependency_functions_name")),
    )
    op.create_table(
        "dependencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester_team_id", sa.Integer(), nullable=False),
        sa.Column("provider_team_id", sa.Integer(), nullable=True),
        sa.Column("provider_function_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("needed_by", sa.Date(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "requested",
                "accepted",
                "countered",
                "declined",
                "delivered",
                "missed",
                name="dependencystate",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("committed_on", sa.Date(), nullable=True),
        sa.Column("countered_on", sa.Date(), nullable=True),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=False),
        sa.Column("requester_keys", sa.String(length=1000), nullable=False),
        sa.Column("provider_keys", sa.String(length=1000), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_dependencies_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["provider_function_id"],
            ["dependency_functions.id"],
            name=op.f("fk_dependencies_provider_function_id_dependency_functions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_team_id"], ["teams.id"], name=op.f("fk_dependencies_provider_team_id_teams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["requester_team_id"], ["teams.id"], name=op.f("fk_dependencies_requester_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dependencies")),
    )
    with op.batch_alter_table("dependencies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dependencies_provider_function_id"), ["provider_function_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dependencies_provider_team_id"), ["provider_team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dependencies_requester_team_id"), ["requester_team_id"], unique=False)
    op.create_table(
        "dependency_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dependency_id", sa.Integer(), nullable=False),
        sa.Column("at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_dependency_events_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["dependency_id"],
            ["dependencies.id"],
            name=op.f("fk_dependency_events_dependency_id_dependencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dependency_events")),
    )
    with op.batch_alter_table("dependency_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dependency_events_dependency_id"), ["dependency_id"], unique=False)

    now = deliveryops.db.utcnow()
    op.bulk_insert(functions, [{"name": name, "owner_id": None, "active": True, "created_at": now} for name in SEEDED_FUNCTIONS])


def downgrade() -> None:
    with op.batch_alter_table("dependency_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dependency_events_dependency_id"))
    op.drop_table("dependency_events")
    with op.batch_alter_table("dependencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dependencies_requester_team_id"))
        batch_op.drop_index(batch_op.f("ix_dependencies_provider_team_id"))
        batch_op.drop_index(batch_op.f("ix_dependencies_provider_function_id"))
    op.drop_table("dependencies")
    op.drop_table("dependency_functions")

"""dependency detection: proposals found in the data, mapped link types, aliases, inbound hooks; link labels

Adds the proposals found in tracker links, blocked reasons and cross-repository references (confirmed or
dismissed by a person), the link phrases and aliases an admin maps, the inbound hooks (tokens encrypted) with
the external ids they sent, the phrase of each non-"Blocks" tracker link (``item_links.label``) and the other
repositories' issues a pull request names (``changes.references``).

Revision ID: 0027_dependency_detection
Revises: 0023_held_sessions
Create Date: 2026-12-07 10:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import deliveryops.db

revision = "0027_dependency_detection"
down_revision = "0023_held_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dependency_link_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phrase", sa.String(length=100), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dependency_link_types")),
        sa.UniqueConstraint("phrase", name=op.f("uq_dependency_link_types_phrase")),
    )
    op.create_table(
        "dependency_inbound_hooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_encrypted", sa.Text(), nullable=False),
        sa.Column("prefix", sa.String(length=20), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.Column("last_used_at", deliveryops.db.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", deliveryops.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_dependency_inbound_hooks_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dependency_inbound_hooks")),
    )
    op.create_table(
        "dependency_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=100), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("function_id", sa.Integer(), nullable=True),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["function_id"],
            ["dependency_functions.id"],
            name=op.f("fk_dependency_aliases_function_id_dependency_functions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_dependency_aliases_team_id_teams"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dependency_aliases")),
        sa.UniqueConstraint("alias", name=op.f("uq_dependency_aliases_alias")),
    )
    op.create_table(
        "dependency_external_refs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hook_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("dependency_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dependency_id"],
            ["dependencies.id"],
            name=op.f("fk_dependency_external_refs_dependency_id_dependencies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hook_id"],
            ["dependency_inbound_hooks.id"],
            name=op.f("fk_dependency_external_refs_hook_id_dependency_inbound_hooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dependency_external_refs")),
        sa.UniqueConstraint("dependency_id", name=op.f("uq_dependency_external_refs_dependency_id")),
        sa.UniqueConstraint("hook_id", "external_id", name="uq_dependency_external_refs_hook_external"),
    )
    op.create_table(
        "dependency_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("requester_team_id", sa.Integer(), nullable=False),
        sa.Column("provider_team_id", sa.Integer(), nullable=True),
        sa.Column("provider_function_id", sa.Integer(), nullable=True),
        sa.Column("requester_key", sa.String(length=100), nullable=False),
        sa.Column("provider_key", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("proposed", "confirmed", "dismissed", name="proposalstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("dependency_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", deliveryops.db.UTCDateTime(), nullable=True),
        sa.Column("dismiss_reason", sa.Text(), nullable=False),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_dependency_proposals_decided_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["dependency_id"],
            ["dependencies.id"],
            name=op.f("fk_dependency_proposals_dependency_id_dependencies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["provider_function_id"],
            ["dependency_functions.id"],
            name=op.f("fk_dependency_proposals_provider_function_id_dependency_functions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_team_id"], ["teams.id"], name=op.f("fk_dependency_proposals_provider_team_id_teams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["requester_team_id"], ["teams.id"], name=op.f("fk_dependency_proposals_requester_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dependency_proposals")),
        sa.UniqueConstraint("signature", name=op.f("uq_dependency_proposals_signature")),
    )
    with op.batch_alter_table("dependency_proposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dependency_proposals_provider_team_id"), ["provider_team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dependency_proposals_requester_team_id"), ["requester_team_id"], unique=False)

    with op.batch_alter_table("item_links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("label", sa.String(length=100), server_default="", nullable=False))
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("references", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.drop_column("references")
    with op.batch_alter_table("item_links", schema=None) as batch_op:
        batch_op.drop_column("label")

    with op.batch_alter_table("dependency_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dependency_proposals_requester_team_id"))
        batch_op.drop_index(batch_op.f("ix_dependency_proposals_provider_team_id"))

    op.drop_table("dependency_proposals")
    op.drop_table("dependency_external_refs")
    op.drop_table("dependency_aliases")
    op.drop_table("dependency_inbound_hooks")
    op.drop_table("dependency_link_types")

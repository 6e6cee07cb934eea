"""dependency risk: the chance of delivery of accepted dependencies; the ROAM register of cross-team risks

Revision ID: 0028_dependency_risk
Revises: 0027_dependency_detection
Create Date: 2026-12-07 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import deliveryops.db

revision = "0028_dependency_risk"
down_revision = "0027_dependency_detection"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "resolved", "owned", "accepted", "mitigated", name="roamstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "impact", sa.Enum("low", "medium", "high", "critical", name="impact", native_enum=False, length=20), nullable=False
        ),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_risks_created_by_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_risks_owner_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_risks_team_id_teams"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risks")),
    )
    with op.batch_alter_table("risks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risks_team_id"), ["team_id"], unique=False)

    op.create_table(
        "dependency_risks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dependency_id", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("chance_needed", sa.Float(), nullable=True),
        sa.Column("chance_committed", sa.Float(), nullable=True),
        sa.Column("remaining_items", sa.Integer(), nullable=True),
        sa.Column("ahead_items", sa.Integer(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=True),
        sa.Column("inputs_version", sa.String(length=40), nullable=False),
        sa.Column("computed_at", deliveryops.db.UTCDateTime(), nullable=True),
        sa.Column("impediment_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dependency_id"],
            ["dependencies.id"],
            name=op.f("fk_dependency_risks_dependency_id_dependencies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["impediment_id"],
            ["impediments.id"],
            name=op.f("fk_dependency_risks_impediment_id_impediments"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dependency_risks")),
        sa.UniqueConstraint("dependency_id", name=op.f("uq_dependency_risks_dependency_id")),
    )
    op.create_table(
        "risk_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("risk_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind", sa.Enum("dependency", "impediment", "epic", name="linkkind", native_enum=False, length=20), nullable=False
        ),
        sa.Column("ref", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["risk_id"], ["risks.id"], name=op.f("fk_risk_links_risk_id_risks"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_links")),
    )
    with op.batch_alter_table("risk_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_links_risk_id"), ["risk_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("risk_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_links_risk_id"))

    op.drop_table("risk_links")
    op.drop_table("dependency_risks")
    with op.batch_alter_table("risks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risks_team_id"))

    op.drop_table("risks")

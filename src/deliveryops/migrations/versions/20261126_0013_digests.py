"""digests

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import deliveryops.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leadership_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=30), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.Column("decided_at", deliveryops.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_leadership_questions_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f("fk_leadership_questions_group_id_groups"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leadership_questions")),
    )
    with op.batch_alter_table("leadership_questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leadership_questions_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_leadership_questions_period"), ["period"], unique=False)

    op.create_table(
        "digest_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("subscribed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_digest_subscriptions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_subscriptions")),
        sa.UniqueConstraint("user_id", name=op.f("uq_digest_subscriptions_user_id")),
    )
    op.create_table(
        "digest_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("sent_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_digest_sends_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_sends")),
        sa.UniqueConstraint("user_id", "week", name="uq_digest_sends_user_week"),
    )
    with op.batch_alter_table("digest_sends", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digest_sends_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("digest_sends", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digest_sends_user_id"))
    op.drop_table("digest_sends")
    op.drop_table("digest_subscriptions")
    with op.batch_alter_table("leadership_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leadership_questions_period"))
        batch_op.drop_index(batch_op.f("ix_leadership_questions_group_id"))
    op.drop_table("leadership_questions")

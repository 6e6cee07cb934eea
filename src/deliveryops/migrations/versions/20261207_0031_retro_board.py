"""retro board: reactions on cards and the icebreaker question

Revision ID: 0031_retro_board
Revises: 0030_roadmap
Create Date: 2026-12-07 12:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031_retro_board"
down_revision = "0030_roadmap"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retro_reactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("retro_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("emoji", sa.String(length=16), nullable=False),
        sa.Column("reactor_token", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"], ["retro_cards.id"], name=op.f("fk_retro_reactions_card_id_retro_cards"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["retro_id"], ["retros.id"], name=op.f("fk_retro_reactions_retro_id_retros"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retro_reactions")),
        sa.UniqueConstraint("card_id", "emoji", "reactor_token", name="uq_retro_reactions_card_emoji_reactor"),
    )
    with op.batch_alter_table("retro_reactions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retro_reactions_card_id"), ["card_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_retro_reactions_retro_id"), ["retro_id"], unique=False)
    with op.batch_alter_table("retros", schema=None) as batch_op:
        batch_op.add_column(sa.Column("icebreaker", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("retros", schema=None) as batch_op:
        batch_op.drop_column("icebreaker")
    with op.batch_alter_table("retro_reactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retro_reactions_retro_id"))
        batch_op.drop_index(batch_op.f("ix_retro_reactions_card_id"))
    op.drop_table("retro_reactions")

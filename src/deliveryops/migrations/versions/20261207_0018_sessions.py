"""sessions: server-side sign-in sessions; retro cards unlinkable across retros

Revision ID: 0018_sessions
Revises: 0017_forecast_commitments
Create Date: 2026-12-07 09:00:00

- ``user_sessions``: one row per signed-in browser session (the cookie holds only its random id), so that
  signing out, signing out everywhere and a password change end sessions wherever the cookie was copied.
  Cookies of the old kind (a signed user id) are no longer read: everyone signs in again once.
- ``retro_cards``: the writer token becomes per retro (``sha256(retro id : old token)``, which keeps a
  writer's cards together within a retro and unrelated across retros) and ``created_at`` keeps the day only.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

import deliveryops.db

revision = "0018_sessions"
down_revision = "0017_forecast_commitments"
branch_labels = None
depends_on = None

_CARDS = sa.table(
    "retro_cards",
    sa.column("id", sa.Integer()),
    sa.column("retro_id", sa.Integer()),
    sa.column("writer_token", sa.String(64)),
    sa.column("created_at", deliveryops.db.UTCDateTime()),
)


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.Column("ended_at", deliveryops.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_sessions_user_id"), ["user_id"], unique=False)

    connection = op.get_bind()
    rows = connection.execute(sa.select(_CARDS.c.id, _CARDS.c.retro_id, _CARDS.c.writer_token, _CARDS.c.created_at)).all()
    for card_id, retro_id, token, created_at in rows:
        values: dict[str, object] = {}
        if token:
            values["writer_token"] = hashlib.sha256(f"{retro_id}:{token}".encode()).hexdigest()
        if created_at is not None:
            values["created_at"] = created_at.replace(hour=0, minute=0, second=0, microsecond=0)
        if values:
            connection.execute(sa.update(_CARDS).where(_CARDS.c.id == card_id).values(**values))


def downgrade() -> None:
    # The cards' old tokens and times are not restored: that they cannot be is the point of the change.
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_user_id"))
    op.drop_table("user_sessions")

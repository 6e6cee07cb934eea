"""forecast commitments: what-ifs are kept apart from the forecasts a team committed to

Forecasts stored before this revision were all scored; they stay commitments, marked
"before_commitments". Where the same question was stored more than once on one day (same team,
kind, label, day, dates and window), only the first stays a commitment; the repeats become what-ifs,
so a forecast posted twice no longer counts twice in the track record.

Revision ID: 0017_forecast_commitments
Revises: 0016
Create Date: 2026-12-07 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import deliveryops.db

revision = "0017_forecast_commitments"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("forecasts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("commitment", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("commit_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("committed_at", deliveryops.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("committed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("allocation", sa.String(length=200), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_forecasts_committed_by_id_users"), "users", ["committed_by_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_unique_constraint("uq_forecasts_commit_key", ["team_id", "commit_key"])

    forecasts = sa.table(
        "forecasts",
        sa.column("id", sa.Integer()),
        sa.column("team_id", sa.Integer()),
        sa.column("kind", sa.String()),
        sa.column("label", sa.String()),
        sa.column("start_date", sa.Date()),
        sa.column("window_start", sa.Date()),
        sa.column("window_end", sa.Date()),
        sa.column("by_date", sa.Date()),
        sa.column("target_date", sa.Date()),
        sa.column("user_id", sa.Integer()),
        sa.column("created_at", deliveryops.db.UTCDateTime()),
        sa.column("commitment", sa.String()),
        sa.column("committed_at", deliveryops.db.UTCDateTime()),
        sa.column("committed_by_id", sa.Integer()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            forecasts.c.id,
            forecasts.c.team_id,
            forecasts.c.kind,
            forecasts.c.label,
            forecasts.c.start_date,
            forecasts.c.window_start,
            forecasts.c.window_end,
            forecasts.c.by_date,
            forecasts.c.target_date,
        ).order_by(forecasts.c.id)
    ).all()
    seen: set[tuple[object, ...]] = set()
    kept: list[int] = []
    for row in rows:
        question = tuple(row[1:])
        if question in seen:
            continue
        seen.add(question)
        kept.append(row[0])
    for start in range(0, len(kept), 500):
        connection.execute(
            forecasts.update()
            .where(forecasts.c.id.in_(kept[start : start + 500]))
            .values(
                commitment="before_commitments",
                committed_at=forecasts.c.created_at,
                committed_by_id=forecasts.c.user_id,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("forecasts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_forecasts_commit_key", type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_forecasts_committed_by_id_users"), type_="foreignkey")
        batch_op.drop_column("allocation")
        batch_op.drop_column("committed_by_id")
        batch_op.drop_column("committed_at")
        batch_op.drop_column("commit_key")
        batch_op.drop_column("commitment")

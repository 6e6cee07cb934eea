"""health checks

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 12:30:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import deliveryops.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The Squad Health Check model's standard cards (Spotify), as the default template. A literal copy,
# so that this migration stays what it was whatever the application's constants become.
DEFAULT_NAME = "Squad Health Check"
DEFAULT_DESCRIPTION = (
    'The standard cards of the Squad Health Check model (Spotify, 2014): each card has an "awesome" and a "crappy" example.'
)
DEFAULT_CARDS = [
    (
        "easy_to_release",
        "Easy to release",
        "Releasing is simple, safe, painless and mostly automated.",
        "Releasing is risky, painful, lots of manual work, and takes forever.",
    ),
    ("suitable_process", "Suitable process", "Our way of working fits us perfectly.", "Our way of working sucks."),
    (
        "tech_quality",
        "Tech quality (health of codebase)",
        "We're proud of the quality of our code! It is clean, easy to read, and has great test coverage.",
        "Our code is a pile of dung, and technical debt is raging out of control.",
    ),
    (
        "value",
        "Value",
        "We deliver great stuff! We're proud of it and our stakeholders are really happy.",
        "We deliver crap. We feel ashamed to deliver it. Our stakeholders hate us.",
    ),
    (
        "speed",
        "Speed",
        "We get stuff done really quickly. No waiting, no delays.",
        "We never seem to get done with anything. We keep getting stuck or interrupted. Stories keep getting "
        "stuck on dependencies.",
    ),
    (
        "mission",
        "Mission",
        "We know exactly why we are here, and we are really excited about it.",
        "We have no idea why we are here. There is no high-level picture or focus. Our so-called mission is "
        "completely unclear and uninspiring.",
    ),
    ("fun", "Fun", "We love going to work, and have great fun working together.", "Boooooooring."),
    ("learning", "Learning", "We're learning lots of interesting stuff all the time!", "We never have time to learn anything."),
    (
        "support",
        "Support",
        "We always get great support and help when we ask for it!",
        "We keep getting stuck because we can't get the support and help that we ask for.",
    ),
    (
        "pawns_or_players",
        "Pawns or players",
        "We are in control of our destiny! We decide what to build and how to build it.",
        "We are just pawns in a game of chess, with no influence over what we build or how we build it.",
    ),
]


def upgrade() -> None:
    op.create_table(
        "health_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_health_templates_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_health_templates_name")),
    )
    op.create_table(
        "health_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("template_name", sa.String(length=100), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.Column("closes_at", deliveryops.db.UTCDateTime(), nullable=True),
        sa.Column("closed_at", deliveryops.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["opened_by_id"], ["users.id"], name=op.f("fk_health_rounds_opened_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_health_rounds_team_id_teams"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["health_templates.id"],
            name=op.f("fk_health_rounds_template_id_health_templates"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_rounds")),
    )
    with op.batch_alter_table("health_rounds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_health_rounds_team_id"), ["team_id"], unique=False)

    op.create_table(
        "health_template_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("awesome", sa.Text(), nullable=False),
        sa.Column("crappy", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["health_templates.id"],
            name=op.f("fk_health_template_cards_template_id_health_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_template_cards")),
        sa.UniqueConstraint("template_id", "key", name="uq_health_template_cards_template_key"),
    )
    with op.batch_alter_table("health_template_cards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_health_template_cards_template_id"), ["template_id"], unique=False)

    op.create_table(
        "health_participations",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["health_rounds.id"], name=op.f("fk_health_participations_round_id_health_rounds"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_health_participations_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("round_id", "user_id", name="pk_health_participations"),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("health_participations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_health_participations_user_id"), ["user_id"], unique=False)

    op.create_table(
        "health_round_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("awesome", sa.Text(), nullable=False),
        sa.Column("crappy", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["health_rounds.id"], name=op.f("fk_health_round_cards_round_id_health_rounds"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_round_cards")),
        sa.UniqueConstraint("round_id", "key", name="uq_health_round_cards_round_key"),
    )
    with op.batch_alter_table("health_round_cards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_health_round_cards_round_id"), ["round_id"], unique=False)

    op.create_table(
        "health_comments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False),
        sa.Column("round_card_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_card_id"],
            ["health_round_cards.id"],
            name=op.f("fk_health_comments_round_card_id_health_round_cards"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_comments")),
    )
    with op.batch_alter_table("health_comments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_health_comments_round_card_id"), ["round_card_id"], unique=False)

    op.create_table(
        "health_tallies",
        sa.Column("round_card_id", sa.Integer(), nullable=False),
        sa.Column("colour", sa.Enum("green", "amber", "red", name="colour", native_enum=False, length=8), nullable=False),
        sa.Column("trend", sa.Enum("better", "same", "worse", name="trend", native_enum=False, length=8), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_card_id"],
            ["health_round_cards.id"],
            name=op.f("fk_health_tallies_round_card_id_health_round_cards"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("round_card_id", "colour", "trend", name="pk_health_tallies"),
        sqlite_with_rowid=False,
    )
    _seed_default_template()


def _seed_default_template() -> None:
    templates = sa.table(
        "health_templates",
        sa.column("id", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("description", sa.Text()),
        sa.column("is_default", sa.Boolean()),
        sa.column("version", sa.Integer()),
        sa.column("created_at", deliveryops.db.UTCDateTime()),
        sa.column("updated_at", deliveryops.db.UTCDateTime()),
    )
    cards = sa.table(
        "health_template_cards",
        sa.column("template_id", sa.Integer()),
        sa.column("position", sa.Integer()),
        sa.column("key", sa.String()),
        sa.column("title", sa.String()),
        sa.column("awesome", sa.Text()),
        sa.column("crappy", sa.Text()),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        templates,
        [
            {
                "name": DEFAULT_NAME,
                "description": DEFAULT_DESCRIPTION,
                "is_default": True,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )
    template_id = op.get_bind().scalar(sa.select(templates.c.id).where(templates.c.name == DEFAULT_NAME))
    op.bulk_insert(
        cards,
        [
            {"template_id": template_id, "position": position, "key": key, "title": title, "awesome": awesome, "crappy": crappy}
            for position, (key, title, awesome, crappy) in enumerate(DEFAULT_CARDS)
        ],
    )


def downgrade() -> None:
    op.drop_table("health_tallies")
    with op.batch_alter_table("health_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_health_comments_round_card_id"))

    op.drop_table("health_comments")
    with op.batch_alter_table("health_round_cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_health_round_cards_round_id"))

    op.drop_table("health_round_cards")
    with op.batch_alter_table("health_participations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_health_participations_user_id"))

    op.drop_table("health_participations")
    with op.batch_alter_table("health_template_cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_health_template_cards_template_id"))

    op.drop_table("health_template_cards")
    with op.batch_alter_table("health_rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_health_rounds_team_id"))

    op.drop_table("health_rounds")
    op.drop_table("health_templates")

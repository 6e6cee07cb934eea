"""held sessions and the catalogue's data checks

Adds the light "we held it" record of retros and health checks held outside DeliveryOps, and maps
the standard catalogue entries (by their standard names) that have no data check yet to the check
that observes them, or to "not_observable" where no data the product holds can show their use.
Entries an admin already mapped are left alone.

Revision ID: 0023_held_sessions
Revises: 0022_dependencies
Create Date: 2026-12-07 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import deliveryops.db

revision = "0023_held_sessions"
down_revision = "0022_dependencies"
branch_labels = None
depends_on = None

# Standard entry name -> data check (the demo catalogue's names).
STANDARD_CHECKS = {
    "Jira": "tracker_sync",
    "GitHub": "code_review",
    "GitHub Actions": "github_actions",
    "LaunchDarkly": "not_observable",
    "Amplitude": "not_observable",
    "Grafana": "not_observable",
    "Slack": "not_observable",
    "Confluence": "not_observable",
    "WIP limits": "wip_limits",
    "Definition of done": "not_observable",
    "Regular retrospectives": "regular_retrospectives",
    "Experiment pre-registration": "experiment_preregistration",
    "Service level expectation": "forecasting",
    "Trunk-based development": "trunk_based",
    "Blameless postmortems": "not_observable",
    "Daily aging review": "not_observable",
}


def upgrade() -> None:
    op.create_table(
        "cockpit_held_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("retro", "health_check", name="heldkind", native_enum=False, length=20), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_cockpit_held_sessions_recorded_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_cockpit_held_sessions_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cockpit_held_sessions")),
    )
    op.create_index(
        "ix_cockpit_held_sessions_team_kind_held", "cockpit_held_sessions", ["team_id", "kind", "held_on"], unique=False
    )
    entries = sa.table("cockpit_catalogue_entries", sa.column("name", sa.String()), sa.column("data_check", sa.String()))
    for name, check in STANDARD_CHECKS.items():
        op.execute(entries.update().where(entries.c.name == name, entries.c.data_check.is_(None)).values(data_check=check))


def downgrade() -> None:
    op.drop_index("ix_cockpit_held_sessions_team_kind_held", table_name="cockpit_held_sessions")
    op.drop_table("cockpit_held_sessions")

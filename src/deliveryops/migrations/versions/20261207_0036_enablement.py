"""enablement: organisation-level actions, playbooks, onboarding checklists, communities of practice

Revision ID: 0036_enablement
Revises: 0035_rollouts
Create Date: 2026-12-07 13:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import deliveryops.db

revision = "0036_enablement"
down_revision = "0035_rollouts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "onboarding_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("team", "delivery_manager", "member", name="onboardingkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("updated_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onboarding_templates")),
        sa.UniqueConstraint("kind", name=op.f("uq_onboarding_templates_kind")),
    )
    op.create_table(
        "onboarding_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["onboarding_templates.id"],
            name=op.f("fk_onboarding_items_template_id_onboarding_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onboarding_items")),
    )
    with op.batch_alter_table("onboarding_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_onboarding_items_template_id"), ["template_id"], unique=False)

    op.create_table(
        "communities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["cockpit_catalogue_entries.id"],
            name=op.f("fk_communities_entry_id_cockpit_catalogue_entries"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_communities_owner_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_communities")),
        sa.UniqueConstraint("name", name=op.f("uq_communities_name")),
    )
    op.create_table(
        "onboarding_checklists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("team", "delivery_manager", "member", name="onboardingkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_onboarding_checklists_team_id_teams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_onboarding_checklists_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onboarding_checklists")),
        sa.UniqueConstraint("kind", "team_id", "user_id", name="uq_onboarding_checklists_subject"),
    )
    with op.batch_alter_table("onboarding_checklists", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_onboarding_checklists_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_onboarding_checklists_user_id"), ["user_id"], unique=False)

    op.create_table(
        "org_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("open", "doing", "done", "dropped", name="actionstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column(
            "target_metric",
            sa.Enum(
                "cycle_time_p85",
                "throughput",
                "wip",
                "flow_efficiency",
                "blocked_days",
                "deployment_frequency",
                "lead_time",
                "change_failure_rate",
                "time_to_restore",
                "health_card",
                name="targetmetric",
                native_enum=False,
                length=30,
            ),
            nullable=True,
        ),
        sa.Column("expected_direction", sa.String(length=10), nullable=True),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["cockpit_catalogue_entries.id"],
            name=op.f("fk_org_actions_entry_id_cockpit_catalogue_entries"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_org_actions_owner_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_actions")),
    )
    op.create_table(
        "playbooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("practice_key", sa.String(length=60), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["cockpit_catalogue_entries.id"],
            name=op.f("fk_playbooks_entry_id_cockpit_catalogue_entries"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_playbooks_owner_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbooks")),
    )
    with op.batch_alter_table("playbooks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_playbooks_entry_id"), ["entry_id"], unique=False)

    op.create_table(
        "community_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_community_events_community_id_communities"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_events")),
    )
    with op.batch_alter_table("community_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_community_events_community_id"), ["community_id"], unique=False)

    op.create_table(
        "community_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_community_members_community_id_communities"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_community_members_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_members")),
        sa.UniqueConstraint("community_id", "user_id", name="uq_community_members_person"),
    )
    with op.batch_alter_table("community_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_community_members_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_community_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "onboarding_ticks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checklist_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("ticked_by_id", sa.Integer(), nullable=True),
        sa.Column("ticked_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checklist_id"],
            ["onboarding_checklists.id"],
            name=op.f("fk_onboarding_ticks_checklist_id_onboarding_checklists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["onboarding_items.id"], name=op.f("fk_onboarding_ticks_item_id_onboarding_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["ticked_by_id"], ["users.id"], name=op.f("fk_onboarding_ticks_ticked_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onboarding_ticks")),
        sa.UniqueConstraint("checklist_id", "item_id", name="uq_onboarding_ticks_item"),
    )
    with op.batch_alter_table("onboarding_ticks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_onboarding_ticks_checklist_id"), ["checklist_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_onboarding_ticks_item_id"), ["item_id"], unique=False)

    op.create_table(
        "org_action_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_action_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_action_id"], ["org_actions.id"], name=op.f("fk_org_action_teams_org_action_id_org_actions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_org_action_teams_team_id_teams"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_action_teams")),
        sa.UniqueConstraint("org_action_id", "team_id", name="uq_org_action_teams_action_team"),
    )
    with op.batch_alter_table("org_action_teams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_org_action_teams_org_action_id"), ["org_action_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_org_action_teams_team_id"), ["team_id"], unique=False)

    op.create_table(
        "playbook_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("playbook_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_playbook_versions_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["playbook_id"], ["playbooks.id"], name=op.f("fk_playbook_versions_playbook_id_playbooks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_versions")),
        sa.UniqueConstraint("playbook_id", "number", name="uq_playbook_versions_number"),
    )
    with op.batch_alter_table("playbook_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_playbook_versions_playbook_id"), ["playbook_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("playbook_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_playbook_versions_playbook_id"))

    op.drop_table("playbook_versions")
    with op.batch_alter_table("org_action_teams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_action_teams_team_id"))
        batch_op.drop_index(batch_op.f("ix_org_action_teams_org_action_id"))

    op.drop_table("org_action_teams")
    with op.batch_alter_table("onboarding_ticks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onboarding_ticks_item_id"))
        batch_op.drop_index(batch_op.f("ix_onboarding_ticks_checklist_id"))

    op.drop_table("onboarding_ticks")
    with op.batch_alter_table("community_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_members_user_id"))
        batch_op.drop_index(batch_op.f("ix_community_members_community_id"))

    op.drop_table("community_members")
    with op.batch_alter_table("community_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_events_community_id"))

    op.drop_table("community_events")
    with op.batch_alter_table("playbooks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_playbooks_entry_id"))

    op.drop_table("playbooks")
    op.drop_table("org_actions")
    with op.batch_alter_table("onboarding_checklists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onboarding_checklists_user_id"))
        batch_op.drop_index(batch_op.f("ix_onboarding_checklists_team_id"))

    op.drop_table("onboarding_checklists")
    op.drop_table("communities")
    with op.batch_alter_table("onboarding_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onboarding_items_template_id"))

    op.drop_table("onboarding_items")
    op.drop_table("onboarding_templates")

"""outcomes: KPI series and values, objectives, key results and their links, decision briefs and evidence

Revision ID: 0029_outcomes
Revises: 0028_dependency_risk
Create Date: 2026-12-07 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import deliveryops.db

revision = "0029_outcomes"
down_revision = "0028_dependency_risk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kpi_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name=op.f("fk_kpi_series_group_id_groups"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_kpi_series_team_id_teams"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_series")),
        sa.UniqueConstraint("name", name=op.f("uq_kpi_series_name")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_kpi_series_token_hash")),
    )
    with op.batch_alter_table("kpi_series", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kpi_series_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_kpi_series_team_id"), ["team_id"], unique=False)

    op.create_table(
        "objectives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=30), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name=op.f("fk_objectives_group_id_groups"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_objectives_owner_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_objectives_team_id_teams"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objectives")),
    )
    with op.batch_alter_table("objectives", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_objectives_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_objectives_period"), ["period"], unique=False)
        batch_op.create_index(batch_op.f("ix_objectives_team_id"), ["team_id"], unique=False)

    op.create_table(
        "key_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("objective_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column(
            "source", sa.Enum("kpi", "metric", "experiment", name="sourcekind", native_enum=False, length=20), nullable=False
        ),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("metric", sa.String(length=30), nullable=True),
        sa.Column("metric_team_id", sa.Integer(), nullable=True),
        sa.Column("experiment_id", sa.Integer(), nullable=True),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"], ["experiments.id"], name=op.f("fk_key_results_experiment_id_experiments"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["metric_team_id"], ["teams.id"], name=op.f("fk_key_results_metric_team_id_teams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["objective_id"], ["objectives.id"], name=op.f("fk_key_results_objective_id_objectives"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_key_results_owner_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["series_id"], ["kpi_series.id"], name=op.f("fk_key_results_series_id_kpi_series"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_results")),
    )
    with op.batch_alter_table("key_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_key_results_objective_id"), ["objective_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_key_results_series_id"), ["series_id"], unique=False)

    op.create_table(
        "kpi_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"], ["kpi_series.id"], name=op.f("fk_kpi_values_series_id_kpi_series"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_values")),
        sa.UniqueConstraint("series_id", "on", name="uq_kpi_values_series_on"),
    )
    with op.batch_alter_table("kpi_values", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kpi_values_series_id"), ["series_id"], unique=False)

    op.create_table(
        "decision_briefs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("recommendation", sa.Text(), nullable=False),
        sa.Column("effect_series_id", sa.Integer(), nullable=True),
        sa.Column("effect_key_result_id", sa.Integer(), nullable=True),
        sa.Column("effect_direction", sa.String(length=10), nullable=True),
        sa.Column("effect_size", sa.Float(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        sa.Column("updated_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["effect_key_result_id"],
            ["key_results.id"],
            name=op.f("fk_decision_briefs_effect_key_result_id_key_results"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["effect_series_id"],
            ["kpi_series.id"],
            name=op.f("fk_decision_briefs_effect_series_id_kpi_series"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["leadership_questions.id"],
            name=op.f("fk_decision_briefs_question_id_leadership_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_briefs")),
        sa.UniqueConstraint("question_id", name=op.f("uq_decision_briefs_question_id")),
    )
    op.create_table(
        "key_result_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_result_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("epic", "experiment", "action", "dependency", name="linkkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("created_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_result_id"], ["key_results.id"], name=op.f("fk_key_result_links_key_result_id_key_results"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_result_links")),
        sa.UniqueConstraint("key_result_id", "kind", "target_id", name="uq_key_result_links_kr_kind_target"),
    )
    with op.batch_alter_table("key_result_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_key_result_links_key_result_id"), ["key_result_id"], unique=False)

    op.create_table(
        "decision_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brief_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_at", deliveryops.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["users.id"], name=op.f("fk_decision_evidence_added_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["brief_id"], ["decision_briefs.id"], name=op.f("fk_decision_evidence_brief_id_decision_briefs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_evidence")),
    )
    with op.batch_alter_table("decision_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decision_evidence_brief_id"), ["brief_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("decision_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_evidence_brief_id"))

    op.drop_table("decision_evidence")
    with op.batch_alter_table("key_result_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_result_links_key_result_id"))

    op.drop_table("key_result_links")
    op.drop_table("decision_briefs")
    with op.batch_alter_table("kpi_values", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kpi_values_series_id"))

    op.drop_table("kpi_values")
    with op.batch_alter_table("key_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_results_series_id"))
        batch_op.drop_index(batch_op.f("ix_key_results_objective_id"))

    op.drop_table("key_results")
    with op.batch_alter_table("objectives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_objectives_team_id"))
        batch_op.drop_index(batch_op.f("ix_objectives_period"))
        batch_op.drop_index(batch_op.f("ix_objectives_group_id"))

    op.drop_table("objectives")
    with op.batch_alter_table("kpi_series", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kpi_series_team_id"))
        batch_op.drop_index(batch_op.f("ix_kpi_series_group_id"))

    op.drop_table("kpi_series")

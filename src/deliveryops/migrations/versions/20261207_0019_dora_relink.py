"""dora relink: an index for reading a repository's pull requests merged in a window

Revision ID: 0019_dora_relink
Revises: 0018_sessions
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0019_dora_relink"
down_revision = "0018_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_changes_repository_merged", "changes", ["repository", "merged_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_changes_repository_merged", table_name="changes")

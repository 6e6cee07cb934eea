"""tools, practices and adoption

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 12:30:00
"""

from __future__ import annotations

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""access log: an index on (at, id) for the newest-first pages and the API's cursor

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 16:40:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_access_log_at_id', 'access_log', ['at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_access_log_at_id', table_name='access_log')

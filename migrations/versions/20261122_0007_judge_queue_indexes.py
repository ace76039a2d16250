"""judge queue: assignments by (judge, round), teams by organization

A judge's queue reads their assignments of one round: (user_id, round_id, submission_id) is an index-only
range where ix_assignments_user_id fetched every assignment of the judge, in every round, to filter on the
round (it also serves the lookups by judge alone, so it replaces that index). The conflicts of a judge
(app.judging.conflicts) look up the teams of their organizations: without an index on the foreign key
that was a scan of every team of the platform on each queue, review and assignment read.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 19:45:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_assignments_user_round', 'assignments', ['user_id', 'round_id', 'submission_id'], unique=False
    )
    op.drop_index('ix_assignments_user_id', table_name='assignments')
    op.create_index('ix_teams_organization_id', 'teams', ['organization_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_teams_organization_id', table_name='teams')
    op.create_index('ix_assignments_user_id', 'assignments', ['user_id'], unique=False)
    op.drop_index('ix_assignments_user_round', table_name='assignments')

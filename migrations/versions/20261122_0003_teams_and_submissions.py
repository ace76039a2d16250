"""teams and submissions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 10:54:14.125232+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('teams',
    sa.Column('challenge_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('captain_id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=True),
    sa.Column('member_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('gallery_opt_in', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('member_count >= 0', name=op.f('ck_teams_member_count')),
    sa.ForeignKeyConstraint(['captain_id'], ['users.id'], name=op.f('fk_teams_captain_id_users')),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_teams_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_teams_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    sa.UniqueConstraint('id', 'challenge_id', name=op.f('uq_teams_id_challenge_id'))
    )
    op.create_index(op.f('ix_teams_challenge_id'), 'teams', ['challenge_id'], unique=False)
    op.create_index('uq_teams_challenge_name', 'teams', ['challenge_id', sa.literal_column('lower(name)')], unique=True)
    op.create_table('join_requests',
    sa.Column('team_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('message', sa.String(length=1000), server_default='', nullable=False),
    sa.Column('status', sa.String(length=10), server_default='pending', nullable=False),
    sa.Column('decided_by_id', sa.Uuid(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'approved', 'declined', 'cancelled')", name=op.f('ck_join_requests_status')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_join_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_join_requests_team_id_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_join_requests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_join_requests'))
    )
    op.create_index(op.f('ix_join_requests_team_id'), 'join_requests', ['team_id'], unique=False)
    op.create_index(op.f('ix_join_requests_user_id'), 'join_requests', ['user_id'], unique=False)
    op.create_index('uq_join_requests_pending', 'join_requests', ['team_id', 'user_id'], unique=True, postgresql_where=sa.text("status = 'pending'"))
    op.create_table('stored_files',
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Uuid(), nullable=True),
    sa.Column('team_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_stored_files_team_id_teams'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_stored_files_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_files')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_stored_files_storage_key'))
    )
    op.create_index(op.f('ix_stored_files_team_id'), 'stored_files', ['team_id'], unique=False)
    op.create_table('submissions',
    sa.Column('team_id', sa.Uuid(), nullable=False),
    sa.Column('round_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='draft', nullable=False),
    sa.Column('version', sa.Integer(), server_default='0', nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'withdrawn')", name=op.f('ck_submissions_status')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_submissions_round_id_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_submissions_team_id_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_submissions_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submissions')),
    sa.UniqueConstraint('team_id', 'round_id', name=op.f('uq_submissions_team_id_round_id'))
    )
    op.create_index(op.f('ix_submissions_round_id'), 'submissions', ['round_id'], unique=False)
    op.create_table('team_invitations',
    sa.Column('team_id', sa.Uuid(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('invited_by_id', sa.Uuid(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_by_id', sa.Uuid(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'], name=op.f('fk_team_invitations_accepted_by_id_users')),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_team_invitations_invited_by_id_users')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_invitations_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_invitations'))
    )
    op.create_index(op.f('ix_team_invitations_team_id'), 'team_invitations', ['team_id'], unique=False)
    op.create_index('uq_team_invitations_open', 'team_invitations', ['team_id', sa.literal_column('lower(email)')], unique=True, postgresql_where=sa.text('accepted_at IS NULL AND revoked_at IS NULL'))
    op.create_table('team_members',
    sa.Column('team_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('challenge_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=10), server_default='member', nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("role IN ('captain', 'member')", name=op.f('ck_team_members_role')),
    sa.ForeignKeyConstraint(['team_id', 'challenge_id'], ['teams.id', 'teams.challenge_id'], name='fk_team_members_team', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_team_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_team_members')),
    sa.UniqueConstraint('challenge_id', 'user_id', name=op.f('uq_team_members_challenge_id_user_id'))
    )
    op.create_index(op.f('ix_team_members_user_id'), 'team_members', ['user_id'], unique=False)
    op.create_index('uq_team_members_captain', 'team_members', ['team_id'], unique=True, postgresql_where=sa.text("role = 'captain'"))
    op.create_table('submission_versions',
    sa.Column('submission_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('answers', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('files', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('action', sa.String(length=20), server_default='save', nullable=False),
    sa.Column('restored_from', sa.Integer(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_submission_versions_created_by_id_users')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_submission_versions_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_versions')),
    sa.UniqueConstraint('submission_id', 'number', name=op.f('uq_submission_versions_submission_id_number'))
    )


def downgrade() -> None:
    op.drop_table('submission_versions')
    op.drop_index('uq_team_members_captain', table_name='team_members', postgresql_where=sa.text("role = 'captain'"))
    op.drop_index(op.f('ix_team_members_user_id'), table_name='team_members')
    op.drop_table('team_members')
    op.drop_index('uq_team_invitations_open', table_name='team_invitations', postgresql_where=sa.text('accepted_at IS NULL AND revoked_at IS NULL'))
    op.drop_index(op.f('ix_team_invitations_team_id'), table_name='team_invitations')
    op.drop_table('team_invitations')
    op.drop_index(op.f('ix_submissions_round_id'), table_name='submissions')
    op.drop_table('submissions')
    op.drop_index(op.f('ix_stored_files_team_id'), table_name='stored_files')
    op.drop_table('stored_files')
    op.drop_index('uq_join_requests_pending', table_name='join_requests', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index(op.f('ix_join_requests_user_id'), table_name='join_requests')
    op.drop_index(op.f('ix_join_requests_team_id'), table_name='join_requests')
    op.drop_table('join_requests')
    op.drop_index('uq_teams_challenge_name', table_name='teams')
    op.drop_index(op.f('ix_teams_challenge_id'), table_name='teams')
    op.drop_table('teams')

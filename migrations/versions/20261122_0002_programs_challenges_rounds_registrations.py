"""programs, challenges, rounds, registrations

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 10:19:58.594234+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('programs',
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("ends_on > starts_on AND ends_on <= starts_on + interval '2 years'", name=op.f('ck_programs_period')),
    sa.CheckConstraint("kind IN ('technology', 'pathology', 'patient_population', 'public_health')", name=op.f('ck_programs_kind')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_programs_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programs')),
    sa.UniqueConstraint('slug', name=op.f('uq_programs_slug'))
    )
    op.create_table('challenges',
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('program_id', sa.Uuid(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=500), server_default='', nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('rules', sa.Text(), server_default='', nullable=False),
    sa.Column('rules_version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('allowed_kinds', postgresql.ARRAY(sa.String(length=20)), server_default='{}', nullable=False),
    sa.Column('allowed_countries', postgresql.ARRAY(sa.String(length=2)), server_default='{}', nullable=False),
    sa.Column('team_min', sa.Integer(), server_default='1', nullable=False),
    sa.Column('team_max', sa.Integer(), server_default='5', nullable=False),
    sa.Column('visibility', sa.String(length=12), server_default='public', nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('timezone', sa.String(length=60), server_default='Europe/Paris', nullable=False),
    sa.Column('registration_opens_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('registration_closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('judging_ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('results_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approval_mode', sa.String(length=10), server_default='manual', nullable=False),
    sa.Column('approval_domains', postgresql.ARRAY(sa.String(length=253)), server_default='{}', nullable=False),
    sa.Column('registration_questions', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('results_published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('invitation_token', sa.String(length=64), nullable=True),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('search', postgresql.TSVECTOR(), sa.Computed("setweight(to_tsvector('english', coalesce(title, '')), 'A') || setweight(to_tsvector('french', coalesce(title, '')), 'A') || setweight(to_tsvector('english', coalesce(summary, '')), 'B') || setweight(to_tsvector('french', coalesce(summary, '')), 'B') || setweight(to_tsvector('english', coalesce(description, '')), 'C') || setweight(to_tsvector('french', coalesce(description, '')), 'C')", persisted=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("approval_mode IN ('manual', 'verified', 'domain', 'everyone')", name=op.f('ck_challenges_approval_mode')),
    sa.CheckConstraint("visibility IN ('public', 'invitation')", name=op.f('ck_challenges_visibility')),
    sa.CheckConstraint('team_min >= 1 AND team_max >= team_min AND team_max <= 50', name=op.f('ck_challenges_team_size')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_challenges_created_by_id_users')),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_challenges_program_id_programs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenges')),
    sa.UniqueConstraint('invitation_token', name=op.f('uq_challenges_invitation_token')),
    sa.UniqueConstraint('slug', name=op.f('uq_challenges_slug'))
    )
    op.create_index(op.f('ix_challenges_program_id'), 'challenges', ['program_id'], unique=False)
    op.create_index('ix_challenges_published', 'challenges', ['published_at'], unique=False, postgresql_where=sa.text('published_at IS NOT NULL'))
    op.create_index('ix_challenges_search', 'challenges', ['search'], unique=False, postgresql_using='gin')
    op.create_table('program_organizations',
    sa.Column('program_id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_program_organizations_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_program_organizations_program_id_programs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('program_id', 'organization_id', name=op.f('pk_program_organizations'))
    )
    op.create_index(op.f('ix_program_organizations_organization_id'), 'program_organizations', ['organization_id'], unique=False)
    op.create_table('announcements',
    sa.Column('challenge_id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_announcements_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_announcements_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcements'))
    )
    op.create_index(op.f('ix_announcements_challenge_id'), 'announcements', ['challenge_id'], unique=False)
    op.create_table('challenge_invitees',
    sa.Column('challenge_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_challenge_invitees_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_challenge_invitees_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('challenge_id', 'user_id', name=op.f('pk_challenge_invitees'))
    )
    op.create_index(op.f('ix_challenge_invitees_user_id'), 'challenge_invitees', ['user_id'], unique=False)
    op.create_table('challenge_organizers',
    sa.Column('challenge_id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_challenge_organizers_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_challenge_organizers_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('challenge_id', 'organization_id', name=op.f('pk_challenge_organizers'))
    )
    op.create_index(op.f('ix_challenge_organizers_organization_id'), 'challenge_organizers', ['organization_id'], unique=False)
    op.create_table('prizes',
    sa.Column('challenge_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('reward', sa.String(length=200), server_default='', nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_prizes_challenge_id_challenges'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prizes'))
    )
    op.create_index(op.f('ix_prizes_challenge_id'), 'prizes', ['challenge_id'], unique=False)
    op.create_table('registrations',
    sa.Column('challenge_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.String(length=10), server_default='pending', nullable=False),
    sa.Column('rules_version', sa.Integer(), nullable=False),
    sa.Column('rules_accepted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answers', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('decided_by_id', sa.Uuid(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected', 'withdrawn')", name=op.f('ck_registrations_status')),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_registrations_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_registrations_decided_by_id_users')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_registrations_organization_id_organizations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_registrations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registrations')),
    sa.UniqueConstraint('challenge_id', 'user_id', name=op.f('uq_registrations_challenge_id_user_id'))
    )
    op.create_index('ix_registrations_pending', 'registrations', ['challenge_id'], unique=False, postgresql_where=sa.text("status = 'pending'"))
    op.create_index(op.f('ix_registrations_user_id'), 'registrations', ['user_id'], unique=False)
    op.create_table('rounds',
    sa.Column('challenge_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rubric_planned', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint('deadline > opens_at', name=op.f('ck_rounds_dates')),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_rounds_challenge_id_challenges'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rounds')),
    sa.UniqueConstraint('challenge_id', 'position', name=op.f('uq_rounds_challenge_id_position'))
    )
    op.create_index(op.f('ix_rounds_challenge_id'), 'rounds', ['challenge_id'], unique=False)
    op.create_table('round_fields',
    sa.Column('round_id', sa.Uuid(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('required', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('help_text', sa.Text(), server_default='', nullable=False),
    sa.Column('choices', postgresql.ARRAY(sa.String(length=200)), server_default='{}', nullable=False),
    sa.Column('max_size_mb', sa.Integer(), nullable=True),
    sa.Column('allowed_types', postgresql.ARRAY(sa.String(length=20)), server_default='{}', nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("kind IN ('short_text', 'long_text', 'url', 'file', 'single_choice', 'multiple_choice')", name=op.f('ck_round_fields_kind')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_round_fields_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_fields')),
    sa.UniqueConstraint('round_id', 'key', name=op.f('uq_round_fields_round_id_key'))
    )
    op.create_index(op.f('ix_round_fields_round_id'), 'round_fields', ['round_id'], unique=False)
    op.create_table('deadline_reminders',
    sa.Column('challenge_id', sa.Uuid(), nullable=False),
    sa.Column('milestone', sa.String(length=60), nullable=False),
    sa.Column('horizon_hours', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_deadline_reminders_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_deadline_reminders_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('challenge_id', 'milestone', 'horizon_hours', 'user_id', name=op.f('pk_deadline_reminders'))
    )
    op.create_index(op.f('ix_deadline_reminders_user_id'), 'deadline_reminders', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_deadline_reminders_user_id'), table_name='deadline_reminders')
    op.drop_table('deadline_reminders')
    op.drop_index(op.f('ix_round_fields_round_id'), table_name='round_fields')
    op.drop_table('round_fields')
    op.drop_index(op.f('ix_rounds_challenge_id'), table_name='rounds')
    op.drop_table('rounds')
    op.drop_index(op.f('ix_registrations_user_id'), table_name='registrations')
    op.drop_index('ix_registrations_pending', table_name='registrations', postgresql_where=sa.text("status = 'pending'"))
    op.drop_table('registrations')
    op.drop_index(op.f('ix_prizes_challenge_id'), table_name='prizes')
    op.drop_table('prizes')
    op.drop_index(op.f('ix_challenge_organizers_organization_id'), table_name='challenge_organizers')
    op.drop_table('challenge_organizers')
    op.drop_index(op.f('ix_challenge_invitees_user_id'), table_name='challenge_invitees')
    op.drop_table('challenge_invitees')
    op.drop_index(op.f('ix_announcements_challenge_id'), table_name='announcements')
    op.drop_table('announcements')
    op.drop_index(op.f('ix_program_organizations_organization_id'), table_name='program_organizations')
    op.drop_table('program_organizations')
    op.drop_index('ix_challenges_search', table_name='challenges', postgresql_using='gin')
    op.drop_index('ix_challenges_published', table_name='challenges', postgresql_where=sa.text('published_at IS NOT NULL'))
    op.drop_index(op.f('ix_challenges_program_id'), table_name='challenges')
    op.drop_table('challenges')
    op.drop_table('programs')

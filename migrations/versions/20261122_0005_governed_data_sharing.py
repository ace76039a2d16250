"""governed data sharing

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 13:54:12.671415+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('access_log',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('dataset_id', sa.Uuid(), nullable=False),
    sa.Column('file_id', sa.Uuid(), nullable=True),
    sa.Column('grant_id', sa.Uuid(), nullable=True),
    sa.Column('team_id', sa.Uuid(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.String(length=200), server_default='', nullable=False),
    sa.Column('ip', postgresql.INET(), nullable=True),
    sa.CheckConstraint("outcome IN ('allowed', 'refused')", name=op.f('ck_access_log_outcome')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_log'))
    )
    op.create_index('ix_access_log_dataset_at', 'access_log', ['dataset_id', 'at'], unique=False)
    op.create_index('ix_access_log_user_at', 'access_log', ['user_id', 'at'], unique=False)
    op.create_table('datasets',
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('steward_organization_id', sa.Uuid(), nullable=False),
    sa.Column('sensitivity', sa.String(length=12), nullable=False),
    sa.Column('access_mode', sa.String(length=10), server_default='files', nullable=False),
    sa.Column('workspace_instructions', sa.Text(), server_default='', nullable=False),
    sa.Column('max_grant_days', sa.Integer(), server_default='180', nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("access_mode IN ('files', 'workspace')", name=op.f('ck_datasets_access_mode')),
    sa.CheckConstraint("sensitivity IN ('open', 'restricted', 'sensitive')", name=op.f('ck_datasets_sensitivity')),
    sa.CheckConstraint('max_grant_days BETWEEN 1 AND 1830', name=op.f('ck_datasets_max_grant_days')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_datasets_created_by_id_users')),
    sa.ForeignKeyConstraint(['steward_organization_id'], ['organizations.id'], name=op.f('fk_datasets_steward_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_datasets')),
    sa.UniqueConstraint('slug', name=op.f('uq_datasets_slug'))
    )
    op.create_index(op.f('ix_datasets_steward_organization_id'), 'datasets', ['steward_organization_id'], unique=False)
    op.create_table('agreement_acceptances',
    sa.Column('dataset_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_agreement_acceptances_dataset_id_datasets')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_agreement_acceptances_user_id_users')),
    sa.PrimaryKeyConstraint('dataset_id', 'user_id', 'version', name=op.f('pk_agreement_acceptances'))
    )
    op.create_index(op.f('ix_agreement_acceptances_user_id'), 'agreement_acceptances', ['user_id'], unique=False)
    op.create_table('agreement_versions',
    sa.Column('dataset_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_agreement_versions_created_by_id_users')),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_agreement_versions_dataset_id_datasets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_versions')),
    sa.UniqueConstraint('dataset_id', 'version', name=op.f('uq_agreement_versions_dataset_id_version'))
    )
    op.create_table('dataset_files',
    sa.Column('dataset_id', sa.Uuid(), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Uuid(), nullable=True),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_dataset_files_dataset_id_datasets')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_dataset_files_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dataset_files')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_dataset_files_storage_key'))
    )
    op.create_index(op.f('ix_dataset_files_dataset_id'), 'dataset_files', ['dataset_id'], unique=False)
    op.create_table('dataset_stewards',
    sa.Column('dataset_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_dataset_stewards_dataset_id_datasets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_dataset_stewards_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dataset_id', 'user_id', name=op.f('pk_dataset_stewards'))
    )
    op.create_index(op.f('ix_dataset_stewards_user_id'), 'dataset_stewards', ['user_id'], unique=False)
    op.create_table('offerings',
    sa.Column('dataset_id', sa.Uuid(), nullable=False),
    sa.Column('challenge_id', sa.Uuid(), nullable=False),
    sa.Column('from_round_id', sa.Uuid(), nullable=True),
    sa.Column('founder_agreed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('founder_agreed_by_id', sa.Uuid(), nullable=True),
    sa.Column('steward_agreed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('steward_agreed_by_id', sa.Uuid(), nullable=True),
    sa.Column('five_safes', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_offerings_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_offerings_dataset_id_datasets')),
    sa.ForeignKeyConstraint(['founder_agreed_by_id'], ['users.id'], name=op.f('fk_offerings_founder_agreed_by_id_users')),
    sa.ForeignKeyConstraint(['from_round_id'], ['rounds.id'], name=op.f('fk_offerings_from_round_id_rounds'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['steward_agreed_by_id'], ['users.id'], name=op.f('fk_offerings_steward_agreed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offerings')),
    sa.UniqueConstraint('dataset_id', 'challenge_id', name=op.f('uq_offerings_dataset_id_challenge_id'))
    )
    op.create_index(op.f('ix_offerings_challenge_id'), 'offerings', ['challenge_id'], unique=False)
    op.create_table('access_requests',
    sa.Column('offering_id', sa.Uuid(), nullable=False),
    sa.Column('dataset_id', sa.Uuid(), nullable=False),
    sa.Column('challenge_id', sa.Uuid(), nullable=False),
    sa.Column('team_id', sa.Uuid(), nullable=False),
    sa.Column('purpose', sa.Text(), server_default='', nullable=False),
    sa.Column('amends_grant_id', sa.Uuid(), nullable=True),
    sa.Column('state', sa.String(length=10), server_default='draft', nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("state IN ('draft', 'submitted', 'approved', 'rejected', 'returned', 'withdrawn')", name=op.f('ck_access_requests_state')),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_access_requests_challenge_id_challenges')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_access_requests_created_by_id_users')),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_access_requests_dataset_id_datasets')),
    sa.ForeignKeyConstraint(['offering_id'], ['offerings.id'], name=op.f('fk_access_requests_offering_id_offerings')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_access_requests_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_requests'))
    )
    op.create_index('ix_access_requests_dataset_state', 'access_requests', ['dataset_id', 'state'], unique=False)
    op.create_index(op.f('ix_access_requests_team_id'), 'access_requests', ['team_id'], unique=False)
    op.create_table('access_request_events',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('from_state', sa.String(length=10), nullable=True),
    sa.Column('to_state', sa.String(length=10), nullable=True),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('comment', sa.Text(), server_default='', nullable=False),
    sa.Column('internal', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("to_state IS NULL OR to_state IN ('draft', 'submitted', 'approved', 'rejected', 'returned', 'withdrawn')", name=op.f('ck_access_request_events_to_state')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_access_request_events_actor_id_users')),
    sa.ForeignKeyConstraint(['request_id'], ['access_requests.id'], name=op.f('fk_access_request_events_request_id_access_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_request_events')),
    sa.UniqueConstraint('request_id', 'seq', name=op.f('uq_access_request_events_request_id_seq'))
    )
    op.create_table('access_request_members',
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['access_requests.id'], name=op.f('fk_access_request_members_request_id_access_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_access_request_members_user_id_users')),
    sa.PrimaryKeyConstraint('request_id', 'user_id', name=op.f('pk_access_request_members'))
    )
    op.create_table('grants',
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('team_id', sa.Uuid(), nullable=False),
    sa.Column('dataset_id', sa.Uuid(), nullable=False),
    sa.Column('challenge_id', sa.Uuid(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Uuid(), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=True),
    sa.Column('warned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('expires_at > starts_at', name=op.f('ck_grants_period')),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_grants_challenge_id_challenges')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_grants_created_by_id_users')),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_grants_dataset_id_datasets')),
    sa.ForeignKeyConstraint(['request_id'], ['access_requests.id'], name=op.f('fk_grants_request_id_access_requests')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_grants_revoked_by_id_users')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_grants_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grants')),
    sa.UniqueConstraint('request_id', name=op.f('uq_grants_request_id'))
    )
    op.create_index('ix_grants_dataset_expires', 'grants', ['dataset_id', 'expires_at'], unique=False)
    op.create_index(op.f('ix_grants_team_id'), 'grants', ['team_id'], unique=False)
    op.create_table('grant_members',
    sa.Column('grant_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('removed_by_id', sa.Uuid(), nullable=True),
    sa.Column('removed_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_grant_members_grant_id_grants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['removed_by_id'], ['users.id'], name=op.f('fk_grant_members_removed_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_grant_members_user_id_users')),
    sa.PrimaryKeyConstraint('grant_id', 'user_id', name=op.f('pk_grant_members'))
    )
    op.create_index(op.f('ix_grant_members_user_id'), 'grant_members', ['user_id'], unique=False)

    # An access request amends a grant (a later table): its foreign key comes once both exist.
    op.create_foreign_key(
        op.f('fk_access_requests_amends_grant_id_grants'), 'access_requests', 'grants', ['amends_grant_id'], ['id']
    )
    # The access log and the requests' history are append-only, like the audit log (same refusing function).
    for table in ('access_log', 'access_request_events'):
        op.execute(
            f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )
    # A request's state is derived from its history: each transition event sets it, nothing else may.
    op.execute(
        """
        CREATE FUNCTION access_request_state_from_event() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.to_state IS NOT NULL THEN
                PERFORM set_config('tremplin.request_state', 'event', true);
                UPDATE access_requests SET state = NEW.to_state, updated_at = NEW.created_at WHERE id = NEW.request_id;
                PERFORM set_config('tremplin.request_state', '', true);
            END IF;
            RETURN NEW;
        END;
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER access_request_events_set_state AFTER INSERT ON access_request_events "
        "FOR EACH ROW EXECUTE FUNCTION access_request_state_from_event()"
    )
    op.execute(
        """
        CREATE FUNCTION access_request_state_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.state IS DISTINCT FROM OLD.state AND current_setting('tremplin.request_state', true) IS DISTINCT FROM 'event' THEN
                RAISE EXCEPTION 'access_requests.state follows the history: insert an event instead'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END;
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER access_requests_state_guard BEFORE UPDATE ON access_requests "
        "FOR EACH ROW EXECUTE FUNCTION access_request_state_guard()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER access_requests_state_guard ON access_requests")
    op.execute("DROP FUNCTION access_request_state_guard()")
    op.execute("DROP TRIGGER access_request_events_set_state ON access_request_events")
    op.execute("DROP FUNCTION access_request_state_from_event()")
    for table in ('access_log', 'access_request_events'):
        op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute(f"DROP TRIGGER {table}_no_update_delete ON {table}")
    op.drop_constraint(op.f('fk_access_requests_amends_grant_id_grants'), 'access_requests', type_='foreignkey')
    op.drop_index(op.f('ix_grant_members_user_id'), table_name='grant_members')
    op.drop_table('grant_members')
    op.drop_index(op.f('ix_grants_team_id'), table_name='grants')
    op.drop_index('ix_grants_dataset_expires', table_name='grants')
    op.drop_table('grants')
    op.drop_table('access_request_members')
    op.drop_table('access_request_events')
    op.drop_index(op.f('ix_access_requests_team_id'), table_name='access_requests')
    op.drop_index('ix_access_requests_dataset_state', table_name='access_requests')
    op.drop_table('access_requests')
    op.drop_index(op.f('ix_offerings_challenge_id'), table_name='offerings')
    op.drop_table('offerings')
    op.drop_index(op.f('ix_dataset_stewards_user_id'), table_name='dataset_stewards')
    op.drop_table('dataset_stewards')
    op.drop_index(op.f('ix_dataset_files_dataset_id'), table_name='dataset_files')
    op.drop_table('dataset_files')
    op.drop_table('agreement_versions')
    op.drop_index(op.f('ix_agreement_acceptances_user_id'), table_name='agreement_acceptances')
    op.drop_table('agreement_acceptances')
    op.drop_index(op.f('ix_datasets_steward_organization_id'), table_name='datasets')
    op.drop_table('datasets')
    op.drop_index('ix_access_log_user_at', table_name='access_log')
    op.drop_index('ix_access_log_dataset_at', table_name='access_log')
    op.drop_table('access_log')

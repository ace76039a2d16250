"""judging

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 12:24:58.620927+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('advancements',
    sa.Column('round_id', sa.Uuid(), nullable=False),
    sa.Column('team_id', sa.Uuid(), nullable=False),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.Column('decided_by_id', sa.Uuid(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_advancements_decided_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_advancements_round_id_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_advancements_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'team_id', name=op.f('pk_advancements'))
    )
    op.create_index(op.f('ix_advancements_team_id'), 'advancements', ['team_id'], unique=False)
    op.create_table('conflicts',
    sa.Column('challenge_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('team_id', sa.Uuid(), nullable=False),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.Column('declared_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_conflicts_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_conflicts_team_id_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_conflicts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conflicts')),
    sa.UniqueConstraint('user_id', 'team_id', name=op.f('uq_conflicts_user_id_team_id'))
    )
    op.create_index(op.f('ix_conflicts_challenge_id'), 'conflicts', ['challenge_id'], unique=False)
    op.create_index(op.f('ix_conflicts_team_id'), 'conflicts', ['team_id'], unique=False)
    op.create_table('criteria',
    sa.Column('round_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('weight', sa.Numeric(precision=6, scale=2), server_default='1', nullable=False),
    sa.Column('scale_min', sa.Numeric(precision=8, scale=2), server_default='0', nullable=False),
    sa.Column('scale_max', sa.Numeric(precision=8, scale=2), server_default='10', nullable=False),
    sa.Column('scale_step', sa.Numeric(precision=8, scale=2), server_default='1', nullable=False),
    sa.Column('descriptors', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint('scale_max > scale_min', name=op.f('ck_criteria_scale')),
    sa.CheckConstraint('scale_step > 0', name=op.f('ck_criteria_scale_step')),
    sa.CheckConstraint('weight > 0', name=op.f('ck_criteria_weight')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_criteria_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_criteria'))
    )
    op.create_index(op.f('ix_criteria_round_id'), 'criteria', ['round_id'], unique=False)
    op.create_table('judges',
    sa.Column('round_id', sa.Uuid(), nullable=False),
    sa.Column('challenge_id', sa.Uuid(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('invited_by_id', sa.Uuid(), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_judges_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_judges_invited_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_judges_round_id_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_judges_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_judges'))
    )
    op.create_index(op.f('ix_judges_challenge_id'), 'judges', ['challenge_id'], unique=False)
    op.create_index(op.f('ix_judges_round_id'), 'judges', ['round_id'], unique=False)
    op.create_index(op.f('ix_judges_user_id'), 'judges', ['user_id'], unique=False)
    op.create_index('uq_judges_round_email', 'judges', ['round_id', sa.literal_column('lower(email)')], unique=True)
    op.create_index('uq_judges_round_user', 'judges', ['round_id', 'user_id'], unique=True, postgresql_where=sa.text('user_id IS NOT NULL'))
    op.create_table('judging_jobs',
    sa.Column('round_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('params', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='queued', nullable=False),
    sa.Column('done', sa.Integer(), server_default='0', nullable=False),
    sa.Column('total', sa.Integer(), server_default='0', nullable=False),
    sa.Column('result_key', sa.String(length=200), nullable=True),
    sa.Column('result_name', sa.String(length=200), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('requested_by_id', sa.Uuid(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('assign', 'export')", name=op.f('ck_judging_jobs_kind')),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_judging_jobs_status')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_judging_jobs_requested_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_judging_jobs_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_judging_jobs'))
    )
    op.create_index(op.f('ix_judging_jobs_round_id'), 'judging_jobs', ['round_id'], unique=False)
    op.create_table('judging_rounds',
    sa.Column('round_id', sa.Uuid(), nullable=False),
    sa.Column('challenge_id', sa.Uuid(), nullable=False),
    sa.Column('policy', sa.String(length=12), server_default='all', nullable=False),
    sa.Column('judges_per_entry', sa.Integer(), server_default='3', nullable=False),
    sa.Column('seed', sa.Integer(), server_default='1', nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('public_vote', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('ranking_method', sa.String(length=10), server_default='auto', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("policy IN ('all', 'k_per_entry')", name=op.f('ck_judging_rounds_policy')),
    sa.CheckConstraint('judges_per_entry BETWEEN 1 AND 50', name=op.f('ck_judging_rounds_judges_per_entry')),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_judging_rounds_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_judging_rounds_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', name=op.f('pk_judging_rounds'))
    )
    op.create_index(op.f('ix_judging_rounds_challenge_id'), 'judging_rounds', ['challenge_id'], unique=False)
    op.create_table('prize_awards',
    sa.Column('prize_id', sa.Uuid(), nullable=False),
    sa.Column('team_id', sa.Uuid(), nullable=False),
    sa.Column('awarded_by_id', sa.Uuid(), nullable=True),
    sa.Column('awarded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['awarded_by_id'], ['users.id'], name=op.f('fk_prize_awards_awarded_by_id_users')),
    sa.ForeignKeyConstraint(['prize_id'], ['prizes.id'], name=op.f('fk_prize_awards_prize_id_prizes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_prize_awards_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('prize_id', 'team_id', name=op.f('pk_prize_awards'))
    )
    op.create_index(op.f('ix_prize_awards_team_id'), 'prize_awards', ['team_id'], unique=False)
    op.create_table('assignments',
    sa.Column('submission_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('round_id', sa.Uuid(), nullable=False),
    sa.Column('manual', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_assignments_round_id_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_assignments_submission_id_submissions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_assignments_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('submission_id', 'user_id', name=op.f('pk_assignments'))
    )
    op.create_index(op.f('ix_assignments_round_id'), 'assignments', ['round_id'], unique=False)
    op.create_index(op.f('ix_assignments_user_id'), 'assignments', ['user_id'], unique=False)
    op.create_table('reviews',
    sa.Column('submission_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('round_id', sa.Uuid(), nullable=False),
    sa.Column('comment', sa.Text(), server_default='', nullable=False),
    sa.Column('finalized_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('total', sa.Double(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_reviews_round_id_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_reviews_submission_id_submissions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reviews_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('submission_id', 'user_id', name=op.f('uq_reviews_submission_id_user_id'))
    )
    op.create_index('ix_reviews_round_user', 'reviews', ['round_id', 'user_id'], unique=False)
    op.create_table('screenings',
    sa.Column('submission_id', sa.Uuid(), nullable=False),
    sa.Column('round_id', sa.Uuid(), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.Column('decided_by_id', sa.Uuid(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("decision IN ('eligible', 'ineligible', 'returned')", name=op.f('ck_screenings_decision')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_screenings_decided_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_screenings_round_id_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_screenings_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('submission_id', name=op.f('pk_screenings'))
    )
    op.create_index(op.f('ix_screenings_round_id'), 'screenings', ['round_id'], unique=False)
    op.create_table('votes',
    sa.Column('round_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('submission_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_votes_round_id_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_votes_submission_id_submissions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_votes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'user_id', name=op.f('pk_votes'))
    )
    op.create_index(op.f('ix_votes_submission_id'), 'votes', ['submission_id'], unique=False)
    op.create_table('scores',
    sa.Column('review_id', sa.Uuid(), nullable=False),
    sa.Column('criterion_id', sa.Uuid(), nullable=False),
    sa.Column('value', sa.Numeric(precision=8, scale=2), nullable=True),
    sa.Column('comment', sa.Text(), server_default='', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['criterion_id'], ['criteria.id'], name=op.f('fk_scores_criterion_id_criteria'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_scores_review_id_reviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('review_id', 'criterion_id', name=op.f('pk_scores'))
    )
    op.create_index(op.f('ix_scores_criterion_id'), 'scores', ['criterion_id'], unique=False)
    op.add_column('challenges', sa.Column('results_visibility', sa.String(length=10), server_default='winners', nullable=False))

    # A finalized review's 0-100 weighted total, kept by the database itself, whatever writes the scores.
    op.execute(
        """
        CREATE FUNCTION review_total(review_id uuid, round_id uuid) RETURNS double precision
        LANGUAGE sql STABLE AS $$
            SELECT 100 * sum(c.weight::float8 * (s.value - c.scale_min)::float8 / (c.scale_max - c.scale_min)::float8)
                   / nullif((SELECT sum(w.weight)::float8 FROM criteria w WHERE w.round_id = $2), 0)
            FROM scores s JOIN criteria c ON c.id = s.criterion_id
            WHERE s.review_id = $1 AND s.value IS NOT NULL
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION reviews_set_total() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.total := CASE WHEN NEW.finalized_at IS NULL THEN NULL ELSE review_total(NEW.id, NEW.round_id) END;
            RETURN NEW;
        END;
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER reviews_total BEFORE INSERT OR UPDATE OF finalized_at, round_id ON reviews "
        "FOR EACH ROW EXECUTE FUNCTION reviews_set_total()"
    )
    op.execute(
        """
        CREATE FUNCTION scores_refresh_totals() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE reviews r SET total = review_total(r.id, r.round_id)
            WHERE r.finalized_at IS NOT NULL AND r.id IN (SELECT review_id FROM changed);
            RETURN NULL;
        END;
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION criteria_refresh_totals() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE reviews r SET total = review_total(r.id, r.round_id)
            WHERE r.finalized_at IS NOT NULL AND r.round_id IN (SELECT round_id FROM changed);
            RETURN NULL;
        END;
        $$
        """
    )
    for table, function in (("scores", "scores_refresh_totals"), ("criteria", "criteria_refresh_totals")):
        for event, transition in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            op.execute(
                f"CREATE TRIGGER {table}_totals_{event.lower()} AFTER {event} ON {table} "
                f"REFERENCING {transition} TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )


def downgrade() -> None:
    for table in ("scores", "criteria"):
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER {table}_totals_{event} ON {table}")
    op.execute("DROP FUNCTION criteria_refresh_totals()")
    op.execute("DROP FUNCTION scores_refresh_totals()")
    op.execute("DROP TRIGGER reviews_total ON reviews")
    op.execute("DROP FUNCTION reviews_set_total()")
    op.execute("DROP FUNCTION review_total(uuid, uuid)")
    op.drop_column('challenges', 'results_visibility')
    op.drop_index(op.f('ix_scores_criterion_id'), table_name='scores')
    op.drop_table('scores')
    op.drop_index(op.f('ix_votes_submission_id'), table_name='votes')
    op.drop_table('votes')
    op.drop_index(op.f('ix_screenings_round_id'), table_name='screenings')
    op.drop_table('screenings')
    op.drop_index('ix_reviews_round_user', table_name='reviews')
    op.drop_table('reviews')
    op.drop_index(op.f('ix_assignments_user_id'), table_name='assignments')
    op.drop_index(op.f('ix_assignments_round_id'), table_name='assignments')
    op.drop_table('assignments')
    op.drop_index(op.f('ix_prize_awards_team_id'), table_name='prize_awards')
    op.drop_table('prize_awards')
    op.drop_index(op.f('ix_judging_rounds_challenge_id'), table_name='judging_rounds')
    op.drop_table('judging_rounds')
    op.drop_index(op.f('ix_judging_jobs_round_id'), table_name='judging_jobs')
    op.drop_table('judging_jobs')
    op.drop_index('uq_judges_round_user', table_name='judges', postgresql_where=sa.text('user_id IS NOT NULL'))
    op.drop_index('uq_judges_round_email', table_name='judges')
    op.drop_index(op.f('ix_judges_user_id'), table_name='judges')
    op.drop_index(op.f('ix_judges_round_id'), table_name='judges')
    op.drop_index(op.f('ix_judges_challenge_id'), table_name='judges')
    op.drop_table('judges')
    op.drop_index(op.f('ix_criteria_round_id'), table_name='criteria')
    op.drop_table('criteria')
    op.drop_index(op.f('ix_conflicts_team_id'), table_name='conflicts')
    op.drop_index(op.f('ix_conflicts_challenge_id'), table_name='conflicts')
    op.drop_table('conflicts')
    op.drop_index(op.f('ix_advancements_team_id'), table_name='advancements')
    op.drop_table('advancements')

"""scheduled jobs; what retention and the orphan clean-up need: each application's campaign, archived campaigns, deleted accounts

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-02 01:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=100), nullable=False),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('triggered_by', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('counts', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_job_runs_job_started', 'job_runs', ['job', 'started_at'], unique=False)
    op.create_table('job_schedule',
    sa.Column('job', sa.String(length=100), nullable=False),
    sa.Column('next_run_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('job')
    )
    op.create_table('application_campaigns',
    sa.Column('application_id', sa.BigInteger(), nullable=False),
    sa.Column('campaign_code', sa.String(length=20), nullable=False),
    sa.Column('candidate_id', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('application_id')
    )
    op.create_index('ix_application_campaigns_campaign', 'application_campaigns',
                    ['campaign_code'], unique=False)
    op.create_index('ix_application_campaigns_candidate', 'application_campaigns',
                    ['candidate_id'], unique=False)
    op.create_table('archived_campaigns',
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('archived_on', sa.Date(), nullable=False),
    sa.Column('destroyed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('deleted_candidates',
    sa.Column('candidate_id', sa.BigInteger(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('candidate_id')
    )
    # the orphan clean-up looks for unfinished uploads by age
    op.create_index('ix_documents_status_created', 'documents', ['status', 'created_at'],
                    unique=False)


def downgrade():
    op.drop_index('ix_documents_status_created', table_name='documents')
    op.drop_table('deleted_candidates')
    op.drop_table('archived_campaigns')
    op.drop_index('ix_application_campaigns_candidate', table_name='application_campaigns')
    op.drop_index('ix_application_campaigns_campaign', table_name='application_campaigns')
    op.drop_table('application_campaigns')
    op.drop_table('job_schedule')
    op.drop_index('ix_job_runs_job_started', table_name='job_runs')
    op.drop_table('job_runs')

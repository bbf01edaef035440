"""applications carry their campaign's code: counts and the one-active-application
rule are per campaign (a formation code comes back every campaign)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 08:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('applications', sa.Column('campaign_code', sa.String(length=20),
                                            server_default='', nullable=False))
    op.execute("UPDATE applications SET campaign_code = "
               "COALESCE(formation -> 'campaign' ->> 'code', '')")
    op.create_index('ix_applications_campaign_code', 'applications', ['campaign_code'])
    op.drop_index('uq_applications_active_candidate_formation', table_name='applications',
                  postgresql_where=sa.text('cancelled_at IS NULL'))
    op.create_index('uq_applications_active_candidate_campaign_formation', 'applications',
                    ['candidate_id', 'campaign_code', 'formation_code'], unique=True,
                    postgresql_where=sa.text('cancelled_at IS NULL'))


def downgrade():
    op.drop_index('uq_applications_active_candidate_campaign_formation',
                  table_name='applications', postgresql_where=sa.text('cancelled_at IS NULL'))
    op.create_index('uq_applications_active_candidate_formation', 'applications',
                    ['candidate_id', 'formation_code'], unique=True,
                    postgresql_where=sa.text('cancelled_at IS NULL'))
    op.drop_index('ix_applications_campaign_code', table_name='applications')
    op.drop_column('applications', 'campaign_code')

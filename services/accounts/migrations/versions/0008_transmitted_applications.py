"""transmitted applications: accounts' own copy of the candidate's transmissions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 19:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('transmitted_applications',
                    sa.Column('application_id', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('candidate_id', sa.Integer(), nullable=False),
                    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'],
                                            ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('application_id'))
    op.create_index('ix_transmitted_applications_candidate_id', 'transmitted_applications',
                    ['candidate_id'])


def downgrade():
    op.drop_index('ix_transmitted_applications_candidate_id',
                  table_name='transmitted_applications')
    op.drop_table('transmitted_applications')

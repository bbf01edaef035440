"""formation applications: catalog's own count of each formation's applications

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 19:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('formation_applications',
                    sa.Column('application_id', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('formation_code', sa.String(length=40), nullable=False),
                    sa.Column('campaign_code', sa.String(length=20), nullable=False),
                    sa.PrimaryKeyConstraint('application_id'))
    op.create_index('ix_formation_applications_formation', 'formation_applications',
                    ['campaign_code', 'formation_code'])


def downgrade():
    op.drop_index('ix_formation_applications_formation', table_name='formation_applications')
    op.drop_table('formation_applications')

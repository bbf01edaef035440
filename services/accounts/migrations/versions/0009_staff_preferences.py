"""staff preferences: each staff user's choices of the portal (the list's columns...)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 01:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('staff_users', sa.Column('preferences', postgresql.JSONB(), nullable=False,
                                           server_default='{}'))


def downgrade():
    op.drop_column('staff_users', 'preferences')

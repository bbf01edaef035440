"""the commission a mail is about (committee members read only theirs)

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('mails', sa.Column('commission_code', sa.String(length=40), nullable=True))


def downgrade():
    op.drop_column('mails', 'commission_code')

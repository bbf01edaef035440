"""mails: the commission's letter a decision mail carries (its file name, and
its bytes until the mail is sent)

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('mails', sa.Column('attachment_name', sa.String(length=120), nullable=True))
    op.add_column('mails', sa.Column('attachment', sa.LargeBinary(), nullable=True))


def downgrade():
    op.drop_column('mails', 'attachment')
    op.drop_column('mails', 'attachment_name')

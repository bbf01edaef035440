"""the candidate's storage quota: declared size of unfinished uploads, rows by candidate

Revision ID: 0003
Revises: 0002
Create Date: 2027-01-10 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('documents', sa.Column('declared_size', sa.BigInteger(), nullable=True))
    op.create_index('ix_documents_candidate', 'documents', ['candidate_id', 'status'])


def downgrade():
    op.drop_index('ix_documents_candidate', table_name='documents')
    op.drop_column('documents', 'declared_size')

"""generated dossiers and letters (fingerprint), letter templates, archives

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-02 01:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('documents', sa.Column('fingerprint', sa.String(length=64), nullable=True))
    op.create_index('ix_documents_fingerprint', 'documents', ['fingerprint'], unique=False,
                    postgresql_where=sa.text('fingerprint IS NOT NULL'))
    op.create_table('letter_templates',
    sa.Column('commission_code', sa.String(length=30), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('attach', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('commission_code', 'kind')
    )
    op.create_table('archives',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('dossiers', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('object_key', sa.String(length=200), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_archives_queued', 'archives', ['status', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_archives_queued', table_name='archives')
    op.drop_table('archives')
    op.drop_table('letter_templates')
    op.drop_index('ix_documents_fingerprint', table_name='documents',
                  postgresql_where=sa.text('fingerprint IS NOT NULL'))
    op.drop_column('documents', 'fingerprint')

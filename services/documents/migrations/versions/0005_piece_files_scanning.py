"""several files for one piece, merged; virus scanning of each

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 01:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('documents', sa.Column('source_type', sa.String(length=50), nullable=True))
    op.add_column('documents', sa.Column('scanned_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('documents', sa.Column('scan_result', sa.String(length=200), nullable=True))
    op.create_index('ix_documents_scanning', 'documents', ['created_at'],
                    postgresql_where=sa.text("status = 'scanning'"))
    op.create_table('piece_files',
    sa.Column('bundle_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('part_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['bundle_id'], ['documents.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['part_id'], ['documents.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('bundle_id', 'position')
    )
    op.create_index('ix_piece_files_part', 'piece_files', ['part_id'])


def downgrade():
    op.drop_index('ix_piece_files_part', table_name='piece_files')
    op.drop_table('piece_files')
    op.drop_index('ix_documents_scanning', table_name='documents')
    op.drop_column('documents', 'scan_result')
    op.drop_column('documents', 'scanned_at')
    op.drop_column('documents', 'source_type')

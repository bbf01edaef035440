"""staff notes and tags on applications; the staff list's tag filter on an index

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-02 01:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('application_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_application_notes_application_created', 'application_notes',
                    ['application_id', 'created_at'])
    op.create_table('application_tags',
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('tag_code', sa.String(length=40), nullable=False),
    sa.Column('added_by', sa.String(length=200), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('application_id', 'tag_code')
    )
    # the list's filter: EXISTS (... WHERE tag_code = :tag AND application_id = id)
    op.create_index('ix_application_tags_tag_application', 'application_tags',
                    ['tag_code', 'application_id'])


def downgrade():
    op.drop_index('ix_application_tags_tag_application', table_name='application_tags')
    op.drop_table('application_tags')
    op.drop_index('ix_application_notes_application_created', table_name='application_notes')
    op.drop_table('application_notes')

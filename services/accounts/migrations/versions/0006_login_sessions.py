"""login sessions, refusing an email change

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('authenticated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=30), nullable=True),
    sa.CheckConstraint('(candidate_id IS NULL) <> (staff_id IS NULL)', name='ck_login_sessions_one_owner'),
    sa.CheckConstraint("method IN ('password', 'cas')", name='ck_login_sessions_method'),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_index('ix_login_sessions_candidate', 'login_sessions', ['candidate_id'], unique=False)
    op.create_index('ix_login_sessions_staff', 'login_sessions', ['staff_id'], unique=False)
    op.add_column('candidates', sa.Column('email_undo_address', sa.String(length=254), nullable=True))
    op.add_column('candidates', sa.Column('email_undo_token_hash', sa.String(length=64), nullable=True))
    op.add_column('candidates', sa.Column('email_undo_expires_at', sa.DateTime(timezone=True), nullable=True))
    op.create_unique_constraint('candidates_email_undo_token_hash_key', 'candidates', ['email_undo_token_hash'])


def downgrade():
    op.drop_constraint('candidates_email_undo_token_hash_key', 'candidates', type_='unique')
    op.drop_column('candidates', 'email_undo_expires_at')
    op.drop_column('candidates', 'email_undo_token_hash')
    op.drop_column('candidates', 'email_undo_address')
    op.drop_index('ix_login_sessions_staff', table_name='login_sessions')
    op.drop_index('ix_login_sessions_candidate', table_name='login_sessions')
    op.drop_table('login_sessions')

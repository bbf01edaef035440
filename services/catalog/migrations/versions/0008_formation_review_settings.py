"""formation review settings (automatic promotion, rank shown, reminder days)
and the centres' prefix of enrolment codes

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 01:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('formations', sa.Column('auto_promotion', sa.Boolean(), nullable=False,
                                          server_default=sa.text('false')))
    op.add_column('formations', sa.Column('rank_display', sa.String(length=8), nullable=False,
                                          server_default='real'))
    op.add_column('formations', sa.Column('reminder_days', sa.Integer(), nullable=False,
                                          server_default=sa.text('2')))
    op.create_check_constraint('ck_formations_rank_display', 'formations',
                               "rank_display IN ('none', 'entered', 'real')")
    op.create_check_constraint('ck_formations_reminder_days', 'formations',
                               'reminder_days >= 0')
    op.add_column('centres', sa.Column('opi_prefix', sa.String(length=10), nullable=False,
                                       server_default=''))


def downgrade():
    op.drop_column('centres', 'opi_prefix')
    op.drop_constraint('ck_formations_reminder_days', 'formations')
    op.drop_constraint('ck_formations_rank_display', 'formations')
    for column in ('reminder_days', 'rank_display', 'auto_promotion'):
        op.drop_column('formations', column)

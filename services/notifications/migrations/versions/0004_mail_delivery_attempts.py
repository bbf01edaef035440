"""mails stored before they are sent: each attempt's Message-ID and time, the
next attempt's time, longer statuses (unconfirmed)

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.alter_column('mails', 'status', type_=sa.String(length=12), existing_type=sa.String(length=10))
    op.add_column('mails', sa.Column('message_id', sa.String(length=255), nullable=True))
    op.add_column('mails', sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('mails', sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_mails_status_due', 'mails', ['status', 'next_attempt_at'], unique=False)
    # Mails the former timer still had to retry (fewer than 5 attempts) wait for
    # the delivery loop now; those it had given up on stay failed.
    op.execute("UPDATE mails SET status = 'queued', next_attempt_at = now() "
               "WHERE status = 'failed' AND attempts < 5")


def downgrade():
    op.execute("UPDATE mails SET status = 'failed' WHERE status IN ('queued', 'sending')")
    op.execute("UPDATE mails SET status = 'sent' WHERE status = 'unconfirmed'")
    op.drop_index('ix_mails_status_due', table_name='mails')
    op.drop_column('mails', 'next_attempt_at')
    op.drop_column('mails', 'last_attempt_at')
    op.drop_column('mails', 'message_id')
    op.alter_column('mails', 'status', type_=sa.String(length=10), existing_type=sa.String(length=12))

"""mails: who they are written to (candidate or commission), the application
and commission label they are about (commission digests), the start of their
retry window (a resend starts a new one), the `refused` status; versions of
the templates administrators edit

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('mails', sa.Column('audience', sa.String(length=12), nullable=False,
                                     server_default='candidate'))
    op.add_column('mails', sa.Column('application_id', sa.Integer(), nullable=True))
    op.add_column('mails', sa.Column('commission_label', sa.String(length=200), nullable=True))
    op.add_column('mails', sa.Column('window_started_at', sa.DateTime(timezone=True),
                                     nullable=True))
    # The admin page lists what failed, newest first.
    op.create_index('ix_mails_failed', 'mails', ['last_attempt_at'], unique=False,
                    postgresql_where=sa.text("status IN ('failed', 'refused', 'unconfirmed')"))
    op.create_table(
        'mail_template_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('lang', sa.String(length=2), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=True),
        sa.Column('body', sa.Text(), nullable=True),
        sa.Column('action', sa.String(length=10), nullable=False),
        sa.Column('reverted_from', sa.Integer(), nullable=True),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('author_name', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code', 'lang', 'version', name='uq_mail_template_versions'),
    )


def downgrade():
    op.drop_table('mail_template_versions')
    op.execute("UPDATE mails SET status = 'failed' WHERE status = 'refused'")
    op.drop_index('ix_mails_failed', table_name='mails')
    op.execute("UPDATE mails SET status = 'sent' WHERE status = 'digested'")
    op.execute("DELETE FROM mails WHERE status = 'held'")
    op.drop_column('mails', 'window_started_at')
    op.drop_column('mails', 'commission_label')
    op.drop_column('mails', 'application_id')
    op.drop_column('mails', 'audience')

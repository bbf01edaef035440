"""the application's lifecycle: treatment type and its validation, the
confirmation deadline override, the enrolment code (OPI) and its sequence,
the waiting list's real rank, the version of stale-form checks, decisions'
motive code and automatic flag, the reminders sent

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 01:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('applications', sa.Column('treatment_type', sa.String(length=2)))
    op.add_column('applications', sa.Column('treatment_validated_at',
                                            sa.DateTime(timezone=True)))
    op.add_column('applications', sa.Column('treatment_validated_by', sa.String(length=200)))
    op.add_column('applications', sa.Column('confirm_deadline_override', sa.Date()))
    op.add_column('applications', sa.Column('opi_code', sa.String(length=40)))
    op.create_unique_constraint('applications_opi_code_key', 'applications', ['opi_code'])
    op.add_column('applications', sa.Column('rank_real', sa.Integer()))
    op.add_column('applications', sa.Column('version', sa.Integer(), nullable=False,
                                            server_default=sa.text('1')))
    # the type the formation had when the application was made
    op.execute("UPDATE applications SET treatment_type = formation ->> 'treatment_type'")
    op.add_column('decisions', sa.Column('reason_code', sa.String(length=40)))
    op.add_column('decisions', sa.Column('automatic', sa.Boolean(), nullable=False,
                                         server_default=sa.text('false')))
    op.create_table('reminders_sent',
                    sa.Column('application_id', sa.Integer(), nullable=False),
                    sa.Column('kind', sa.String(length=10), nullable=False),
                    sa.Column('deadline', sa.Date(), nullable=False),
                    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                                            ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('application_id', 'kind', 'deadline'))
    op.execute(sa.schema.CreateSequence(sa.Sequence('opi_code_seq')))


def downgrade():
    op.execute(sa.schema.DropSequence(sa.Sequence('opi_code_seq')))
    op.drop_table('reminders_sent')
    op.drop_column('decisions', 'automatic')
    op.drop_column('decisions', 'reason_code')
    op.drop_constraint('applications_opi_code_key', 'applications')
    for column in ('version', 'rank_real', 'opi_code', 'confirm_deadline_override',
                   'treatment_validated_by', 'treatment_validated_at', 'treatment_type'):
        op.drop_column('applications', column)

"""formation codes unique per campaign, web-only formation URLs, commission
members left to accounts

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 08:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    # The same code comes back every campaign (MINFO1 in 2027 and in 2028).
    op.drop_constraint('formations_code_key', 'formations', type_='unique')
    op.create_unique_constraint('uq_formations_campaign_code', 'formations',
                                ['campaign_id', 'code'])
    # A link shown to candidates: anything but http(s) (javascript:, data:...) goes.
    op.execute("UPDATE formations SET url = NULL WHERE url IS NOT NULL AND url !~* '^https?://'")
    op.create_check_constraint('ck_formations_url_http', 'formations',
                               "url IS NULL OR url ~* '^https?://'")
    # Committee members live in accounts (staff_users.commissions / presides).
    op.drop_column('commissions', 'members')


def downgrade():
    op.add_column('commissions', sa.Column('members', postgresql.JSONB(astext_type=sa.Text()),
                                           server_default='[]', nullable=False))
    op.drop_constraint('ck_formations_url_http', 'formations', type_='check')
    op.drop_constraint('uq_formations_campaign_code', 'formations', type_='unique')
    op.create_unique_constraint('formations_code_key', 'formations', ['code'])

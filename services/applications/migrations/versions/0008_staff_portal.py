"""staff portal: who reviewed each piece and when; indexes for the list's
other sorts of a centre and for the last validated decision read per row

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-02 01:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# name -> key, on the active applications only, as models.py declares them
INDEXES = {
    'ix_applications_list_centre_created': "centre_code, created_at DESC, id DESC",
    'ix_applications_list_centre_number':
        "centre_code, (candidate ->> 'dossier_number'), id",
    'ix_applications_list_centre_formation':
        "centre_code, lower(formation ->> 'label'), id",
}


def upgrade():
    op.add_column('application_pieces', sa.Column('reviewed_by', sa.String(length=200)))
    op.add_column('application_pieces',
                  sa.Column('reviewed_at', sa.DateTime(timezone=True)))
    for name, key in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON applications ({key}) WHERE cancelled_at IS NULL")
    op.execute("CREATE INDEX ix_decisions_application_validated "
               "ON decisions (application_id, validated_at DESC, id DESC)")


def downgrade():
    op.execute("DROP INDEX ix_decisions_application_validated")
    for name in INDEXES:
        op.execute(f"DROP INDEX {name}")
    op.drop_column('application_pieces', 'reviewed_at')
    op.drop_column('application_pieces', 'reviewed_by')

"""the staff list's filters and sorts on indexes: a centre (and a status) in
the order of transmission, a centre by candidate name, a commission's list

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 22:00:00
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# name -> key; every one on the active applications only (the list's default
# filter), its expressions exactly those of services/applications/queries.py.
INDEXES = {
    'ix_applications_list_transmitted':
        "transmitted_at DESC NULLS LAST, id DESC",
    'ix_applications_list_centre_transmitted':
        "centre_code, transmitted_at DESC NULLS LAST, id DESC",
    'ix_applications_list_centre_status_transmitted':
        "centre_code, status, transmitted_at DESC NULLS LAST, id DESC",
    'ix_applications_list_centre_candidate':
        "centre_code, lower(candidate ->> 'last_name'), lower(candidate ->> 'first_name'), id",
    'ix_applications_list_commission_transmitted':
        "(formation -> 'commission' ->> 'code'), transmitted_at DESC NULLS LAST, id DESC",
}


def upgrade():
    for name, key in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON applications ({key}) WHERE cancelled_at IS NULL")


def downgrade():
    for name in INDEXES:
        op.execute(f"DROP INDEX {name}")

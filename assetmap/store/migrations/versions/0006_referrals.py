"""Schema version 6 (issue 11): referrals as records, their audit trail, and providers'
private links.

The tables are created from their declarations in ``schema.py`` (new tables: nothing to
convert). A later revision that changes them must alter them explicitly.

Revision ID: 0006
Revises: 0005
"""
from alembic import op

from assetmap.store.migrations.helpers import set_schema_version
from assetmap.store.schema import provider_links, referral_events, referrals

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    for table in (referrals, referral_events, provider_links):
        table.create(bind=bind, checkfirst=True)
    set_schema_version(revision)

"""Schema version 5 (issue 14): an imported Open Referral record keeps its ids and the fields
AssetMap cannot hold, verbatim JSON (``assets.oruk_extra``), and exports them again.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

from assetmap.store.migrations.helpers import set_schema_version
from assetmap.store.schema import Txt

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("assets", sa.Column("oruk_extra", Txt()))
    set_schema_version(revision)

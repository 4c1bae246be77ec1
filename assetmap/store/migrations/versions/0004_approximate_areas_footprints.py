"""Schema version 4 (issue 17): areas drawn from centroids are flagged
``approximate_geometry``; an asset imported as a polygon or line keeps its outline
(``footprint``, display only) beside the point analysis measures from.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

from assetmap.store.migrations.helpers import is_postgresql, set_schema_version
from assetmap.store.schema import Geom

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("areas", sa.Column("approximate_geometry", sa.Boolean, nullable=False,
                                     server_default=sa.false()))
    op.add_column("assets", sa.Column("footprint", Geom))
    if is_postgresql():
        op.create_index("ix_assets_footprint_gist", "assets", ["footprint"],
                        postgresql_using="gist")
    set_schema_version(revision)

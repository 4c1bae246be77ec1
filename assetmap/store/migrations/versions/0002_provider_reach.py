"""Schema version 2 (commit 41b721f): a provider's reach, the area it serves, places and the
date its vacancies were last confirmed (see model.PROVIDER_COLUMNS).

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

from assetmap.store.migrations.helpers import set_schema_version
from assetmap.store.schema import Str, Txt

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("providers", sa.Column("reach", Str(8)))
    op.add_column("providers", sa.Column("area_served", Txt()))
    op.add_column("providers", sa.Column("area_served_geojson", Txt()))
    op.add_column("providers", sa.Column("capacity_places", sa.Float))
    op.add_column("providers", sa.Column("vacancies_confirmed", Str(32)))
    set_schema_version(revision)

"""Schema version 3: PostGIS as a GIS database. A GiST index on every geometry column, and
the times the store records as ``timestamptz`` (issue 14). Nothing changes on SQLite, where
geometry is WKB and times ISO text.

Revision ID: 0003
Revises: 0002
"""
from alembic import op

from assetmap.store.migrations.helpers import is_postgresql, set_schema_version

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

GEOMETRY_TABLES = ("areas", "assets", "networks")
#: table -> the time columns the store writes itself (ISO 8601 text before).
STAMPS = {"assets": ("created_at", "updated_at"), "asset_versions": ("changed_at",),
          "blobs": ("created_at",), "runs": ("created_at",), "users": ("created_at",),
          "submissions": ("created_at", "updated_at", "reviewed_at"),
          "outreach_plans": ("created_at",)}


def upgrade():
    if is_postgresql():
        for table in GEOMETRY_TABLES:
            op.create_index(f"ix_{table}_geometry_gist", table, ["geometry"],
                            postgresql_using="gist")
        for table, columns in STAMPS.items():
            for col in columns:
                op.execute(f'ALTER TABLE {table} ALTER COLUMN {col} TYPE timestamptz '
                           f'USING NULLIF({col}, \'\')::timestamptz')
    set_schema_version(revision)

"""What revisions share: the schema version record, a geometry column with its index."""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assetmap.store.schema import Geom


def set_schema_version(revision: str) -> None:
    """Record the revision's number as the meta table's ``schema`` row (what backups and
    older versions of AssetMap read)."""
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.execute(meta.delete().where(meta.c.key == "schema"))
    op.execute(meta.insert().values(key="schema", value=str(int(revision))))


def is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def add_geometry(table: str, column: str = "geometry", nullable: bool = True) -> None:
    """A geometry column (WKB on SQLite, PostGIS geometry on PostgreSQL) and, on PostGIS,
    its GiST index (named as ``schema.gist_index`` names it)."""
    op.add_column(table, sa.Column(column, Geom, nullable=nullable))
    if is_postgresql():
        op.create_index(f"ix_{table}_{column}_gist", table, [column], postgresql_using="gist")

"""On PostGIS, each analysis run's results also as real tables, for QGIS and SQL users.

``areas_results``, ``access``, ``gaps``, ``hotspots`` and ``isochrones`` hold the latest run's
rows (``run_id`` says which run; ``runs`` has its time and parameters), each row with a
geometry in EPSG:4326 (the area's boundary for the area tables, the walking polygon for
isochrones), a GiST index on it, an integer key ``fid`` and an index on ``area_code``. Their
columns come from the result contract (``assetmap.results.FRAMES``: text, double precision,
bigint, boolean, geometry), so they follow it when it grows; a family column (``min_library``,
``within_15``) is added the first time a run has it. Each run replaces the rows in the same
transaction that stores it: a reader sees the old run or the new one, never a mix. Tables
are kept (and columns never dropped) so that QGIS projects and views built on them go on
working. SQLite stores keep results in the run's blobs only (``assetmap export`` writes a
GeoPackage for GIS use).
"""
from __future__ import annotations

import logging
import re
from typing import Any

import pandas as pd
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from .. import results
from .schema import Geom

log = logging.getLogger(__name__)

#: Result frame -> the table that holds it.
TABLES = {"areas": "areas_results", "access": "access", "gaps": "gaps",
          "hotspots": "hotspots", "isochrones": "isochrones"}
_TYPES: dict[str, Any] = {"str": Text, "float": Float(precision=53), "int": BigInteger,
                          "bool": Boolean}
_SAFE = re.compile(r"^[a-z_][a-z0-9_]*$")


#: Frame columns renamed in the tables (one naming scheme: area_code, area_name).
RENAMED = {"areas": {"code": "area_code", "name": "area_name"}}


def _declared(frame_name: str, column: str) -> results.Column | None:
    back = {v: k for k, v in RENAMED.get(frame_name, {}).items()}
    column = back.get(column, column)
    for c in results.columns(frame_name):
        if c.name == column or (c.pattern is not None and c.pattern.match(column)):
            return c
    return None


def table_for(frame_name: str, frame: pd.DataFrame, metadata: MetaData) -> Table:
    """The results table of ``frame``: fid, run_id, its contract columns, geometry."""
    name = TABLES[frame_name]
    cols = [Column("fid", BigInteger, primary_key=True, autoincrement=False),
            Column("run_id", Integer, nullable=False)]
    for col in frame.columns:
        decl = _declared(frame_name, str(col))
        if decl is None or decl.dtype == "geometry" or not _SAFE.match(str(col)):
            continue
        cols.append(Column(str(col), _TYPES[decl.dtype], comment=_comment(decl)))
    cols.append(Column("geometry", Geom))
    return Table(name, metadata, *cols,
                 Index(f"ix_{name}_geometry_gist", "geometry", postgresql_using="gist"),
                 *([Index(f"ix_{name}_area_code", "area_code")]
                   if "area_code" in frame.columns else []))


def _comment(c: results.Column) -> str:
    return f"{c.meaning} ({c.unit})" if c.unit else c.meaning


def _add_missing_columns(conn: Connection, table: Table) -> None:
    have = set(conn.execute(text(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = :t"), {"t": table.name}).scalars())
    for col in table.columns:
        if col.name not in have:
            kind = col.type.compile(dialect=conn.dialect)
            conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{col.name}" {kind}'))


def _rows(frame: pd.DataFrame, table: Table, run_id: int) -> list[dict]:
    names = [c.name for c in table.columns if c.name in frame.columns]
    clean = frame[names].astype(object).where(frame[names].notna(), None)
    out = []
    for i, rec in enumerate(clean.to_dict("records"), start=1):
        rec.update(fid=i, run_id=run_id)
        out.append({k: (v.item() if hasattr(v, "item") else v) for k, v in rec.items()})
    return out


def _frame(name: str, blob: bytes) -> pd.DataFrame:
    return results.from_bytes(blob).rename(columns=RENAMED.get(name, {}))


def write(conn: Connection, run_id: int, blobs: dict[str, bytes]) -> list[str]:
    """Replace the results tables' rows with run ``run_id``'s (PostGIS only); returns the
    tables written. A result that is not a contract frame, or a table that cannot take it
    (changed by hand), is skipped with a warning: the run itself is always stored."""
    written = []
    for name, table_name in TABLES.items():
        if name not in blobs:
            continue
        try:
            frame = _frame(name, blobs[name])
        except (ValueError, KeyError, TypeError, OSError):
            log.warning("run %s: '%s' is not a result frame; table %s not written", run_id,
                        name, table_name)
            continue
        try:
            with conn.begin_nested():
                _write_table(conn, run_id, name, frame)
        except SQLAlchemyError as e:
            log.warning("run %s: table %s not written (%s)", run_id, table_name,
                        str(getattr(e, "orig", e)).strip().splitlines()[0])
            continue
        written.append(table_name)
    return written


def _write_table(conn: Connection, run_id: int, name: str, frame: pd.DataFrame) -> None:
    table_name = TABLES[name]
    table = table_for(name, frame, MetaData())
    table.create(conn, checkfirst=True)
    _add_missing_columns(conn, table)
    conn.execute(text(f"DELETE FROM {table_name}"))
    rows = _rows(frame, table, run_id)
    for i in range(0, len(rows), 5000):
        conn.execute(table.insert(), rows[i:i + 5000])
    if "geometry" not in frame.columns and "area_code" in frame.columns:
        conn.execute(text(f"UPDATE {table_name} t SET geometry = a.geometry FROM areas a "
                          "WHERE a.code = t.area_code"))


def drop(conn: Connection) -> None:
    """Remove the results tables (``drop_all``: tests and ``demo --force``)."""
    for table_name in TABLES.values():
        conn.execute(text(f"DROP TABLE IF EXISTS {table_name} CASCADE"))

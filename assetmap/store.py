"""The only code that talks SQL.

SQLAlchemy 2 Core tables; a SQLite file by default (WAL, foreign keys on) and PostgreSQL +
PostGIS by URL through the same code. Geometry is a :class:`Geom` column: WKB bytes on
SQLite, a PostGIS ``geometry(…, 4326)`` on PostgreSQL (2-D). Text columns (:func:`Str`,
:func:`Txt`) behave on PostgreSQL as on SQLite: no length limit enforced, byte-order
sorting, NUL characters dropped (see :class:`_PGText`). Every write runs inside one
transaction and bumps the store's data version, so analysis results and cached maps can say
which data they were built from.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Iterator

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import (Boolean, and_, bindparam, Column, Float, ForeignKey, Integer, LargeBinary, MetaData,
                        String, Table, Text, create_engine, delete, event, func, insert, select,
                        text, update)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import TypeDecorator, UserDefinedType

from . import model
from .errors import ConflictError, InputError, NotFound
from .settings import STORAGE_CRS, default_db_url

SCHEMA_VERSION = 1


def _to_wkb(value):
    return None if value is None else shapely.to_wkb(value)


def _from_wkb(value):
    return None if value is None else shapely.from_wkb(bytes(value))


class _PostGISGeometry(UserDefinedType):
    """A PostGIS geometry column in EPSG:4326, exchanged with Python as WKB."""

    cache_ok = True

    def get_col_spec(self, **kw):
        return "geometry(Geometry, 4326)"

    def bind_expression(self, bindvalue):
        return func.ST_SetSRID(func.ST_GeomFromWKB(bindvalue), 4326)

    def column_expression(self, col):
        return func.ST_AsBinary(col, type_=self)

    def bind_processor(self, dialect):
        # the column is XY (typmod ``Geometry``) and the store is 2-D throughout; PostGIS
        # refuses a Z or M coordinate ("Geometry has Z dimension but column does not"), so
        # a 3-D GeoJSON or GPKG import would fail only here: drop them (SQLite keeps the
        # bytes it is given, and nothing reads Z)
        return lambda value: None if value is None else _to_wkb(shapely.force_2d(value))

    def result_processor(self, dialect, coltype):
        return _from_wkb


class _WKBBlob(TypeDecorator):
    """Geometry as WKB bytes in a BLOB (SQLite)."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return _to_wkb(value)

    def process_result_value(self, value, dialect):
        return _from_wkb(value)


#: Shapely geometry column: WKB BLOB on SQLite, PostGIS geometry on PostgreSQL.
Geom = _WKBBlob().with_variant(_PostGISGeometry(), "postgresql")


class _PGText(TypeDecorator):
    """The PostgreSQL side of every text column, so that it behaves as SQLite's does:

    * unbounded: SQLite never enforces a VARCHAR length, PostgreSQL raises
      StringDataRightTruncation; the lengths in the table definitions document intent (the
      limits users see are checked in ``model``/``submissions`` with a proper InputError);
    * collation "C" (byte order, SQLite's BINARY): ORDER BY, min/max and comparisons give
      the same answer whatever locale the server's database was created with (en_US,
      ICU... sort "B" before "a" differently, and ignore or reorder punctuation);
    * NUL characters removed: PostgreSQL text cannot hold them ("PostgreSQL text fields
      cannot contain NUL (0x00) bytes") and they have no meaning in any field.
    """

    impl = String
    cache_ok = True

    def __init__(self):
        super().__init__(collation="C")

    def process_bind_param(self, value, dialect):
        if isinstance(value, str) and "\x00" in value:
            return value.replace("\x00", "")
        return value


def Str(length: int) -> String:
    """A short text column: VARCHAR(length) on SQLite (not enforced there), see _PGText."""
    return String(length).with_variant(_PGText(), "postgresql")


def Txt() -> Text:
    """A long text column: TEXT on SQLite, see _PGText."""
    return Text().with_variant(_PGText(), "postgresql")


def _int(value):
    """An integer key or version as Python int (None stays None). A numpy integer (a value
    taken from a data frame) binds as a BLOB through sqlite3 and then silently matches
    nothing there, while psycopg binds it as a number: coerce at the door so both backends
    answer alike."""
    return None if value is None else int(value)


metadata = MetaData()

meta_table = Table("meta", metadata,
                   Column("key", Str(64), primary_key=True),
                   Column("value", Txt()))

areas = Table(
    "areas", metadata,
    Column("code", Str(16), primary_key=True),
    Column("name", Str(200), nullable=False),
    Column("level", Str(8), nullable=False, index=True),
    Column("parent_code", Str(16)),
    Column("parent_name", Str(200)),
    *[Column(b, Float) for b in model.AGE_BANDS],
    Column("pwc_lon", Float), Column("pwc_lat", Float),
    Column("geometry", Geom, nullable=False),
)

indicators = Table(
    "indicators", metadata,
    Column("id", Str(64), primary_key=True),
    Column("title", Str(300), nullable=False),
    Column("unit", Str(40), nullable=False),
    Column("polarity", Str(12), nullable=False),
    Column("ci_method", Str(12), nullable=False),
    Column("source", Txt()), Column("period", Str(60)), Column("description", Txt()),
)

indicator_values = Table(
    "indicator_values", metadata,
    Column("indicator_id", Str(64), ForeignKey("indicators.id", ondelete="CASCADE"),
           primary_key=True),
    Column("area_code", Str(16), ForeignKey("areas.code", ondelete="CASCADE"),
           primary_key=True),
    Column("value", Float), Column("count", Float), Column("denominator", Float),
    Column("lower_ci", Float), Column("upper_ci", Float),
)

assets = Table(
    "assets", metadata,
    Column("id", Str(64), primary_key=True),
    Column("name", Str(200), nullable=False),
    Column("category", Str(32), nullable=False, index=True),
    Column("description", Txt()), Column("address", Txt()), Column("postcode", Str(10)),
    Column("opening_hours", Txt()), Column("contact", Txt()),
    Column("contact_public", Boolean, nullable=False, default=False),
    Column("website", Txt()),
    Column("source", Str(16), nullable=False), Column("source_ref", Str(200), index=True),
    Column("status", Str(12), nullable=False, index=True),
    Column("home_based", Boolean, nullable=False, default=False),
    Column("last_reviewed", Str(32)),
    Column("created_by", Str(100)), Column("created_at", Str(32)),
    Column("updated_by", Str(100)), Column("updated_at", Str(32)),
    Column("version", Integer, nullable=False, default=1),
    Column("geometry", Geom, nullable=False),
)

providers = Table(
    "providers", metadata,
    Column("asset_id", Str(64), ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
    Column("service_types", Txt(), nullable=False), Column("client_groups", Txt(), nullable=False),
    Column("hourly_price", Float), Column("quality_mark", Str(8), nullable=False),
    Column("cqc_registered", Boolean, nullable=False), Column("cqc_location_id", Str(40)),
    Column("direct_payments", Boolean, nullable=False),
    Column("preferred_list", Boolean, nullable=False),
    Column("staff_fte", Float), Column("capacity_hours", Float), Column("vacancies", Float),
    Column("community_focus", Txt()), Column("radius_km", Float),
    Column("charity_number", Str(20)), Column("company_number", Str(20)),
)

asset_versions = Table(
    "asset_versions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("asset_id", Str(64), ForeignKey("assets.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("action", Str(20), nullable=False),
    Column("data", Txt(), nullable=False),
    Column("changed_by", Str(100)), Column("changed_at", Str(32), nullable=False),
    Column("reason", Txt()),
)

networks = Table(
    "networks", metadata,
    Column("id", Str(64), primary_key=True),
    Column("name", Str(200), nullable=False),
    Column("hub_asset_id", Str(64)),
    Column("members", Integer), Column("activities", Txt()),
    Column("geometry", Geom, nullable=False),
)

blobs = Table(
    "blobs", metadata,
    Column("name", Str(100), primary_key=True),
    Column("sha256", Str(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", Str(32), nullable=False),
)

postcodes = Table(
    "postcodes", metadata,
    Column("postcode", Str(10), primary_key=True),
    Column("lon", Float, nullable=False), Column("lat", Float, nullable=False),
    Column("area_code", Str(16)),
)

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", Str(32), nullable=False),
    Column("data_version", Integer, nullable=False),
    Column("params", Txt(), nullable=False),
    Column("summary", Txt()),
)

run_results = Table(
    "run_results", metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("name", Str(64), primary_key=True),
    Column("data", LargeBinary, nullable=False),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Str(100), nullable=False, unique=True),
    Column("role", Str(16), nullable=False),
    Column("password_hash", Txt(), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", Str(32), nullable=False),
)

#: Contributions (issue 6): a new asset (kind "new", its asset row is ``pending``) or a
#: proposed change to an existing one (kind "update", the asset stays as it is until a
#: planner approves). ``token_hash`` is the SHA-256 of the contributor's private link.
submissions = Table(
    "submissions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("asset_id", Str(64), ForeignKey("assets.id"), nullable=False, index=True),
    Column("kind", Str(8), nullable=False),
    Column("status", Str(12), nullable=False, index=True),
    Column("data", Txt(), nullable=False),
    Column("base_version", Integer),
    Column("token_hash", Str(64), index=True),
    Column("submitted_by", Str(100), index=True),
    Column("created_at", Str(32), nullable=False),
    Column("updated_at", Str(32), nullable=False),
    Column("reviewed_by", Str(100)), Column("reviewed_at", Str(32)),
    Column("reason", Txt()),
    Column("version", Integer, nullable=False, default=1),
)

#: Tables reported by ``assetmap info``, in dependency order.
COUNTED_TABLES = ("areas", "indicators", "indicator_values", "assets", "providers",
                  "asset_versions", "networks", "blobs", "postcodes", "runs", "run_results",
                  "users")


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _nan_to_none(v):
    if v is None:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


def _records(df: pd.DataFrame, columns) -> list[dict]:
    cols = [c for c in columns if c in df.columns]
    return [{c: _nan_to_none(r[c]) for c in cols} for r in df[cols].to_dict("records")]


def _frame(rows, schema: dict) -> pd.DataFrame:
    """Rows read back, with the dtypes the schema promises."""
    return model.apply_dtypes(pd.DataFrame(rows, columns=list(schema)), schema)


class Store:
    """A handle on one AssetMap database (SQLite file or PostgreSQL+PostGIS)."""

    def __init__(self, url: str | None = None, *, create: bool = True):
        self.url = url or default_db_url()
        if self.url.startswith("sqlite:///"):
            path = Path(self.url[len("sqlite:///"):])
            if str(path) not in ("", ":memory:"):
                path.parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(self.url, future=True, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        if create:
            self.create()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def create(self) -> None:
        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
            metadata.create_all(conn)
            if conn.execute(select(meta_table.c.value).where(meta_table.c.key == "schema")
                            ).scalar() is None:
                conn.execute(insert(meta_table), [{"key": "schema", "value": str(SCHEMA_VERSION)},
                                                  {"key": "data_version", "value": "0"}])

    def drop_all(self) -> None:
        """Remove every AssetMap table (tests and ``demo --force``). The data version keeps
        counting up, so caches keyed by it never mistake new data for old."""
        try:
            before = self.data_version()
        except Exception:  # tables missing or unreadable: start again from 0
            before = 0
        with self.engine.begin() as conn:
            metadata.drop_all(conn)
        self.create()
        if before:
            with self.engine.begin() as conn:
                conn.execute(update(meta_table).where(meta_table.c.key == "data_version")
                             .values(value=str(before)))

    def dispose(self) -> None:
        self.engine.dispose()

    # --- transactions ----------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One all-or-nothing unit of work; writes inside it bump the data version once."""
        with self.engine.begin() as conn:
            conn.info["assetmap_dirty"] = False
            yield conn
            if conn.info.get("assetmap_dirty"):
                self._bump_version(conn)

    @contextlib.contextmanager
    def _use(self, conn: Connection | None, *, write: bool = False) -> Iterator[Connection]:
        if conn is not None:
            if write:
                conn.info["assetmap_dirty"] = True
            yield conn
            return
        if write:
            with self.transaction() as c:
                c.info["assetmap_dirty"] = True
                yield c
        else:
            with self.engine.connect() as c:
                yield c

    def _bump_version(self, conn: Connection) -> None:
        conn.execute(update(meta_table).where(meta_table.c.key == "data_version")
                     .values(value=func.cast(func.cast(meta_table.c.value, Integer) + 1, Text)))

    # --- meta ------------------------------------------------------------------------
    def data_version(self, conn: Connection | None = None) -> int:
        with self._use(conn) as c:
            return int(c.execute(select(meta_table.c.value)
                                 .where(meta_table.c.key == "data_version")).scalar() or 0)

    def get_meta(self, key: str, default=None, conn: Connection | None = None):
        with self._use(conn) as c:
            v = c.execute(select(meta_table.c.value).where(meta_table.c.key == key)).scalar()
        return default if v is None else v

    def set_meta(self, key: str, value, conn: Connection | None = None) -> None:
        with self._use(conn, write=True) as c:
            c.execute(delete(meta_table).where(meta_table.c.key == key))
            c.execute(insert(meta_table).values(key=key, value=None if value is None else str(value)))

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as c:
            return {name: int(c.execute(select(func.count()).select_from(metadata.tables[name]))
                              .scalar()) for name in COUNTED_TABLES}

    # --- areas -----------------------------------------------------------------------
    def write_areas(self, gdf: gpd.GeoDataFrame, *, replace: bool = False,
                    conn: Connection | None = None, file: str = "areas") -> int:
        """Insert or update areas by code. ``replace`` first removes every area (and its
        indicator values) of the levels being written."""
        clean = model.validate_areas(gdf, file=file)
        rows = _records(clean, model.AREA_COLUMNS)
        for r, geom in zip(rows, clean.geometry):
            r["geometry"] = geom
        with self._use(conn, write=True) as c:
            if replace:
                lv = sorted(set(clean["level"]))
                c.execute(delete(areas).where(areas.c.level.in_(lv)))
            self._upsert(c, areas, rows, ["code"])
        return len(rows)

    def read_areas(self, level: str | None = "lsoa", codes=None,
                   conn: Connection | None = None) -> gpd.GeoDataFrame:
        q = select(areas).order_by(areas.c.code)
        if level:
            q = q.where(areas.c.level == level)
        if codes is not None:
            q = q.where(areas.c.code.in_(list(codes)))
        with self._use(conn) as c:
            rows = [dict(r._mapping) for r in c.execute(q)]
        df = _frame(rows, model.AREA_COLUMNS)
        return gpd.GeoDataFrame(df, geometry=[r["geometry"] for r in rows], crs=STORAGE_CRS)

    # --- indicators ------------------------------------------------------------------
    def write_indicators(self, df: pd.DataFrame, conn: Connection | None = None,
                         file: str = "indicators") -> int:
        clean = model.validate_indicators(df, file=file)
        with self._use(conn, write=True) as c:
            self._upsert(c, indicators, _records(clean, model.INDICATOR_COLUMNS), ["id"])
        return len(clean)

    def read_indicators(self, conn: Connection | None = None) -> pd.DataFrame:
        with self._use(conn) as c:
            rows = [dict(r._mapping) for r in c.execute(select(indicators).order_by(indicators.c.id))]
        return _frame(rows, model.INDICATOR_COLUMNS)

    def write_values(self, df: pd.DataFrame, conn: Connection | None = None,
                     file: str = "indicator values") -> int:
        clean = model.validate_values(df, file=file)
        with self._use(conn, write=True) as c:
            known = set(c.execute(select(areas.c.code)).scalars())
            bad = ~clean["area_code"].isin(known)
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError(f"unknown area code '{clean['area_code'].iloc[i]}' (import the "
                                 "boundaries first)", file=file, row=i + 1, field="area_code")
            known_ind = set(c.execute(select(indicators.c.id)).scalars())
            bad = ~clean["indicator_id"].isin(known_ind)
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError(f"unknown indicator '{clean['indicator_id'].iloc[i]}'",
                                 file=file, row=i + 1, field="indicator_id")
            self._upsert(c, indicator_values, _records(clean, model.VALUE_COLUMNS),
                         ["indicator_id", "area_code"])
        return len(clean)

    def read_values(self, indicator_ids=None, conn: Connection | None = None) -> pd.DataFrame:
        q = select(indicator_values).order_by(indicator_values.c.indicator_id,
                                              indicator_values.c.area_code)
        if indicator_ids is not None:
            q = q.where(indicator_values.c.indicator_id.in_(list(indicator_ids)))
        with self._use(conn) as c:
            rows = [dict(r._mapping) for r in c.execute(q)]
        return _frame(rows, model.VALUE_COLUMNS)

    def values_wide(self, column: str = "value") -> pd.DataFrame:
        """Indicator values as one column per indicator, indexed by area code."""
        v = self.read_values()
        if v.empty:
            return pd.DataFrame()
        return v.pivot(index="area_code", columns="indicator_id", values=column)

    # --- assets and providers ------------------------------------------------------------
    def write_assets(self, gdf: gpd.GeoDataFrame, providers_df: pd.DataFrame | None = None, *,
                     conn: Connection | None = None, file: str = "assets",
                     changed_by: str | None = None, action: str = "import") -> int:
        """Insert or update assets (and their provider records) by id, recording a version."""
        clean = model.validate_assets(gdf, file=file)
        prov = None
        if providers_df is not None and len(providers_df):
            prov = model.validate_providers(providers_df, file=file)
            missing = ~prov["asset_id"].isin(set(clean["id"]))
            if missing.any():
                i = int(np.flatnonzero(missing.to_numpy())[0])
                raise InputError(f"provider record for unknown asset '{prov['asset_id'].iloc[i]}'",
                                 file=file, row=i + 1, field="asset_id")
        stamp = now_iso()
        rows = _records(clean, model.ASSET_COLUMNS)
        for r, geom in zip(rows, clean.geometry):
            r["geometry"] = geom
            r["created_at"] = r.get("created_at") or stamp
            r["updated_at"] = r.get("updated_at") or stamp
        prov_rows = {} if prov is None else {r["asset_id"]: r for r in
                                             _records(prov, model.PROVIDER_COLUMNS)}
        with self._use(conn, write=True) as c:
            existing = {r.id: r.version for r in c.execute(
                select(assets.c.id, assets.c.version).where(assets.c.id.in_([r["id"] for r in rows])))}
            for r in rows:
                if r["id"] in existing:
                    r["version"] = existing[r["id"]] + 1
            self._upsert(c, assets, rows, ["id"])
            if prov_rows:
                self._upsert(c, providers, list(prov_rows.values()), ["asset_id"])
            c.execute(insert(asset_versions), [
                {"asset_id": r["id"], "version": r["version"], "action": action,
                 "data": _version_json(r, prov_rows.get(r["id"])), "changed_by": changed_by,
                 "changed_at": stamp} for r in rows])
        return len(rows)

    def read_assets(self, statuses=("approved",), *, with_providers: bool = True,
                    categories=None, ids=None, conn: Connection | None = None) -> gpd.GeoDataFrame:
        """Assets (with provider columns joined where they have a service record)."""
        q = select(assets).order_by(assets.c.id)
        if statuses is not None:
            q = q.where(assets.c.status.in_(list(statuses)))
        if categories is not None:
            q = q.where(assets.c.category.in_(list(categories)))
        if ids is not None:
            q = q.where(assets.c.id.in_(list(ids)))
        with self._use(conn) as c:
            rows = [dict(r._mapping) for r in c.execute(q)]
            geoms = [r["geometry"] for r in rows]
            df = _frame(rows, model.ASSET_COLUMNS)
            if with_providers:
                p = self.read_providers(conn=c)
                p = p[p["asset_id"].isin(set(df["id"]))]
                df = df.merge(p, how="left", left_on="id", right_on="asset_id").drop(
                    columns="asset_id")
                df["is_provider"] = df["service_types"].notna()
        return gpd.GeoDataFrame(df, geometry=geoms, crs=STORAGE_CRS)

    def read_providers(self, conn: Connection | None = None) -> pd.DataFrame:
        with self._use(conn) as c:
            rows = [dict(r._mapping) for r in c.execute(select(providers).order_by(providers.c.asset_id))]
        return _frame(rows, model.PROVIDER_COLUMNS)

    def get_asset(self, asset_id: str, conn: Connection | None = None) -> dict:
        df = self.read_assets(statuses=None, ids=[asset_id], conn=conn)
        if df.empty:
            raise NotFound(f"no asset with id '{asset_id}'")
        return df.iloc[0].to_dict()

    def set_asset_status(self, asset_id: str, status: str, *, expected_version: int | None,
                         changed_by: str | None, reason: str | None = None,
                         conn: Connection | None = None) -> int:
        """Change status with optimistic locking; returns the new version."""
        if status not in model.ASSET_STATUSES:
            raise InputError(f"'{status}' is not a status", field="status")
        with self._use(conn, write=True) as c:
            cur = c.execute(select(assets).where(assets.c.id == asset_id)).first()
            if cur is None:
                raise NotFound(f"no asset with id '{asset_id}'")
            q = update(assets).where(assets.c.id == asset_id)
            if expected_version is not None:
                q = q.where(assets.c.version == _int(expected_version))
            stamp = now_iso()
            res = c.execute(q.values(status=status, version=assets.c.version + 1,
                                     updated_by=changed_by, updated_at=stamp,
                                     last_reviewed=stamp))
            if res.rowcount != 1:
                raise ConflictError(
                    f"'{cur.name}' was changed by someone else (now version {cur.version}); "
                    "reload it and try again")
            row = dict(c.execute(select(assets).where(assets.c.id == asset_id)).first()._mapping)
            prov = c.execute(select(providers).where(providers.c.asset_id == asset_id)).first()
            c.execute(insert(asset_versions).values(
                asset_id=asset_id, version=row["version"], action=status,
                data=_version_json(row, dict(prov._mapping) if prov else None),
                changed_by=changed_by, changed_at=stamp, reason=reason))
            return row["version"]

    def asset_history(self, asset_id: str, conn: Connection | None = None) -> pd.DataFrame:
        with self._use(conn) as c:
            rows = [dict(r._mapping) for r in c.execute(
                select(asset_versions).where(asset_versions.c.asset_id == asset_id)
                .order_by(asset_versions.c.id))]
        return pd.DataFrame(rows, columns=[c.name for c in asset_versions.columns])

    # --- networks --------------------------------------------------------------------
    def write_networks(self, gdf: gpd.GeoDataFrame, conn: Connection | None = None,
                       file: str = "networks") -> int:
        clean = model.validate_networks(gdf, file=file)
        rows = _records(clean, model.NETWORK_COLUMNS)
        for r, geom in zip(rows, clean.geometry):
            r["geometry"] = geom
        with self._use(conn, write=True) as c:
            self._upsert(c, networks, rows, ["id"])
        return len(rows)

    def read_networks(self, conn: Connection | None = None) -> gpd.GeoDataFrame:
        with self._use(conn) as c:
            rows = [dict(r._mapping) for r in c.execute(select(networks).order_by(networks.c.id))]
        df = _frame(rows, model.NETWORK_COLUMNS)
        return gpd.GeoDataFrame(df, geometry=[r["geometry"] for r in rows], crs=STORAGE_CRS)

    # --- blobs (OSM files, compiled graphs) -----------------------------------------------
    def put_blob(self, name: str, data: bytes, conn: Connection | None = None) -> str:
        digest = hashlib.sha256(data).hexdigest()
        with self._use(conn, write=True) as c:
            c.execute(delete(blobs).where(blobs.c.name == name))
            c.execute(insert(blobs).values(name=name, sha256=digest, data=data,
                                           created_at=now_iso()))
        return digest

    def get_blob(self, name: str, conn: Connection | None = None) -> tuple[bytes, str] | None:
        with self._use(conn) as c:
            r = c.execute(select(blobs.c.data, blobs.c.sha256).where(blobs.c.name == name)).first()
        return None if r is None else (bytes(r.data), r.sha256)

    def blob_hash(self, name: str, conn: Connection | None = None) -> str | None:
        with self._use(conn) as c:
            return c.execute(select(blobs.c.sha256).where(blobs.c.name == name)).scalar()

    # --- postcodes -------------------------------------------------------------------
    def write_postcodes(self, df: pd.DataFrame, conn: Connection | None = None) -> int:
        rows = _records(df, ["postcode", "lon", "lat", "area_code"])
        with self._use(conn, write=True) as c:
            self._upsert(c, postcodes, rows, ["postcode"])
        return len(rows)

    def lookup_postcodes(self, codes, conn: Connection | None = None) -> pd.DataFrame:
        """Known postcodes among ``codes`` (normalised), with lon/lat."""
        wanted = sorted({model.normalise_postcode(p) for p in codes if model.normalise_postcode(p)})
        out = []
        with self._use(conn) as c:
            for i in range(0, len(wanted), 500):
                out += [dict(r._mapping) for r in c.execute(
                    select(postcodes).where(postcodes.c.postcode.in_(wanted[i:i + 500])))]
        return pd.DataFrame(out, columns=["postcode", "lon", "lat", "area_code"])

    # --- analysis runs ---------------------------------------------------------------
    def save_run(self, params: dict, data_version: int, results: dict[str, bytes],
                 summary: dict | None = None, conn: Connection | None = None) -> int:
        """Store one analysis run: its parameters, the data version it read and its results
        (name -> serialised bytes, e.g. GeoParquet or JSON)."""
        with self._begin(conn) as c:
            run_id = c.execute(insert(runs).values(
                created_at=now_iso(), data_version=_int(data_version),
                params=json.dumps(params, sort_keys=True, default=str),
                summary=json.dumps(summary or {}, sort_keys=True, default=str))
            ).inserted_primary_key[0]
            if results:
                c.execute(insert(run_results), [{"run_id": run_id, "name": k, "data": v}
                                                 for k, v in results.items()])
        return int(run_id)

    def latest_run(self, conn: Connection | None = None) -> dict | None:
        with self._use(conn) as c:
            r = c.execute(select(runs).order_by(runs.c.id.desc()).limit(1)).first()
        return None if r is None else _run_dict(r)

    def get_run(self, run_id: int, conn: Connection | None = None) -> dict:
        with self._use(conn) as c:
            r = c.execute(select(runs).where(runs.c.id == _int(run_id))).first()
        if r is None:
            raise NotFound(f"no analysis run {run_id}")
        return _run_dict(r)

    def run_result(self, run_id: int, name: str, conn: Connection | None = None) -> bytes | None:
        with self._use(conn) as c:
            return c.execute(select(run_results.c.data).where(
                (run_results.c.run_id == _int(run_id)) & (run_results.c.name == name))).scalar()

    def run_result_names(self, run_id: int) -> list[str]:
        with self.engine.connect() as c:
            return list(c.execute(select(run_results.c.name)
                                  .where(run_results.c.run_id == _int(run_id))
                                  .order_by(run_results.c.name)).scalars())

    # --- users -----------------------------------------------------------------------
    def add_user(self, name: str, role: str, password_hash: str,
                 conn: Connection | None = None) -> int:
        if role not in model.ROLES:
            raise InputError(f"role must be one of {', '.join(model.ROLES)}", field="role")
        with self._begin(conn) as c:
            if c.execute(select(users.c.id).where(users.c.name == name)).first():
                raise InputError(f"a user called '{name}' already exists", field="name")
            return int(c.execute(insert(users).values(
                name=name, role=role, password_hash=password_hash, active=True,
                created_at=now_iso())).inserted_primary_key[0])

    def get_user(self, name: str | None = None, user_id: int | None = None) -> dict | None:
        q = select(users)
        q = q.where(users.c.name == name) if name is not None else \
            q.where(users.c.id == _int(user_id))
        with self.engine.connect() as c:
            r = c.execute(q).first()
        return None if r is None else dict(r._mapping)

    def list_users(self) -> pd.DataFrame:
        with self.engine.connect() as c:
            rows = [dict(r._mapping) for r in c.execute(select(users).order_by(users.c.id))]
        return pd.DataFrame(rows, columns=[c.name for c in users.columns]).drop(
            columns="password_hash")

    # --- helpers -----------------------------------------------------------------------
    def _begin(self, conn: Connection | None):
        """A transaction that does not change the data version (runs, users)."""
        return contextlib.nullcontext(conn) if conn is not None else self.engine.begin()

    def _upsert(self, conn: Connection, table: Table, rows: list[dict], keys: list[str]) -> None:
        """Insert rows, updating in place any whose key exists (portable; keeps foreign keys
        that point at the row intact)."""
        if not rows:
            return
        existing: set[tuple] = set()
        if len(keys) == 1:
            k = keys[0]
            ids = [r[k] for r in rows]
            for i in range(0, len(ids), 500):
                existing |= {(v,) for v in conn.execute(
                    select(table.c[k]).where(table.c[k].in_(ids[i:i + 500]))).scalars()}
        else:
            for r in rows:
                cond = and_(*[table.c[k] == r[k] for k in keys])
                if conn.execute(select(table.c[keys[0]]).where(cond)).first() is not None:
                    existing.add(tuple(r[k] for k in keys))
        new = [r for r in rows if tuple(r[k] for k in keys) not in existing]
        old = [r for r in rows if tuple(r[k] for k in keys) in existing]
        if old:
            cols = [c for c in old[0] if c not in keys]
            stmt = update(table).where(and_(*[table.c[k] == bindparam("_k_" + k) for k in keys])
                                       ).values({c: bindparam("_v_" + c) for c in cols})
            params = [{**{"_k_" + k: r[k] for k in keys}, **{"_v_" + c: r.get(c) for c in cols}}
                      for r in old]
            conn.execute(stmt, params)
        for i in range(0, len(new), 1000):
            conn.execute(insert(table), new[i:i + 1000])


    # --- contributions and moderation (issue 6) ----------------------------------------------
    #: Asset columns a contribution or an edit may change.
    EDITABLE_ASSET_FIELDS = ("name", "category", "description", "address", "postcode",
                             "opening_hours", "contact", "contact_public", "website",
                             "home_based")

    def areas_signature(self) -> tuple:
        """A cheap fingerprint of the stored areas (for caching the borough outline)."""
        with self.engine.connect() as c:
            r = c.execute(select(func.count(), func.min(areas.c.code),
                                 func.max(areas.c.code))).first()
        return tuple(r)

    def _asset_and_provider(self, c: Connection, asset_id: str):
        row = c.execute(select(assets).where(assets.c.id == asset_id)).first()
        if row is None:
            raise NotFound(f"no asset with id '{asset_id}'")
        prov = c.execute(select(providers).where(providers.c.asset_id == asset_id)).first()
        return dict(row._mapping), (dict(prov._mapping) if prov else None)

    @staticmethod
    def _clean_asset(row: dict, geometry, file: str) -> dict:
        """One asset row through ``model.validate_assets`` (the same rules as imports)."""
        cols = {k: [row.get(k)] for k in model.ASSET_COLUMNS}
        clean = model.validate_assets(gpd.GeoDataFrame(cols, geometry=[geometry],
                                                       crs=STORAGE_CRS), file=file)
        out = _records(clean, model.ASSET_COLUMNS)[0]
        out["geometry"] = clean.geometry.iloc[0]
        return out

    @staticmethod
    def _clean_provider(asset_id: str, prov: dict, file: str) -> dict:
        cols = {k: [prov.get(k)] for k in model.PROVIDER_COLUMNS}
        cols["asset_id"] = [asset_id]
        clean = model.validate_providers(pd.DataFrame(cols), file=file)
        return _records(clean, model.PROVIDER_COLUMNS)[0]

    def _record_version(self, c: Connection, asset_id: str, action: str,
                        changed_by: str | None, stamp: str, reason: str | None = None) -> int:
        row, prov = self._asset_and_provider(c, asset_id)
        c.execute(insert(asset_versions).values(
            asset_id=asset_id, version=row["version"], action=action,
            data=_version_json(row, prov), changed_by=changed_by, changed_at=stamp,
            reason=reason))
        return row["version"]

    def _conflict(self, c: Connection, asset_id: str) -> ConflictError:
        cur = c.execute(select(assets.c.name, assets.c.version, assets.c.updated_by)
                        .where(assets.c.id == asset_id)).first()
        if cur is None:
            return NotFound(f"no asset with id '{asset_id}'")
        who = f" by {cur.updated_by}" if cur.updated_by else ""
        return ConflictError(
            f"'{cur.name}' was changed{who} while you were working on it (it is now version "
            f"{cur.version}); nothing was overwritten. Reload the page, check the changes "
            "and try again.")

    def create_submission(self, data: dict, *, token_hash: str | None,
                          submitted_by: str | None, asset_id: str | None = None,
                          conn: Connection | None = None) -> dict:
        """Store a new contributed asset as ``pending`` (invisible to public reads) with its
        service record, a first version and a submission row. ``data`` is
        ``submissions.Contribution.as_data()``. Returns {"id", "asset_id"}."""
        import uuid
        stamp = now_iso()
        asset_id = asset_id or f"community-{uuid.uuid4().hex[:16]}"
        who = submitted_by or "community (anonymous)"
        row = {**{k: data["asset"].get(k) for k in self.EDITABLE_ASSET_FIELDS},
               "id": asset_id, "source": "community", "status": "pending", "version": 1,
               "created_by": who, "created_at": stamp, "updated_by": who, "updated_at": stamp,
               "last_reviewed": None}
        clean = self._clean_asset(row, shapely.Point(data["lon"], data["lat"]), "submission")
        prov = None if not data.get("provider") else \
            self._clean_provider(asset_id, data["provider"], "submission")
        with self._use(conn, write=True) as c:
            c.execute(insert(assets).values(**clean))
            if prov:
                c.execute(insert(providers).values(**prov))
            self._record_version(c, asset_id, "submitted", who, stamp)
            sid = c.execute(insert(submissions).values(
                asset_id=asset_id, kind="new", status="pending",
                data=json.dumps(data, sort_keys=True, default=str), base_version=1,
                token_hash=token_hash, submitted_by=submitted_by, created_at=stamp,
                updated_at=stamp, version=1)).inserted_primary_key[0]
        return {"id": int(sid), "asset_id": asset_id}

    def propose_update(self, asset_id: str, data: dict, *, token_hash: str | None,
                       submitted_by: str | None, conn: Connection | None = None) -> dict:
        """A proposed change to an existing asset; the asset is untouched until approved."""
        stamp = now_iso()
        with self._begin(conn) as c:
            row, _ = self._asset_and_provider(c, asset_id)
            sid = c.execute(insert(submissions).values(
                asset_id=asset_id, kind="update", status="pending",
                data=json.dumps(data, sort_keys=True, default=str),
                base_version=row["version"], token_hash=token_hash,
                submitted_by=submitted_by, created_at=stamp, updated_at=stamp, version=1)
            ).inserted_primary_key[0]
        return {"id": int(sid), "asset_id": asset_id}

    def _submission_query(self):
        return (select(submissions, assets.c.name.label("asset_name"),
                       assets.c.status.label("asset_status"),
                       assets.c.version.label("asset_version"),
                       assets.c.category.label("asset_category"),
                       assets.c.home_based.label("asset_home_based"))
                .join(assets, assets.c.id == submissions.c.asset_id))

    @staticmethod
    def _submission_dict(r) -> dict:
        d = dict(r._mapping)
        d["data"] = json.loads(d["data"])
        return d

    def get_submission(self, submission_id: int, conn: Connection | None = None) -> dict:
        with self._use(conn) as c:
            r = c.execute(self._submission_query().where(submissions.c.id == _int(submission_id))
                          ).first()
        if r is None:
            raise NotFound(f"no submission {submission_id}")
        return self._submission_dict(r)

    def submission_by_token(self, token_hash: str, conn: Connection | None = None) -> dict:
        """The latest submission made through one private link."""
        with self._use(conn) as c:
            r = c.execute(self._submission_query().where(submissions.c.token_hash == token_hash)
                          .order_by(submissions.c.id.desc()).limit(1)).first()
        if r is None:
            raise NotFound("this link does not match any submission")
        return self._submission_dict(r)

    def list_submissions(self, statuses=("pending",), *, submitted_by: str | None = None,
                         asset_id: str | None = None, limit: int | None = None,
                         conn: Connection | None = None) -> list[dict]:
        q = self._submission_query().order_by(submissions.c.id)
        if statuses is not None:
            q = q.where(submissions.c.status.in_(list(statuses)))
        if submitted_by is not None:
            q = q.where(submissions.c.submitted_by == submitted_by)
        if asset_id is not None:
            q = q.where(submissions.c.asset_id == asset_id)
        if limit:
            q = q.limit(limit)
        with self._use(conn) as c:
            return [self._submission_dict(r) for r in c.execute(q)]

    def count_submissions(self, conn: Connection | None = None) -> dict:
        with self._use(conn) as c:
            return {k: int(v) for k, v in c.execute(
                select(submissions.c.status, func.count()).group_by(submissions.c.status))}

    def _bump_submission(self, c: Connection, sub: dict, expected_version: int | None,
                         **values) -> None:
        q = update(submissions).where(submissions.c.id == sub["id"])
        if expected_version is not None:
            q = q.where(submissions.c.version == _int(expected_version))
        res = c.execute(q.values(version=submissions.c.version + 1, updated_at=now_iso(),
                                 **values))
        if res.rowcount != 1:
            raise ConflictError(
                f"submission {sub['id']} ('{sub.get('asset_name')}') was changed by someone "
                "else while you were working on it (amended by its contributor or handled by "
                "another planner); nothing was overwritten. Reload the page and check again.")

    def update_asset(self, asset_id: str, data: dict, *, expected_version: int | None,
                     changed_by: str | None, action: str = "edit", reason: str | None = None,
                     status: str | None = None, reviewed: bool = False,
                     conn: Connection | None = None) -> int:
        """Apply edited fields (``Contribution.as_data()``: asset fields, optional service
        record, lon/lat or None to keep the location) with optimistic locking: raises
        ConflictError when the asset is no longer at ``expected_version``. Returns the new
        version. A missing service record leaves any existing one as it is."""
        stamp = now_iso()
        with self._use(conn, write=True) as c:
            cur, cur_prov = self._asset_and_provider(c, asset_id)
            if expected_version is None:
                expected_version = cur["version"]
            if cur["version"] != expected_version:
                raise self._conflict(c, asset_id)
            row = dict(cur)
            row.update({k: data["asset"].get(k) for k in self.EDITABLE_ASSET_FIELDS
                        if k in data["asset"]})
            if status is not None:
                row["status"] = status
            self._write_next_version(
                c, asset_id, cur, cur_prov, row, _location(cur, data), data.get("provider"),
                mode="edit", expected_version=expected_version, changed_by=changed_by,
                stamp=stamp, extra={"last_reviewed": stamp} if reviewed else None)
            return self._record_version(c, asset_id, action, changed_by, stamp, reason)

    def _write_next_version(self, c: Connection, asset_id: str, cur: dict, cur_prov,
                            row: dict, geom, provider: dict | None, *, mode: str,
                            expected_version: int, changed_by: str | None, stamp: str,
                            extra: dict | None = None,
                            drop_missing_provider: bool = False) -> None:
        """Write ``row`` (and ``provider``) over the asset as its next version, refusing with
        ConflictError unless the asset is still at ``expected_version``. Without a
        ``provider`` the service record is kept, or removed if ``drop_missing_provider``."""
        clean = self._clean_asset(row, geom, mode)
        vals = {k: clean[k] for k in clean if k not in ("id", "version", "created_by",
                                                         "created_at")}
        vals.update(updated_by=changed_by, updated_at=stamp, version=cur["version"] + 1,
                    **(extra or {}))
        res = c.execute(update(assets).where((assets.c.id == asset_id)
                                             & (assets.c.version == _int(expected_version)))
                        .values(**vals))
        if res.rowcount != 1:
            raise self._conflict(c, asset_id)
        if provider:
            clean_p = self._clean_provider(asset_id, provider, mode)
            if cur_prov:
                c.execute(update(providers).where(providers.c.asset_id == asset_id)
                          .values(**{k: v for k, v in clean_p.items() if k != "asset_id"}))
            else:
                c.execute(insert(providers).values(**clean_p))
        elif drop_missing_provider and cur_prov:
            c.execute(delete(providers).where(providers.c.asset_id == asset_id))

    def _set_status_locked(self, c: Connection, asset_id: str, status: str, *,
                           expected_version: int, changed_by: str | None, action: str,
                           reason: str | None, stamp: str) -> int:
        res = c.execute(update(assets).where((assets.c.id == asset_id)
                                             & (assets.c.version == _int(expected_version)))
                        .values(status=status, version=assets.c.version + 1,
                                updated_by=changed_by, updated_at=stamp, last_reviewed=stamp))
        if res.rowcount != 1:
            raise self._conflict(c, asset_id)
        return self._record_version(c, asset_id, action, changed_by, stamp, reason)

    def amend_submission(self, submission_id: int, data: dict, *, expected_version: int | None,
                         changed_by: str | None, conn: Connection | None = None) -> dict:
        """The contributor (or a planner) changes a submission. A pending or rejected new
        asset is edited in place (and is pending again); an approved asset gets a new
        ``update`` proposal (its public record changes only when a planner approves)."""
        with self._use(conn, write=True) as c:
            sub = self.get_submission(submission_id, conn=c)
            if expected_version is not None and sub["version"] != expected_version:
                self._bump_submission(c, sub, expected_version)  # raises ConflictError
            stamp = now_iso()
            if sub["kind"] == "new" and sub["asset_status"] in ("pending", "rejected"):
                self.update_asset(sub["asset_id"], data, expected_version=sub["asset_version"],
                                  changed_by=changed_by, action="amended", status="pending",
                                  conn=c)
                self._bump_submission(c, sub, sub["version"], status="pending",
                                      data=json.dumps(data, sort_keys=True, default=str),
                                      reason=None, reviewed_by=None, reviewed_at=None)
                return {"id": sub["id"], "asset_id": sub["asset_id"], "kind": "new"}
            if sub["kind"] == "update" and sub["status"] in ("pending", "rejected"):
                self._bump_submission(c, sub, sub["version"], status="pending",
                                      data=json.dumps(data, sort_keys=True, default=str),
                                      base_version=sub["asset_version"], reason=None,
                                      reviewed_by=None, reviewed_at=None)
                return {"id": sub["id"], "asset_id": sub["asset_id"], "kind": "update"}
            if sub["asset_status"] == "retired":
                raise ConflictError("this asset has been retired; it can no longer be changed "
                                    "here (ask a planner)")
            # approved: a fresh proposal through the same private link
            sid = c.execute(insert(submissions).values(
                asset_id=sub["asset_id"], kind="update", status="pending",
                data=json.dumps(data, sort_keys=True, default=str),
                base_version=sub["asset_version"], token_hash=sub["token_hash"],
                submitted_by=sub["submitted_by"], created_at=stamp, updated_at=stamp,
                version=1)).inserted_primary_key[0]
            return {"id": int(sid), "asset_id": sub["asset_id"], "kind": "update"}

    def edit_submission(self, submission_id: int, data: dict, *, expected_version: int,
                        expected_asset_version: int, changed_by: str,
                        conn: Connection | None = None) -> None:
        """A planner corrects a pending submission before deciding on it."""
        with self._use(conn, write=True) as c:
            sub = self.get_submission(submission_id, conn=c)
            if sub["status"] != "pending":
                raise ConflictError(f"submission {submission_id} is already {sub['status']}")
            self._bump_submission(c, sub, expected_version,
                                  data=json.dumps(data, sort_keys=True, default=str))
            if sub["kind"] == "new":
                self.update_asset(sub["asset_id"], data, expected_version=expected_asset_version,
                                  changed_by=changed_by, action="edit", conn=c)

    def approve_submission(self, submission_id: int, *, expected_version: int,
                           expected_asset_version: int, reviewer: str,
                           conn: Connection | None = None) -> int:
        """Publish a submission: a new asset becomes ``approved``; an update is applied to
        the asset. Both versions must be the ones the reviewer saw (else ConflictError).
        Returns the asset's new version."""
        stamp = now_iso()
        with self._use(conn, write=True) as c:
            sub = self.get_submission(submission_id, conn=c)
            if sub["status"] != "pending":
                raise ConflictError(f"submission {submission_id} was already {sub['status']} "
                                    f"by {sub['reviewed_by'] or 'someone else'}")
            self._bump_submission(c, sub, expected_version, status="approved",
                                  reviewed_by=reviewer, reviewed_at=stamp)
            if sub["kind"] == "new":
                return self._set_status_locked(
                    c, sub["asset_id"], "approved", expected_version=expected_asset_version,
                    changed_by=reviewer, action="approved", reason=None, stamp=stamp)
            return self.update_asset(sub["asset_id"], sub["data"],
                                     expected_version=expected_asset_version,
                                     changed_by=reviewer, action="approved update",
                                     reviewed=True, conn=c)

    def reject_submission(self, submission_id: int, *, reason: str, expected_version: int,
                          expected_asset_version: int | None, reviewer: str,
                          conn: Connection | None = None) -> None:
        """Turn a submission down with a reason (shown to its contributor). A new asset
        becomes ``rejected`` (kept, never deleted)."""
        if not (reason or "").strip():
            raise InputError("give a reason for rejecting (the contributor sees it)",
                             field="reason")
        stamp = now_iso()
        with self._use(conn, write=True) as c:
            sub = self.get_submission(submission_id, conn=c)
            if sub["status"] != "pending":
                raise ConflictError(f"submission {submission_id} was already {sub['status']}")
            self._bump_submission(c, sub, expected_version, status="rejected",
                                  reviewed_by=reviewer, reviewed_at=stamp, reason=reason)
            if sub["kind"] == "new":
                self._set_status_locked(
                    c, sub["asset_id"], "rejected",
                    expected_version=sub["asset_version"] if expected_asset_version is None
                    else expected_asset_version,
                    changed_by=reviewer, action="rejected", reason=reason, stamp=stamp)

    def mark_reviewed(self, asset_id: str, *, expected_version: int, changed_by: str,
                      conn: Connection | None = None) -> int:
        """Record that a planner checked the record is still true (resets its review date)."""
        stamp = now_iso()
        with self._use(conn, write=True) as c:
            res = c.execute(update(assets).where((assets.c.id == asset_id)
                                                 & (assets.c.version == _int(expected_version)))
                            .values(version=assets.c.version + 1, last_reviewed=stamp,
                                    updated_by=changed_by, updated_at=stamp))
            if res.rowcount != 1:
                raise self._conflict(c, asset_id)
            return self._record_version(c, asset_id, "reviewed", changed_by, stamp)

    def get_version(self, version_id: int, conn: Connection | None = None) -> dict:
        with self._use(conn) as c:
            r = c.execute(select(asset_versions)
                          .where(asset_versions.c.id == _int(version_id))).first()
        if r is None:
            raise NotFound(f"no stored version {version_id}")
        d = dict(r._mapping)
        d["data"] = json.loads(d["data"])
        return d

    def restore_version(self, asset_id: str, version_id: int, *, expected_version: int,
                        changed_by: str, conn: Connection | None = None) -> int:
        """Make an earlier version's content current again (as a new version: history only
        grows). The status is kept: retire or reinstate separately."""
        stamp = now_iso()
        with self._use(conn, write=True) as c:
            old = self.get_version(version_id, conn=c)
            if old["asset_id"] != asset_id:
                raise NotFound(f"version {version_id} is not a version of '{asset_id}'")
            data = old["data"]
            cur, cur_prov = self._asset_and_provider(c, asset_id)
            if cur["version"] != expected_version:
                raise self._conflict(c, asset_id)
            row = dict(cur)
            row.update({k: data.get(k) for k in (*self.EDITABLE_ASSET_FIELDS,
                                                 "source", "source_ref")
                        if k in data})
            # a restored version without a service record removes the current one (which
            # stays in the history, asset_versions, and can itself be restored)
            self._write_next_version(
                c, asset_id, cur, cur_prov, row, _location(cur, data), data.get("provider"),
                mode="restore", expected_version=expected_version, changed_by=changed_by,
                stamp=stamp, drop_missing_provider=True)
            return self._record_version(c, asset_id, f"restored v{old['version']}", changed_by,
                                        stamp, reason=f"restored version {old['version']}")

    def update_user(self, user_id: int, *, role: str | None = None, active: bool | None = None,
                    password_hash: str | None = None, conn: Connection | None = None) -> None:
        vals = {}
        if role is not None:
            if role not in model.ROLES:
                raise InputError(f"role must be one of {', '.join(model.ROLES)}", field="role")
            vals["role"] = role
        if active is not None:
            vals["active"] = bool(active)
        if password_hash is not None:
            vals["password_hash"] = password_hash
        if not vals:
            return
        with self._begin(conn) as c:
            if c.execute(update(users).where(users.c.id == _int(user_id))
                         .values(**vals)).rowcount != 1:
                raise NotFound(f"no user {user_id}")

def _location(cur: dict, data: dict):
    """The point ``data`` moves the asset to (lon/lat), or its current one."""
    if data.get("lon") is None:
        return cur["geometry"]
    return shapely.Point(data["lon"], data["lat"])


def _run_dict(r) -> dict:
    d = dict(r._mapping)
    d["params"] = json.loads(d["params"])
    d["summary"] = json.loads(d["summary"] or "{}")
    return d


def _version_json(asset_row: dict, provider_row: dict | None) -> str:
    data = {k: v for k, v in asset_row.items() if k != "geometry"}
    geom = asset_row.get("geometry")
    if geom is not None:
        data["lon"], data["lat"] = round(geom.x, 7), round(geom.y, 7)
    if provider_row:
        data["provider"] = {k: v for k, v in provider_row.items() if k != "asset_id"}
    return json.dumps(data, sort_keys=True, default=str)


def _sqlite_pragmas(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def open_store(url: str | None = None) -> Store:
    return Store(url)


# --- outreach plans (issue 7; appended, self-contained) -------------------------------------
outreach_plans = Table(
    "outreach_plans", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Str(200), nullable=False),
    Column("created_at", Str(32), nullable=False),
    Column("created_by", Str(100)),
    Column("run_id", Integer),
    Column("data_version", Integer),
    Column("params", Txt(), nullable=False),
    Column("plan", Txt(), nullable=False),
)


def _save_outreach_plan(self, name: str, plan: dict, *, created_by: str | None = None,
                        conn: Connection | None = None) -> int:
    """Store a coordinator's outreach plan (the whole plan as JSON, its parameters and the
    analysis run it came from). Does not change the data version."""
    with self._begin(conn) as c:
        return int(c.execute(insert(outreach_plans).values(
            name=(name or "Outreach plan")[:200], created_at=now_iso(), created_by=created_by,
            run_id=plan.get("run_id"), data_version=plan.get("data_version"),
            params=json.dumps(plan.get("params", {}), sort_keys=True),
            plan=json.dumps(plan, sort_keys=True))).inserted_primary_key[0])


def _get_outreach_plan(self, plan_id: int, conn: Connection | None = None) -> dict:
    with self._use(conn) as c:
        r = c.execute(select(outreach_plans).where(outreach_plans.c.id == int(plan_id))).first()
    if r is None:
        raise NotFound(f"no saved outreach plan {plan_id}")
    d = dict(r._mapping)
    d["params"] = json.loads(d["params"])
    d["plan"] = json.loads(d["plan"])
    return d


def _list_outreach_plans(self, conn: Connection | None = None) -> pd.DataFrame:
    cols = ["id", "name", "created_at", "created_by", "run_id", "data_version"]
    with self._use(conn) as c:
        rows = [dict(r._mapping) for r in c.execute(
            select(*[outreach_plans.c[k] for k in cols]).order_by(outreach_plans.c.id.desc()))]
    return pd.DataFrame(rows, columns=cols)


def _delete_outreach_plan(self, plan_id: int, conn: Connection | None = None) -> None:
    with self._begin(conn) as c:
        c.execute(delete(outreach_plans).where(outreach_plans.c.id == int(plan_id)))


def _postcodes_within(self, bounds, conn: Connection | None = None) -> pd.DataFrame:
    """Postcodes whose point lies in a lon/lat box (minx, miny, maxx, maxy)."""
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    with self._use(conn) as c:
        rows = [dict(r._mapping) for r in c.execute(select(postcodes).where(
            (postcodes.c.lon >= minx) & (postcodes.c.lon <= maxx)
            & (postcodes.c.lat >= miny) & (postcodes.c.lat <= maxy)))]
    return pd.DataFrame(rows, columns=["postcode", "lon", "lat", "area_code"])


Store.save_outreach_plan = _save_outreach_plan
Store.get_outreach_plan = _get_outreach_plan
Store.list_outreach_plans = _list_outreach_plans
Store.delete_outreach_plan = _delete_outreach_plan
Store.postcodes_within = _postcodes_within

"""The store's base: the engine, the schema's creation, transactions and the data version,
the meta table, counts; and the small helpers every concern's mixin shares.

Every write runs inside one transaction and bumps the store's data version, so analysis
results and cached maps can say which data they were built from.
"""
from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import numpy as np
import pandas as pd
from sqlalchemy import (
    Integer,
    Table,
    Text,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from .. import model, settings
from ..errors import AssetMapError, NotFound
from ..settings import default_db_url
from . import migrate
from .migrate import SchemaError
from .schema import COUNTED_TABLES, areas, meta_table, metadata

if TYPE_CHECKING:
    from . import Store


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _int(value):
    """An integer key or version as Python int (None stays None). A numpy integer (a value
    taken from a data frame) binds as a BLOB through sqlite3 and then silently matches
    nothing there, while psycopg binds it as a number: coerce at the door so both backends
    answer alike."""
    return None if value is None else int(value)


def inserted_id(result) -> int:
    """The primary key a single-row ``insert()`` made (SQLAlchemy types it Optional: it is
    None only for statements that are not a plain single-row insert)."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the insert made no primary key")
    return int(key[0])


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


def _sqlite_pragmas(dbapi_conn, _record):
    dbapi_conn.isolation_level = None       # transactions begin in _sqlite_begin, not the driver
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={int(settings.STORE_BUSY_TIMEOUT_S * 1000)}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    """Write transactions take SQLite's write lock when they begin (BEGIN IMMEDIATE, waiting
    up to the busy timeout), so one that read first can never fail to upgrade its lock with
    "database is locked" under concurrent writers; reads begin deferred."""
    write = conn.get_execution_options().get("assetmap_write")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class StoreCore:
    """A handle on one AssetMap database (SQLite file or PostgreSQL+PostGIS): the engine,
    transactions and the data version. Each concern's methods come from a mixin (see
    ``assetmap.store.Store``)."""

    def __init__(self, url: str | None = None, *, create: bool = True, check: bool = True):
        """Open the store at ``url`` at this code's schema (``migrate``): an empty database
        gets the tables (unless ``create`` is False: then a missing SQLite file or an empty
        database is a :class:`~assetmap.store.migrate.SchemaError`, and nothing is made), an
        older embedded SQLite store is copied and upgraded, and a store newer than the code
        or of unknown shape is refused. ``check`` False skips all that (``assetmap db``)."""
        self.url = url or default_db_url()
        self.engine: Engine = self._engine(create)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        if check:
            self._open(create)

    @property
    def display_url(self) -> str:
        """The URL without its credentials."""
        return migrate._display(self.url)

    def _engine(self, create: bool) -> Engine:
        """The engine; a bad URL or a missing SQLite file (``create`` False) is an error a
        person can act on, not a traceback."""
        try:
            url = make_url(self.url)
        except ArgumentError:
            raise SchemaError(f"'{migrate._display(self.url)}' is not a database URL (give "
                              "sqlite:///PATH or postgresql+psycopg://USER@HOST/DB)") from None
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            path = Path(str(url.database))
            if not create and not path.is_file():
                raise SchemaError(f"no AssetMap store at {path}: `assetmap demo` builds the "
                                  "demo borough, `assetmap import` loads your own data")
            if not path.parent.is_dir():
                if not create:
                    raise SchemaError(f"the folder {path.parent} does not exist")
                path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return create_engine(url, future=True, pool_pre_ping=True)
        except (ArgumentError, ImportError) as e:
            raise SchemaError(f"cannot use the database URL "
                              f"'{migrate._display(self.url)}': {e}") from None

    def _open(self, create: bool) -> None:
        try:
            migrate.check_or_upgrade(self.engine, self.url, backup=self._copy_before_upgrade,
                                     create=create)
        except OperationalError as e:
            self.engine.dispose()
            raise AssetMapError(f"cannot open the store {migrate._display(self.url)}: "
                                f"{str(e.orig).strip().splitlines()[0]}") from None

    def _copy_before_upgrade(self, path: Path) -> None:
        backup = getattr(self, "backup", None)
        if backup is not None:
            backup(path)

    def copy_before_upgrade(self, st: migrate.State) -> str | None:
        """An embedded SQLite store copied beside itself before an upgrade (its path); None
        for PostgreSQL (whose owner backs it up: ``assetmap backup`` or pg_dump)."""
        if self.dialect != "sqlite":
            return None
        path = migrate.sqlite_backup_path(str(self.engine.url.database), st.revision)
        self._copy_before_upgrade(path)
        return str(path)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def create(self) -> None:
        """Make the tables of an empty database, or bring an older one to this schema (the
        open-time check again; see ``migrate``)."""
        self._open(True)

    def upgrade_schema(self) -> migrate.State:
        """``assetmap db upgrade``: apply every pending migration (PostgreSQL included), in
        one transaction. Returns the state before."""
        with self.engine.connect() as conn:
            before = migrate.state(conn)
        if before.kind in ("newer", "unknown"):
            raise migrate.refusal(before, self.url)
        with self._write() as conn:
            migrate.upgrade(conn)
        return before

    def schema_state(self) -> migrate.State:
        with self.engine.connect() as conn:
            return migrate.state(conn)

    def drop_all(self) -> None:
        """Remove every AssetMap table (tests and ``demo --force``). The data version keeps
        counting up, so caches keyed by it never mistake new data for old."""
        try:
            before = self.data_version()
        except Exception:  # tables missing or unreadable: start again from 0
            before = 0
        with self.engine.begin() as conn:
            metadata.drop_all(conn)
            conn.execute(text(f"DROP TABLE IF EXISTS {migrate.VERSION_TABLE}"))
            self._drop_extra_tables(conn)
        self.create()
        if before:
            with self.engine.begin() as conn:
                conn.execute(update(meta_table).where(meta_table.c.key == "data_version")
                             .values(value=str(before)))

    def _drop_extra_tables(self, conn: Connection) -> None:
        """Tables beside the schema's own: the PostGIS results tables (``results_tables``)."""
        if self.dialect == "postgresql":
            from . import results_tables
            results_tables.drop(conn)

    def dispose(self) -> None:
        self.engine.dispose()

    # --- transactions ----------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One all-or-nothing unit of work; writes inside it bump the data version once."""
        with self._write() as conn:
            conn.info["assetmap_dirty"] = False
            yield conn
            if conn.info.get("assetmap_dirty"):
                self._bump_version(conn)

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        """A transaction that will write (on SQLite it holds the write lock from the start)."""
        with self.engine.connect() as conn:
            conn.execution_options(assetmap_write=True)
            with conn.begin():
                yield conn

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

    def _row_by_id(self, table: Table, row_id, missing: str,
                   conn: Connection | None = None) -> dict:
        """The row of ``table`` whose ``id`` is ``row_id`` as a dict, or NotFound(missing)."""
        with self._use(conn) as c:
            r = c.execute(select(table).where(table.c.id == _int(row_id))).first()
        if r is None:
            raise NotFound(missing)
        return dict(r._mapping)

    def _begin(self, conn: Connection | None):
        """A transaction that does not change the data version (runs, users)."""
        return contextlib.nullcontext(conn) if conn is not None else self._write()

    def _bump_version(self, conn: Connection) -> None:
        conn.execute(update(meta_table).where(meta_table.c.key == "data_version")
                     .values(value=func.cast(func.cast(meta_table.c.value, Integer) + 1, Text)))

    def _upsert(self, conn: Connection, table: Table, rows: list[dict], keys: list[str]) -> None:
        """Insert rows, updating in place any whose key exists (portable; keeps foreign keys
        that point at the row intact)."""
        if not rows:
            return
        existing = self._existing_keys(conn, table, rows, keys)
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

    @staticmethod
    def _existing_keys(conn: Connection, table: Table, rows: list[dict],
                       keys: list[str]) -> set[tuple]:
        """The keys (as tuples) among ``rows`` that ``table`` already holds."""
        existing: set[tuple] = set()
        if len(keys) == 1:
            k = keys[0]
            ids = [r[k] for r in rows]
            for i in range(0, len(ids), 500):
                existing |= {(v,) for v in conn.execute(
                    select(table.c[k]).where(table.c[k].in_(ids[i:i + 500]))).scalars()}
        else:   # one query per 500 distinct first-key values, not one per row
            wanted = {tuple(r[k] for k in keys) for r in rows}
            firsts = sorted({w[0] for w in wanted})
            cols = [table.c[k] for k in keys]
            for i in range(0, len(firsts), 500):
                for got in conn.execute(select(*cols).where(cols[0].in_(firsts[i:i + 500]))):
                    if tuple(got) in wanted:
                        existing.add(tuple(got))
        return existing

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
            c.execute(insert(meta_table).values(key=key,
                                                value=None if value is None else str(value)))

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as c:
            return {name: int(c.execute(select(func.count()).select_from(metadata.tables[name]))
                              .scalar_one()) for name in COUNTED_TABLES}

    def areas_signature(self) -> tuple:
        """A cheap fingerprint of the stored areas (for caching the borough outline)."""
        with self.engine.connect() as c:
            r = c.execute(select(func.count(), func.min(areas.c.code),
                                 func.max(areas.c.code))).one()
        return tuple(r)


def open_store(url: str | None = None) -> Store:
    """The full :class:`~assetmap.store.Store` at ``url`` (imported here, not at the top:
    ``Store`` is assembled in the package from this module's base and the mixins)."""
    from . import Store
    return Store(url)

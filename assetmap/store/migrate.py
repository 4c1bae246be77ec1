"""Opening a store at the right schema: create, check, upgrade (Alembic, ``migrations/``).

On opening, a store is one of:

* **empty** (no AssetMap table): the tables are created from ``schema.metadata`` and stamped
  with the newest revision (what the revisions build is the same: a test checks);
* **current**: used as it is (one query);
* **behind** (an older revision, or a store made before migrations existed: its meta
  ``schema`` row says which version): an embedded SQLite store is copied first (a backup
  beside it, ``NAME.schema<N>-<time>.sqlite``) and upgraded; any other store is refused
  until ``assetmap db upgrade``, which the server's owner runs on purpose;
* **newer** than this code, or of **unknown shape** (tables without a readable version, or
  tables a version must have missing): refused with :class:`SchemaError` (exit status 2),
  nothing changed.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert, inspect, select, text
from sqlalchemy.engine import Connection, Engine

from ..errors import InputError
from .schema import SCHEMA_VERSION, meta_table, metadata

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: The newest revision's id (``SCHEMA_VERSION`` as four digits; a test checks that it is the
#: head of ``migrations/versions``).
HEAD = f"{SCHEMA_VERSION:04d}"
VERSION_TABLE = "alembic_version"
#: Tables every version of the schema has (a store lacking one is not an AssetMap store).
CORE_TABLES = ("meta", "areas", "indicators", "indicator_values", "assets", "providers",
               "asset_versions", "networks", "blobs", "postcodes", "runs", "run_results",
               "users")


class SchemaError(InputError):
    """The store's schema cannot be used by this code as it is (exit status 2)."""


@dataclass(frozen=True)
class State:
    """Where a store stands: ``kind`` is empty, current, behind, newer or unknown;
    ``revision`` its revision (None when empty or unknown); ``why`` for unknown."""
    kind: str
    revision: str | None = None
    why: str = ""


def _revision_of(number: object) -> str | None:
    try:
        return f"{int(str(number)):04d}"
    except (TypeError, ValueError):
        return None


def state(conn: Connection) -> State:
    """Where the store on ``conn`` stands (reads only)."""
    insp = inspect(conn)
    if insp.has_table(VERSION_TABLE):
        rev = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
        return _classify(_revision_of(rev), f"its Alembic revision is {rev!r}")
    tables = set(insp.get_table_names())
    ours = tables & set(metadata.tables)
    if not ours:
        return State("empty")
    if "meta" not in tables:
        return State("unknown", why="it has tables named like AssetMap's but no meta table")
    number = conn.execute(select(meta_table.c.value).where(meta_table.c.key == "schema")
                          ).scalar()
    missing = [t for t in CORE_TABLES if t not in tables]
    if missing:
        return State("unknown", why=f"tables {', '.join(missing)} are missing")
    return _classify(_revision_of(number), f"its schema record is {number!r}")


def _classify(rev: str | None, what: str) -> State:
    if rev is None or int(rev) < 1:
        return State("unknown", why=f"{what}, which no AssetMap version wrote")
    if rev == HEAD:
        return State("current", rev)
    return State("behind" if int(rev) < SCHEMA_VERSION else "newer", rev)


def refusal(st: State, url: str) -> SchemaError:
    """The message for a store this code will not open as it is."""
    where = _display(url)
    if st.kind == "newer":
        return SchemaError(f"the store {where} has schema version {int(st.revision or 0)}, "
                           f"newer than this AssetMap's ({SCHEMA_VERSION}): upgrade AssetMap "
                           "(or restore a backup made by this version)")
    if st.kind == "behind":
        return SchemaError(f"the store {where} has schema version {int(st.revision or 0)}; "
                           f"this AssetMap needs {SCHEMA_VERSION}: run `assetmap db upgrade` "
                           "(back the database up first)")
    return SchemaError(f"{where} is not an AssetMap store this version can read ({st.why})")


def _display(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def create_current(conn: Connection) -> None:
    """An empty database: every table as ``schema.py`` declares it, stamped with HEAD."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    metadata.create_all(conn)
    conn.execute(insert(meta_table), [{"key": "schema", "value": str(SCHEMA_VERSION)},
                                      {"key": "data_version", "value": "0"}])
    stamp(conn, HEAD)


def stamp(conn: Connection, revision: str) -> None:
    """Record ``revision`` as the store's Alembic revision (no schema change)."""
    conn.execute(text(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} "
                      "(version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
    conn.execute(text(f"DELETE FROM {VERSION_TABLE}"))
    conn.execute(text(f"INSERT INTO {VERSION_TABLE} (version_num) VALUES (:r)"), {"r": revision})


def _alembic_config(conn: Connection):
    from alembic.config import Config
    logging.getLogger("alembic").setLevel(logging.WARNING)   # our own lines say what happened
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    return cfg


def upgrade(conn: Connection, target: str = "head") -> None:
    """Apply the revisions after the store's own, inside ``conn``'s transaction. A store
    made before migrations existed is stamped with its meta ``schema`` version first (and a
    schema-1 store from before issue 13 gets the users' session_version column it lacks)."""
    from alembic import command
    if conn.dialect.name == "postgresql":     # one process at a time creates or upgrades
        conn.execute(text("SELECT pg_advisory_xact_lock(7261154)"))
    st = state(conn)
    if st.kind in ("unknown", "newer"):
        raise refusal(st, str(conn.engine.url))
    if st.kind == "empty":
        create_current(conn)
        return
    if st.kind == "current":
        return
    if not inspect(conn).has_table(VERSION_TABLE):
        _issue13_fixup(conn)
        stamp(conn, st.revision or HEAD)
    command.upgrade(_alembic_config(conn), target)


#: Added to schema version 1 by issue 13, before migrations existed: a schema-1 store made
#: before then lacks them.
ISSUE13_TABLES = ("rate_events", "login_failures")


def _issue13_fixup(conn: Connection) -> None:
    """What a schema-1 store made before issue 13 lacks: the users' session_version column
    and the rate-limit tables (made as schema.py declares them, which is as revision 0001
    does: a later revision that changes these tables must add them first where missing)."""
    insp = inspect(conn)
    if "session_version" not in {c["name"] for c in insp.get_columns("users")}:
        conn.execute(text("ALTER TABLE users ADD COLUMN session_version INTEGER NOT NULL "
                          "DEFAULT 0"))
    missing = [metadata.tables[t] for t in ISSUE13_TABLES if not insp.has_table(t)]
    if missing:
        metadata.create_all(conn, tables=missing)


def script_head() -> str:
    """The newest revision in ``migrations/versions`` (read from the files)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    return str(head)


def sqlite_backup_path(database: str, revision: str | None) -> Path:
    """Where the copy taken before an automatic upgrade goes: beside the store."""
    db = Path(database)
    when = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return db.with_name(f"{db.stem}.schema{int(revision or 0)}-{when}{db.suffix or '.sqlite'}")


def check_or_upgrade(engine: Engine, url: str, *, backup, create: bool) -> State:
    """Open-time check (see the module notes). ``backup(path)`` copies a SQLite store before
    it is upgraded; ``create`` makes the tables of an empty database (else it is refused as
    "not a store", for commands that only read)."""
    with engine.connect() as conn:
        st = state(conn)
    if st.kind == "current":
        return st
    if st.kind == "empty" and not create:
        raise SchemaError(f"{_display(url)} holds no AssetMap store yet: `assetmap demo` "
                          "builds the demo borough, `assetmap import` loads your own data")
    if st.kind == "behind" and engine.dialect.name != "sqlite":
        raise refusal(st, url)
    if st.kind in ("newer", "unknown"):
        raise refusal(st, url)
    if st.kind == "behind":
        path = sqlite_backup_path(str(engine.url.database), st.revision)
        backup(path)
        log.warning("upgrading the store from schema version %s to %s (a copy is in %s)",
                    int(st.revision or 0), SCHEMA_VERSION, path)
    with engine.connect() as conn:
        conn.execution_options(assetmap_write=True)
        with conn.begin():
            upgrade(conn)
            after = state(conn)
    return after

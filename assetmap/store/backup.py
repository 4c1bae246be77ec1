"""Backups of the whole store, taken while the app is serving and writing (issue 13).

* SQLite: the sqlite3 online backup API through the store's own DBAPI connection: one
  consistent snapshot (a read transaction; writers carry on in WAL mode), written to a
  temporary file beside the target, checked, then renamed into place. The copy is a plain
  SQLite file (journal mode DELETE) that ``Store("sqlite:///COPY")`` opens as it is.
* PostgreSQL: ``pg_dump --format=custom`` of the AssetMap tables (one snapshot), restored
  with ``pg_restore --clean --single-transaction``; credentials go to the tools in libpq's
  environment variables, never on their command line.

A restore checks that the file is an AssetMap backup of the store's kind before touching
anything, refuses to replace a store that holds data unless forced, and leaves the data
version above both the old and the restored one (caches keyed by it never mistake restored
data for what they saw before).
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path

from sqlalchemy import text, update

from ..errors import AssetMapError, InputError
from . import migrate
from .core import StoreCore
from .schema import SCHEMA_VERSION, meta_table, metadata

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


def backup_kind(path: Path) -> str | None:
    """"sqlite" or "pg_dump" from a file's first bytes (None: neither)."""
    with open(path, "rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "pg_dump"
    return None


def _not_a_backup(path: Path, why: str) -> InputError:
    return InputError(f"not an AssetMap backup: {why}", file=str(path))


def _check_meta(path: Path, meta: dict) -> int:
    """The backup's data version, after checking its schema is one this code reads."""
    if "schema" not in meta:
        raise _not_a_backup(path, "it has no AssetMap schema record")
    try:
        schema, version = int(meta["schema"]), int(meta.get("data_version") or 0)
    except ValueError:
        raise _not_a_backup(path, "its schema record is unreadable") from None
    if schema > SCHEMA_VERSION:
        raise InputError(f"this backup has schema {schema}, newer than this AssetMap's "
                         f"({SCHEMA_VERSION}): upgrade AssetMap first", file=str(path))
    return version


def _sqlite_meta(path: Path) -> dict:
    """The meta table of a SQLite backup, after an integrity check (read only)."""
    try:
        con = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            check = con.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise _not_a_backup(path, f"the SQLite file is damaged ({check})")
            if not con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                               "name = 'meta'").fetchone():
                raise _not_a_backup(path, "it has no AssetMap tables")
            return dict(con.execute("SELECT key, value FROM meta").fetchall())
        finally:
            con.close()
    except sqlite3.DatabaseError as e:
        raise _not_a_backup(path, str(e)) from None


def _sqlite_of(raw) -> sqlite3.Connection:
    """The sqlite3 connection under a pooled DBAPI connection."""
    conn = raw.driver_connection
    if not isinstance(conn, sqlite3.Connection):
        raise AssetMapError("not a SQLite connection")
    return conn


class BackupMixin(StoreCore):
    """``backup`` and ``restore`` (mixed into ``Store``)."""

    # --- paths -------------------------------------------------------------------------------
    def _own_files(self) -> set[Path]:
        if self.dialect != "sqlite" or self.engine.url.database in (None, "", ":memory:"):
            return set()
        db = Path(self.engine.url.database).resolve()
        return {db, Path(f"{db}-wal"), Path(f"{db}-shm")}

    def _backup_target(self, path, force: bool) -> Path:
        p = Path(path)
        if p.is_dir():
            raise InputError("the backup path is a folder; give a file name", file=str(p))
        if not p.parent.resolve().is_dir():
            raise InputError("the backup's folder does not exist", file=str(p))
        if p.resolve() in self._own_files():
            raise InputError("that is the store's own file", file=str(p))
        if p.exists() and not force:
            raise AssetMapError(f"{p} already exists; use --force to replace it")
        return p

    def _backup_source(self, path) -> tuple[Path, str]:
        p = Path(path)
        if not p.is_file():
            raise InputError("no such backup file", file=str(p))
        if p.resolve() in self._own_files():
            raise InputError("that is the store's own file", file=str(p))
        kind = backup_kind(p)
        if kind is None:
            raise _not_a_backup(p, "it is neither a SQLite file nor a pg_dump archive")
        want = "sqlite" if self.dialect == "sqlite" else "pg_dump"
        if kind != want:
            raise InputError(f"this is a {kind} backup; the store is {self.dialect}",
                             file=str(p))
        return p, kind

    # --- backup ------------------------------------------------------------------------------
    def backup(self, path, *, force: bool = False) -> dict:
        """Write a consistent copy of the whole store to ``path`` (the app may be writing
        meanwhile). InputError for a bad path; AssetMapError when ``path`` exists and not
        ``force``. Returns {"path", "format", "bytes", "data_version"}."""
        target = self._backup_target(path, force)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
        try:
            if self.dialect == "sqlite":
                self._backup_sqlite(tmp)
                version = _check_meta(tmp, _sqlite_meta(tmp))
            else:
                self._pg_tool("pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                              f"--file={tmp}", *[f"--table={t}" for t in (
                                  *metadata.tables, migrate.VERSION_TABLE)])
                version = _check_meta(tmp, self._pg_dump_meta(tmp))
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return {"path": str(target), "format": backup_kind(target),
                "bytes": target.stat().st_size, "data_version": version}

    def _backup_sqlite(self, tmp: Path) -> None:
        raw = self.engine.raw_connection()
        try:
            dest = sqlite3.connect(tmp)
            try:
                _sqlite_of(raw).backup(dest)     # one step: one consistent snapshot
                dest.execute("PRAGMA journal_mode=DELETE")   # a single self-contained file
            finally:
                dest.close()
        finally:
            raw.close()

    # --- restore -----------------------------------------------------------------------------
    def restore(self, path, *, force: bool = False) -> dict:
        """Replace the store's content with a backup's. InputError (before anything changes)
        for a missing file or one that is not an AssetMap backup of this store's kind;
        AssetMapError when the store holds data and not ``force``. Returns {"path",
        "format", "data_version", "counts"}."""
        src, kind = self._backup_source(path)
        restored = _check_meta(src, _sqlite_meta(src) if kind == "sqlite"
                               else self._pg_dump_meta(src))
        if not force and any(self.counts().values()):
            raise AssetMapError("the store already holds data; use --force to replace it")
        before = self.data_version()
        if kind == "sqlite":
            self._restore_sqlite(src)
        else:
            # an archive from before migrations has no revision table: none must be left
            # saying "current" over older tables (the meta schema row says where they stand)
            with self.engine.begin() as c:
                c.execute(text(f"DROP TABLE IF EXISTS {migrate.VERSION_TABLE}"))
            self._pg_tool("pg_restore", "--clean", "--if-exists", "--no-owner",
                          "--no-privileges", "--single-transaction", "--exit-on-error",
                          f"--dbname={self.engine.url.database}", str(src))
        self.engine.dispose()                          # no pooled connection keeps old state
        self.upgrade_schema()                          # tables and columns the backup lacks
        version = max(before, restored) + 1
        with self.engine.begin() as c:
            c.execute(update(meta_table).where(meta_table.c.key == "data_version")
                      .values(value=str(version)))
        return {"path": str(src), "format": kind, "data_version": version,
                "counts": self.counts()}

    def _restore_sqlite(self, src: Path) -> None:
        source = sqlite3.connect(src.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            raw = self.engine.raw_connection()
            try:
                source.backup(_sqlite_of(raw))   # one step, one write transaction
            finally:
                raw.close()
        finally:
            source.close()

    # --- PostgreSQL tools --------------------------------------------------------------------
    def _pg_env(self) -> dict:
        """libpq's environment for the store's URL (the password never on a command line)."""
        url = self.engine.url
        env = dict(os.environ)
        for var, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                           ("PGPASSWORD", url.password), ("PGDATABASE", url.database),
                           ("PGSSLMODE", url.query.get("sslmode"))):
            if value:
                env[var] = str(value)
        return env

    def _pg_tool(self, tool: str, *args: str) -> str:
        exe = shutil.which(tool)
        if exe is None:
            raise AssetMapError(f"{tool} not found: install the PostgreSQL client tools")
        r = subprocess.run([exe, *args], env=self._pg_env(), capture_output=True, text=True,
                           check=False)
        if r.returncode != 0:
            raise AssetMapError(f"{tool} failed: {r.stderr.strip()[-2000:]}")
        return r.stdout

    def _pg_dump_meta(self, path: Path) -> dict:
        """The meta table's rows from a pg_dump archive (read with pg_restore, no server)."""
        if shutil.which("pg_restore") is None:
            raise AssetMapError("pg_restore not found: install the PostgreSQL client tools")
        try:
            script = self._pg_tool("pg_restore", "--data-only", "--table=meta", "--file=-",
                                   str(path))
        except AssetMapError as e:
            raise _not_a_backup(path, str(e)) from None
        meta, inside = {}, False
        for line in script.splitlines():
            if line.startswith("COPY ") and line.split()[1].split(".")[-1] == "meta":
                inside = True
            elif inside and line == "\\.":
                break
            elif inside and "\t" in line:
                key, value = line.split("\t", 1)
                meta[key] = value
        return meta

"""Analysis runs (parameters, the data version they read, a summary) with their results, and
named blobs (OSM files, compiled graphs)."""
from __future__ import annotations

import hashlib
import json

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from ..errors import NotFound
from . import results_tables
from .core import StoreCore, _int, inserted_id, now_iso
from .schema import blobs, run_results, runs


def _run_dict(r) -> dict:
    d = dict(r._mapping)
    d["params"] = json.loads(d["params"])
    d["summary"] = json.loads(d["summary"] or "{}")
    return d


class RunsMixin(StoreCore):
    """Analysis runs, run results and blobs (mixed into ``Store``)."""

    # --- analysis runs ---------------------------------------------------------------
    def save_run(self, params: dict, data_version: int, results: dict[str, bytes],
                 summary: dict | None = None, conn: Connection | None = None) -> int:
        """Store one analysis run: its parameters, the data version it read and its results
        (name -> serialised bytes, e.g. GeoParquet or JSON); on PostGIS the results also
        replace the rows of the results tables (``results_tables``)."""
        with self._begin(conn) as c:
            run_id = inserted_id(c.execute(insert(runs).values(
                created_at=now_iso(), data_version=_int(data_version),
                params=json.dumps(params, sort_keys=True, default=str),
                summary=json.dumps(summary or {}, sort_keys=True, default=str))))
            if results:
                c.execute(insert(run_results), [{"run_id": run_id, "name": k, "data": v}
                                                 for k, v in results.items()])
                if self.dialect == "postgresql":
                    results_tables.write(c, run_id, results)
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

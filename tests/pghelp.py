"""Where the PostGIS tests find their server: ASSETMAP_TEST_PG_URL (``.ci/run`` starts one;
``scripts/pg_test_server.sh start DIR PORT`` prints a URL for a local run).

Under pytest-xdist each worker has a database of its own on that server (the URL's name
plus ``_gw0``, ``_gw1``, ..., made on first use), so two workers never drop each other's
tables."""
from __future__ import annotations

import os


def _worker_url(url: str | None) -> str | None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    u = make_url(url)
    name = f"{u.database}_{worker}"
    try:
        eng = create_engine(u, isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            if not c.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                             {"n": name}).scalar():
                c.execute(text(f'CREATE DATABASE "{name}"'))
        eng.dispose()
    except Exception:
        return url              # no server, or no right to make databases: the shared one
    return u.set(database=name).render_as_string(hide_password=False)


PG_URL = _worker_url(os.environ.get("ASSETMAP_TEST_PG_URL"))


def _pg_reachable() -> bool:
    if not PG_URL:
        return False
    try:
        from assetmap.store import Store
        s = Store(PG_URL)
        s.dispose()
        return True
    except Exception:
        return False


#: True when a PostgreSQL + PostGIS server answers at PG_URL.
PG_OK = _pg_reachable()

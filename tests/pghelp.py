"""Where the PostGIS tests find their server: ASSETMAP_TEST_PG_URL (``.ci/run`` starts one;
``scripts/pg_test_server.sh start DIR PORT`` prints a URL for a local run)."""
from __future__ import annotations

import os

PG_URL = os.environ.get("ASSETMAP_TEST_PG_URL")


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

"""PostGIS as a GIS database (issue 14): a GiST index on every geometry column, the store's
times as timestamptz, and a run's results as real tables QGIS and geopandas read, replaced
by the next run. Skipped without a PostgreSQL+PostGIS server (ASSETMAP_TEST_PG_URL)."""
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from assetmap import pipeline, results
from assetmap.store import Store, results_tables

from pghelp import PG_OK, PG_URL

pytestmark = [pytest.mark.postgis,
              pytest.mark.skipif(not PG_OK, reason="no PostgreSQL+PostGIS server "
                                                   "(set ASSETMAP_TEST_PG_URL)")]


@pytest.fixture(scope="module")
def pg_run(demo_cache, tmp_path_factory):
    """A PostGIS store holding the demo's areas and its analysed run (blobs copied from the
    cached SQLite demo), saved through ``save_run``."""
    src = demo_cache.copy(tmp_path_factory.mktemp("pgrun") / "demo.sqlite")
    run = src.latest_run()
    blobs = {n: src.run_result(run["id"], n) for n in src.run_result_names(run["id"])}
    s = Store(PG_URL)
    s.drop_all()
    s.write_areas(src.read_areas(level=None))
    run_id = s.save_run(run["params"], s.data_version(), blobs, run["summary"])
    yield s, run_id, pipeline.load(src)
    src.dispose()
    s.dispose()


def _query(s, sql, **kw):
    with s.engine.connect() as c:
        return c.execute(text(sql), kw).fetchall()


def test_every_geometry_column_has_a_gist_index(pg_run):
    s, _, _ = pg_run
    geoms = _query(s, "SELECT f_table_name, f_geometry_column FROM geometry_columns "
                      "WHERE f_table_schema = current_schema()")
    tables = {t for t, _ in geoms}
    assert {"areas", "assets", "networks", *results_tables.TABLES.values()} <= tables
    for table, col in geoms:
        idx = _query(s, "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                        "AND tablename = :t", t=table)
        assert any("USING gist" in d and f"({col})" in d for (d,) in idx), (table, idx)
        srid = _query(s, "SELECT srid FROM geometry_columns WHERE f_table_name = :t "
                         "AND f_geometry_column = :c", t=table, c=col)
        assert srid == [(4326,)]


def test_the_store_times_are_timestamptz_and_read_back_as_iso_text(pg_run):
    s, run_id, _ = pg_run
    kinds = dict(_query(s, "SELECT table_name || '.' || column_name, data_type FROM "
                           "information_schema.columns WHERE table_schema = current_schema() "
                           "AND column_name LIKE '%\\_at'"))
    for col in ("runs.created_at", "assets.created_at", "assets.updated_at", "users.created_at",
                "submissions.reviewed_at", "asset_versions.changed_at", "blobs.created_at"):
        assert kinds[col] == "timestamp with time zone", col
    created = s.get_run(run_id)["created_at"]
    assert isinstance(created, str) and created.endswith("+00:00")
    newer = _query(s, "SELECT count(*) FROM runs WHERE created_at > now() - interval '1 day'")
    assert newer == [(1,)]


def test_results_tables_read_with_geopandas_match_the_run(pg_run):
    s, run_id, an = pg_run
    gaps = gpd.read_postgis("SELECT * FROM gaps ORDER BY fid", s.engine, geom_col="geometry")
    assert gaps.crs.to_epsg() == 4326 and len(gaps) == len(an.gaps)
    assert gaps.geometry.notna().all() and set(gaps["run_id"]) == {run_id}
    assert gaps["fid"].is_unique and str(gaps["gap_rank"].dtype) == "float64"
    want = an.gaps.reset_index(drop=True)
    for col in ("area_code", "group", "bivariate_class"):
        assert gaps[col].tolist() == want[col].tolist()
    assert np.allclose(gaps["gap_rank"], want["gap_rank"], equal_nan=True)
    assert gaps["is_gap"].dtype == bool and gaps["need_class"].dtype == np.int64
    areas = gpd.read_postgis("SELECT * FROM areas_results", s.engine, geom_col="geometry")
    assert {"area_code", "area_name", "need_index", "isolation", "gi_class"} <= set(areas)
    assert len(areas) == len(an.areas)
    declared = {c.name for c in results.columns("hotspots")}
    hot = gpd.read_postgis("SELECT * FROM hotspots", s.engine, geom_col="geometry")
    assert declared <= set(hot.columns)
    iso = gpd.read_postgis("SELECT * FROM isochrones", s.engine, geom_col="geometry")
    assert len(iso) == len(an.isochrones) and iso.geometry.is_valid.all()
    access = pd.read_sql("SELECT * FROM access", s.engine)
    assert {"minutes", "within_15"} <= set(access.columns)


def test_the_next_run_replaces_the_rows(pg_run):
    s, run_id, an = pg_run
    one = an.areas.iloc[:3]
    blobs = {"areas": results.to_bytes(one), "hotspots": results.to_bytes(an.hotspots.iloc[:2])}
    again = s.save_run({}, s.data_version(), blobs, {})
    rows = _query(s, "SELECT run_id, count(*) FROM areas_results GROUP BY run_id")
    assert rows == [(again, 3)]
    assert _query(s, "SELECT count(*) FROM hotspots") == [(2,)]
    assert again > run_id

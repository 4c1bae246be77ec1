"""The whole app on PostgreSQL + PostGIS through the same code as on SQLite: the demo
borough built into PostGIS, the analysis run on it, the home page rendered, a contribution
submitted and approved through the web pages, and the analysis equal to the SQLite one.

Skips unless ASSETMAP_TEST_PG_URL points at a reachable server (``.ci/run`` starts one;
``scripts/pg_test_server.sh start DIR PORT`` prints a URL for a local run)."""
from __future__ import annotations

import time

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from pghelp import PG_OK, PG_URL

pytestmark = pytest.mark.skipif(not PG_OK,
                                reason="no PostgreSQL+PostGIS server (set ASSETMAP_TEST_PG_URL)")

PLANNER = ("pgpat", "planner-pass-6402")


@pytest.fixture
def pg_demo(tmp_path):
    """The demo borough and one analysis run in PostGIS (an empty database first)."""
    from assetmap import accounts, demo, pipeline
    from assetmap.store import Store
    store = Store(PG_URL)
    store.drop_all()
    t0 = time.perf_counter()
    counts = demo.build_into(store)
    # the compiled walking graph goes to this test's folder, not the instance folder
    analysis = pipeline.run(store, {"graph_cache_dir": str(tmp_path / "cache")})
    store.add_user(PLANNER[0], "planner", accounts.hash_password(PLANNER[1]))
    yield store, counts, analysis, time.perf_counter() - t0
    store.dispose()


@pytest.fixture
def pg_app(pg_demo, tmp_path):
    from assetmap.app import create_app
    app = create_app({"TESTING": True, "DATABASE": PG_URL,
                      "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "test-secret",
                      "ANALYSIS_REFRESH": "sync"})
    yield app
    app.extensions["assetmap_store"].dispose()


def test_demo_analysis_and_pages_on_postgis(pg_demo, pg_app, demo_store):
    from assetmap import pipeline, settings
    from assetmap.community import tokens
    from assetmap.store import COUNTED_TABLES
    store, counts, analysis, build_s = pg_demo
    t0 = time.perf_counter()
    assert store.dialect == "postgresql"
    with store.engine.connect() as c:                      # really PostGIS geometry columns
        kinds = dict(c.exec_driver_sql(
            "SELECT f_table_name, srid FROM geometry_columns "
            "WHERE f_table_schema = current_schema()").all())
    # the store's own, and (issue 14) the run's results tables
    assert kinds == {"areas": 4326, "assets": 4326, "networks": 4326, "areas_results": 4326,
                     "access": 4326, "gaps": 4326, "hotspots": 4326, "isochrones": 4326}

    # what was stored and analysed matches the SQLite demo, table by table
    pg_counts = store.counts()
    sq_counts = demo_store.counts()
    for t in COUNTED_TABLES:
        if t in ("runs", "run_results", "users", "postcodes", "referrals", "referral_events"):
            continue
        assert pg_counts[t] == sq_counts[t] > 0, t
    assert pg_counts["runs"] == 1 and pg_counts["run_results"] > 0
    assert counts["areas"] == len(store.read_areas(level=None))
    pg_run, sq_run = pipeline.load(store), pipeline.load(demo_store)
    assert pg_run.run_id == analysis.run_id and pg_run.data_version == store.data_version()
    for name in ("areas", "gaps", "hotspots", "access", "e2sfca"):
        a, b = getattr(pg_run, name), getattr(sq_run, name)
        assert len(a) == len(b) > 0, name
        cols = [c for c in b.columns if c != "geometry"]
        assert_frame_equal(pd.DataFrame(a[cols]).reset_index(drop=True),
                           pd.DataFrame(b[cols]).reset_index(drop=True),
                           check_exact=False, rtol=1e-9, obj=name)
    a_areas, s_areas = store.read_areas(level=None), demo_store.read_areas(level=None)
    assert list(a_areas["code"]) == list(s_areas["code"])
    assert all(x.equals_exact(y, 1e-12) for x, y in zip(a_areas.geometry, s_areas.geometry))

    # the home page: the demo map embedded, with its layers
    client = pg_app.test_client()
    r = client.get("/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "<iframe" not in html and "L.map(" in html
    assert "Community assets" in html and "Areas" in html
    assert settings.DEMO_LA_NAME in html
    r = client.get("/healthz")
    assert r.status_code == 200 and r.is_json

    # a contribution through the web pages, approved by a planner; the analysis refreshes
    from conftest import FormClient

    from contribhelp import approve, inside_point, pending_ids, provider_form, submit
    lon, lat = inside_point(store)
    token = submit(FormClient(pg_app), provider_form(lon, lat, name="Postgis Pals"))
    sid = pending_ids(store)[0]
    assert store.submission_by_token(tokens.token_hash(token))["id"] == sid
    assert "Postgis Pals" not in client.get("/").get_data(as_text=True)
    planner = FormClient(pg_app).login(*PLANNER)
    assert "1 submission" in planner.get("/moderate").get_data(as_text=True)
    assert approve(planner, sid).status_code == 303
    sub = store.get_submission(sid)
    assert (sub["status"], sub["reviewed_by"], sub["asset_status"]) == \
        ("approved", PLANNER[0], "approved")
    assert "Postgis Pals" in client.get("/").get_data(as_text=True)
    run = store.latest_run()
    assert run["id"] > analysis.run_id and run["data_version"] == store.data_version()
    # building, analysing and the page views stay well inside a minute
    assert build_s + time.perf_counter() - t0 < 60, (build_s, time.perf_counter() - t0)

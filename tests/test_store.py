"""The store: round trips, transactions, versions and locking, on SQLite and (when a server
is reachable through ASSETMAP_TEST_PG_URL) on PostgreSQL + PostGIS, through the same code."""
from __future__ import annotations

import os

import geopandas as gpd
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from shapely.geometry import Point, box

from assetmap import model
from assetmap.errors import ConflictError, InputError
from assetmap.store import Store

PG_URL = os.environ.get("ASSETMAP_TEST_PG_URL")


def _pg_reachable() -> bool:
    if not PG_URL:
        return False
    try:
        s = Store(PG_URL)
        s.dispose()
        return True
    except Exception:
        return False


PG_OK = _pg_reachable()


@pytest.fixture(params=["sqlite", "postgis"])
def any_store(request, tmp_path):
    if request.param == "sqlite":
        s = Store(f"sqlite:///{tmp_path / 'rt.sqlite'}")
    else:
        if not PG_OK:
            pytest.skip("no PostgreSQL+PostGIS server (set ASSETMAP_TEST_PG_URL)")
        s = Store(PG_URL)
        s.drop_all()
    yield s
    s.dispose()


def make_areas(n=4) -> gpd.GeoDataFrame:
    rows = []
    for i in range(n):
        x0 = 452000 + 1000 * i
        rows.append({"code": f"E0199{i:04d}", "name": f"Testford 00{i}A", "level": "lsoa",
                     "parent_code": "E05990001", "parent_name": "Middle Ward",
                     "pop_0_17": 300.0 + i, "pop_18_64": 900.0, "pop_65_74": 150.5,
                     "pop_75_84": 80.0, "pop_85_plus": None,
                     "pwc_lon": None, "pwc_lat": None,
                     "geometry": box(x0, 318000, x0 + 1000, 319000)})
    return gpd.GeoDataFrame(rows, crs="EPSG:27700").to_crs("EPSG:4326")


def make_assets(areas) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    pts = areas.geometry.representative_point()
    rows = []
    for i, p in enumerate(pts):
        rows.append({"id": f"t-{i}", "name": f"Asset {i} <b>&</b>", "category":
                     "micro_provider" if i % 2 else "library", "description": "d",
                     "address": "1 High St", "postcode": "ab1 2cd", "opening_hours": "Mo-Fr 09:00-17:00",
                     "contact": "01234 567890", "contact_public": bool(i % 2), "website": None,
                     "source": "import", "source_ref": None, "status": "approved",
                     "home_based": i == 1, "last_reviewed": None, "created_by": "test",
                     "created_at": "2026-01-01T00:00:00+00:00", "updated_by": None,
                     "updated_at": "2026-01-01T00:00:00+00:00", "version": 1, "geometry": p})
    prov = pd.DataFrame([{
        "asset_id": "t-1", "service_types": "home_support|befriending",
        "client_groups": "older_people", "hourly_price": 18.5, "quality_mark": "silver",
        "cqc_registered": False, "cqc_location_id": None, "direct_payments": True,
        "preferred_list": False, "staff_fte": 1.5, "capacity_hours": 40.0, "vacancies": 6.0,
        "community_focus": "Punjabi speakers", "radius_km": 5.0, "charity_number": None,
        "company_number": None}])
    return gpd.GeoDataFrame(rows, crs="EPSG:4326"), prov


def test_areas_round_trip(any_store):
    areas = make_areas()
    any_store.write_areas(areas)
    back = any_store.read_areas()
    expected = model.validate_areas(areas)
    assert_frame_equal(pd.DataFrame(back.drop(columns="geometry")),
                       pd.DataFrame(expected.drop(columns="geometry")), check_dtype=False)
    assert back.crs.to_epsg() == 4326
    for a, b in zip(back.geometry, expected.geometry):
        assert a.equals_exact(b, 1e-9)


def test_assets_and_providers_round_trip(any_store):
    areas = make_areas()
    any_store.write_areas(areas)
    assets, prov = make_assets(areas)
    any_store.write_assets(assets, prov)
    back = any_store.read_assets()
    assert list(back["id"]) == sorted(assets["id"])
    cols = list(model.ASSET_COLUMNS)
    expected = model.validate_assets(assets)
    assert_frame_equal(pd.DataFrame(back[cols]), pd.DataFrame(expected[cols]), check_dtype=False)
    for a, b in zip(back.geometry, expected.geometry):
        assert a.equals_exact(b, 1e-9)
    p = back.set_index("id").loc["t-1"]
    assert p["service_types"] == "home_support|befriending" and p["hourly_price"] == 18.5
    assert bool(p["direct_payments"]) and p["is_provider"]
    assert not back.set_index("id").loc["t-0", "is_provider"]


def test_values_round_trip_and_unknown_area(any_store):
    any_store.write_areas(make_areas())
    ind = pd.DataFrame([{"id": "llti", "title": "LLTI", "unit": "%", "polarity": "high_bad",
                         "ci_method": "wilson", "source": "test", "period": "2021",
                         "description": None}])
    any_store.write_indicators(ind)
    vals = pd.DataFrame({"indicator_id": "llti", "area_code": ["E01990000", "E01990001"],
                         "value": [10.0, 20.0], "count": [10.0, 40.0],
                         "denominator": [100.0, 200.0], "lower_ci": None, "upper_ci": None})
    any_store.write_values(vals)
    back = any_store.read_values()
    assert_frame_equal(back, model.validate_values(vals), check_dtype=False)
    bad = vals.assign(area_code=["E01990000", "E01999999"])
    with pytest.raises(InputError) as e:
        any_store.write_values(bad, file="x.csv")
    assert e.value.row == 2 and e.value.field == "area_code" and "E01999999" in str(e.value)


def test_failed_write_leaves_store_unchanged(any_store):
    areas = make_areas()
    any_store.write_areas(areas)
    before_version = any_store.data_version()
    before = any_store.read_areas()
    assets, prov = make_assets(areas)
    with pytest.raises(RuntimeError):
        with any_store.transaction() as conn:
            any_store.write_areas(areas.assign(name="Changed"), conn=conn)
            any_store.write_assets(assets, prov, conn=conn)
            raise RuntimeError("fail half way")
    assert any_store.data_version() == before_version
    assert any_store.counts()["assets"] == 0
    assert list(any_store.read_areas()["name"]) == list(before["name"])


def test_invalid_row_rejected_whole(any_store):
    areas = make_areas()
    any_store.write_areas(areas)
    assets, _ = make_assets(areas)
    assets.loc[2, "category"] = "casino"
    with pytest.raises(InputError) as e:
        any_store.write_assets(assets, file="assets.csv")
    assert e.value.row == 3 and e.value.field == "category" and e.value.file == "assets.csv"
    assert any_store.counts()["assets"] == 0


def test_data_version_bumps_once_per_transaction(any_store):
    v0 = any_store.data_version()
    areas = make_areas()
    with any_store.transaction() as conn:
        any_store.write_areas(areas, conn=conn)
        any_store.set_meta("area_name", "Testford", conn=conn)
    assert any_store.data_version() == v0 + 1
    assert any_store.get_meta("area_name") == "Testford"


def test_versions_and_optimistic_locking(any_store):
    areas = make_areas()
    any_store.write_areas(areas)
    assets, prov = make_assets(areas)
    any_store.write_assets(assets, prov)
    v = any_store.set_asset_status("t-0", "retired", expected_version=1, changed_by="planner1",
                                   reason="closed")
    assert v == 2
    with pytest.raises(ConflictError):
        any_store.set_asset_status("t-0", "approved", expected_version=1, changed_by="planner2")
    hist = any_store.asset_history("t-0")
    assert list(hist["version"]) == [1, 2]
    assert list(hist["action"]) == ["import", "retired"]
    assert any_store.get_asset("t-0")["status"] == "retired"
    # nothing hard-deleted: retired assets stay readable
    assert "t-0" in set(any_store.read_assets(statuses=None)["id"])
    assert "t-0" not in set(any_store.read_assets()["id"])


def test_reimport_does_not_duplicate(any_store):
    areas = make_areas()
    any_store.write_areas(areas)
    assets, prov = make_assets(areas)
    any_store.write_assets(assets, prov)
    any_store.write_assets(assets, prov)
    assert any_store.counts()["assets"] == len(assets)
    assert any_store.counts()["providers"] == 1
    assert any_store.get_asset("t-2")["version"] == 2


def test_blobs_runs_users_postcodes(any_store):
    digest = any_store.put_blob("osm", b"<osm/>")
    assert any_store.get_blob("osm") == (b"<osm/>", digest)
    run_id = any_store.save_run({"a": 1}, any_store.data_version(), {"areas": b"xyz"},
                                {"n": 2})
    assert any_store.latest_run()["id"] == run_id
    assert any_store.run_result(run_id, "areas") == b"xyz"
    assert any_store.get_run(run_id)["params"] == {"a": 1}
    uid = any_store.add_user("alice", "planner", "hash")
    assert any_store.get_user("alice")["id"] == uid
    with pytest.raises(InputError):
        any_store.add_user("alice", "planner", "hash")
    any_store.write_postcodes(pd.DataFrame({"postcode": ["M15 4AB"], "lon": [-2.25],
                                            "lat": [53.47], "area_code": ["E01000001"]}))
    found = any_store.lookup_postcodes(["m154ab", "ZZ1 1ZZ"])
    assert list(found["postcode"]) == ["M15 4AB"]


def test_sqlite_pragmas(store):
    with store.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.mark.skipif(not PG_OK, reason="no PostgreSQL+PostGIS server")
def test_postgis_geometry_is_spatial(any_store):
    if any_store.dialect != "postgresql":
        pytest.skip("PostGIS only")
    any_store.write_areas(make_areas())
    with any_store.engine.connect() as c:
        n = c.exec_driver_sql(
            "SELECT count(*) FROM areas WHERE ST_Intersects(geometry, "
            "ST_SetSRID(ST_MakePoint(-1.0, 52.0), 4326)) OR ST_SRID(geometry) = 4326").scalar()
    assert n == 4

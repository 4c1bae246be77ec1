"""The store: round trips, transactions, versions and locking, on SQLite and (when a server
is reachable through ASSETMAP_TEST_PG_URL) on PostgreSQL + PostGIS, through the same code."""
from __future__ import annotations


import geopandas as gpd
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from shapely.geometry import Point, box

from assetmap import model
from assetmap import store as store_module
from assetmap.errors import ConflictError, InputError, NotFound
from assetmap.store import Store

from pghelp import PG_OK, PG_URL



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


# --- contributions and moderation (issue 6), on both backends -------------------------------
# The data a view hands the store is ``submissions.Contribution.as_data()``: asset fields, an
# optional service record, and lon/lat (None keeps the current location of an update).

def contribution(lon, lat, *, provider: bool = True, **asset) -> dict:
    from assetmap.community.forms import Contribution
    a = {"name": "Ashbrook Home Helpers", "category": "micro_provider" if provider else "library",
         "description": "Help at home for older people", "address": "2 Mill Lane",
         "postcode": "AB1 2CD", "opening_hours": "Mo,Tu 09:00-17:00", "contact": "07700 900123",
         "contact_public": False, "website": None, "home_based": False}
    a.update(asset)
    p = None
    if provider:
        p = {"service_types": "home_support|befriending", "client_groups": "older_people|dementia",
             "hourly_price": 18.5, "quality_mark": "silver", "cqc_registered": False,
             "cqc_location_id": None, "direct_payments": True, "preferred_list": False,
             "staff_fte": 2.5, "capacity_hours": 60.0, "vacancies": 10.0,
             "community_focus": "Polish speakers", "radius_km": 4.0, "charity_number": None,
             "company_number": None}
    return Contribution(asset=a, provider=p, lon=lon, lat=lat).as_data()


@pytest.fixture
def seeded(any_store):
    """Areas and four approved assets (t-1 a provider), plus a point inside area 2."""
    areas = make_areas()
    any_store.write_areas(areas)
    assets, prov = make_assets(areas)
    any_store.write_assets(assets, prov)
    p = areas.geometry.iloc[2].centroid
    return any_store, (round(p.x, 6), round(p.y, 6))


def test_new_submission_is_pending_until_approved(seeded):
    store, (lon, lat) = seeded
    v0 = store.data_version()
    data = contribution(lon, lat)
    made = store.create_submission(data, token_hash="a" * 64, submitted_by=None)
    aid, sid = made["asset_id"], made["id"]
    assert isinstance(sid, int) and aid.startswith("community-")
    assert store.data_version() == v0 + 1
    # pending: invisible to public reads, visible to moderators
    assert aid not in set(store.read_assets()["id"])
    assert aid in set(store.read_assets(statuses=("pending",))["id"])
    a = store.get_asset(aid)
    assert (a["status"], a["source"], a["version"]) == ("pending", "community", 1)
    assert a["created_by"] == "community (anonymous)" and a["last_reviewed"] is None
    assert a["service_types"] == "home_support|befriending" and a["hourly_price"] == 18.5
    assert a["geometry"].equals_exact(Point(lon, lat), 1e-9)
    sub = store.get_submission(sid)
    assert (sub["kind"], sub["status"], sub["version"], sub["base_version"]) == \
        ("new", "pending", 1, 1)
    assert (sub["asset_status"], sub["asset_version"], sub["asset_name"],
            sub["asset_category"], sub["asset_home_based"]) == \
        ("pending", 1, "Ashbrook Home Helpers", "micro_provider", False)
    assert sub["data"] == data and sub["submitted_by"] is None
    assert store.submission_by_token("a" * 64)["id"] == sid
    assert store.count_submissions() == {"pending": 1}

    # a stale submission version or a stale asset version: nothing changes at all
    with pytest.raises(ConflictError):
        store.approve_submission(sid, expected_version=7, expected_asset_version=1,
                                 reviewer="pat")
    with pytest.raises(ConflictError):
        store.approve_submission(sid, expected_version=1, expected_asset_version=7,
                                 reviewer="pat")
    sub = store.get_submission(sid)
    assert (sub["status"], sub["version"], sub["asset_status"], sub["asset_version"]) == \
        ("pending", 1, "pending", 1)

    v = store.approve_submission(sid, expected_version=1, expected_asset_version=1,
                                 reviewer="pat")
    assert v == 2
    sub = store.get_submission(sid)
    assert (sub["status"], sub["version"], sub["reviewed_by"]) == ("approved", 2, "pat")
    assert sub["reviewed_at"] and sub["asset_status"] == "approved"
    a = store.get_asset(aid)
    assert a["status"] == "approved" and a["updated_by"] == "pat" and a["last_reviewed"]
    assert aid in set(store.read_assets()["id"])
    hist = store.asset_history(aid)
    assert list(hist["action"]) == ["submitted", "approved"]
    assert list(hist["version"]) == [1, 2]
    assert list(hist["changed_by"]) == ["community (anonymous)", "pat"]
    # a second planner acting on the same page
    with pytest.raises(ConflictError, match="already approved by pat"):
        store.approve_submission(sid, expected_version=1, expected_asset_version=1,
                                 reviewer="sam")
    assert store.count_submissions() == {"approved": 1}


def test_reject_with_reason_then_amend_then_approve(seeded):
    store, (lon, lat) = seeded
    made = store.create_submission(contribution(lon, lat, provider=False), token_hash="b" * 64,
                                   submitted_by="cora")
    sid, aid = made["id"], made["asset_id"]
    with pytest.raises(InputError) as e:
        store.reject_submission(sid, reason="  ", expected_version=1,
                                expected_asset_version=1, reviewer="pat")
    assert e.value.field == "reason"
    with pytest.raises(ConflictError):
        store.reject_submission(sid, reason="no", expected_version=2,
                                expected_asset_version=1, reviewer="pat")
    store.reject_submission(sid, reason="Please add opening hours", expected_version=1,
                            expected_asset_version=None, reviewer="pat")
    sub = store.get_submission(sid)
    assert (sub["status"], sub["reason"], sub["version"]) == \
        ("rejected", "Please add opening hours", 2)
    assert store.get_asset(aid)["status"] == "rejected"
    assert aid not in set(store.read_assets(statuses=("approved", "pending"))["id"])
    with pytest.raises(ConflictError):
        store.reject_submission(sid, reason="again", expected_version=2,
                                expected_asset_version=None, reviewer="pat")
    assert [s["id"] for s in store.list_submissions(("rejected",), submitted_by="cora")] == [sid]
    assert store.list_submissions(("rejected",), submitted_by="someone else") == []

    fixed = contribution(lon, lat, provider=False, name="Maybe Group",
                         opening_hours="Fr 10:00-11:00")
    with pytest.raises(ConflictError):             # the contributor's page was stale
        store.amend_submission(sid, fixed, expected_version=1, changed_by="cora")
    out = store.amend_submission(sid, fixed, expected_version=2, changed_by="cora")
    assert out == {"id": sid, "asset_id": aid, "kind": "new"}
    sub = store.get_submission(sid)
    assert (sub["status"], sub["reason"], sub["reviewed_by"], sub["version"]) == \
        ("pending", None, None, 3)
    assert sub["data"] == fixed
    a = store.get_asset(aid)
    assert (a["status"], a["name"], a["opening_hours"], a["version"]) == \
        ("pending", "Maybe Group", "Fr 10:00-11:00", 3)
    assert list(store.asset_history(aid)["action"]) == ["submitted", "rejected", "amended"]
    assert store.approve_submission(sid, expected_version=3, expected_asset_version=3,
                                    reviewer="pat") == 4
    assert store.get_asset(aid)["name"] == "Maybe Group"


def test_amending_an_approved_asset_makes_a_new_proposal(seeded):
    store, (lon, lat) = seeded
    made = store.create_submission(contribution(lon, lat), token_hash="c" * 64,
                                   submitted_by="cora")
    store.approve_submission(made["id"], expected_version=1, expected_asset_version=1,
                             reviewer="pat")
    change = contribution(None, None, name="Ashbrook Helpers")
    out = store.amend_submission(made["id"], change, expected_version=2, changed_by="cora")
    assert out["kind"] == "update" and out["asset_id"] == made["asset_id"]
    assert out["id"] != made["id"]
    # the private link now shows the proposal; the public record is unchanged
    latest = store.submission_by_token("c" * 64)
    assert (latest["id"], latest["kind"], latest["status"], latest["base_version"]) == \
        (out["id"], "update", "pending", 2)
    assert store.get_asset(made["asset_id"])["name"] == "Ashbrook Home Helpers"
    assert [s["id"] for s in store.list_submissions(statuses=None,
                                                    asset_id=made["asset_id"])] == \
        [made["id"], out["id"]]
    assert [s["id"] for s in store.list_submissions(statuses=None, limit=1)] == [made["id"]]
    # a retired asset cannot be changed through the link any more
    store.set_asset_status(made["asset_id"], "retired", expected_version=2, changed_by="pat")
    with pytest.raises(ConflictError, match="retired"):
        store.amend_submission(made["id"], change, expected_version=2, changed_by="cora")
    with pytest.raises(NotFound):
        store.submission_by_token("d" * 64)
    with pytest.raises(NotFound):
        store.get_submission(10_000)


def test_proposed_update_edit_and_approve(seeded):
    store, _ = seeded
    cur = store.get_asset("t-0")                        # a library without a service record
    assert not cur["is_provider"]
    data = contribution(None, None, name="Asset Zero Renamed", category="micro_provider")
    made = store.propose_update("t-0", data, token_hash=None, submitted_by="cora")
    assert made["asset_id"] == "t-0"
    sub = store.get_submission(made["id"])
    assert (sub["kind"], sub["base_version"], sub["asset_status"]) == ("update", 1, "approved")
    assert store.get_asset("t-0")["name"] == cur["name"]        # untouched until approved
    with pytest.raises(NotFound):
        store.propose_update("no-such-asset", data, token_hash=None, submitted_by="cora")

    # a planner corrects the proposal: only the submission changes
    data2 = contribution(None, None, name="Asset Zero (renamed)", category="micro_provider")
    with pytest.raises(ConflictError):
        store.edit_submission(made["id"], data2, expected_version=5, expected_asset_version=1,
                              changed_by="pat")
    store.edit_submission(made["id"], data2, expected_version=1, expected_asset_version=1,
                          changed_by="pat")
    sub = store.get_submission(made["id"])
    assert sub["version"] == 2 and sub["data"] == data2 and sub["asset_version"] == 1

    # the asset moved on meanwhile (someone reviewed it): approving the stale page conflicts
    assert store.mark_reviewed("t-0", expected_version=1, changed_by="sam") == 2
    with pytest.raises(ConflictError, match="by sam"):
        store.approve_submission(made["id"], expected_version=2, expected_asset_version=1,
                                 reviewer="pat")
    assert store.get_submission(made["id"])["status"] == "pending"
    assert store.approve_submission(made["id"], expected_version=2, expected_asset_version=2,
                                    reviewer="pat") == 3
    a = store.get_asset("t-0")
    assert (a["name"], a["category"], a["updated_by"], a["version"]) == \
        ("Asset Zero (renamed)", "micro_provider", "pat", 3)
    assert a["is_provider"] and a["service_types"] == "home_support|befriending"
    assert a["geometry"].equals_exact(cur["geometry"], 1e-9)     # lon/lat None: kept
    assert list(store.asset_history("t-0")["action"]) == ["import", "reviewed",
                                                          "approved update"]
    with pytest.raises(ConflictError):
        store.edit_submission(made["id"], data2, expected_version=3, expected_asset_version=3,
                              changed_by="pat")


def test_planner_edits_a_pending_new_asset(seeded):
    store, (lon, lat) = seeded
    made = store.create_submission(contribution(lon, lat), token_hash=None, submitted_by=None)
    moved = contribution(lon + 0.001, lat, name="Ashbrook Helpers CIC")
    with pytest.raises(ConflictError):
        store.edit_submission(made["id"], moved, expected_version=1, expected_asset_version=9,
                              changed_by="pat")
    assert store.get_submission(made["id"])["version"] == 1      # rolled back as a whole
    store.edit_submission(made["id"], moved, expected_version=1, expected_asset_version=1,
                          changed_by="pat")
    a = store.get_asset(made["asset_id"])
    assert (a["name"], a["status"], a["version"]) == ("Ashbrook Helpers CIC", "pending", 2)
    assert a["geometry"].equals_exact(Point(lon + 0.001, lat), 1e-9)


def test_update_asset_locking_location_and_service_record(seeded):
    store, (lon, lat) = seeded
    before = store.get_asset("t-1")
    data = contribution(None, None, name="Asset One", home_based=True)
    data["provider"]["hourly_price"] = 21.0
    v = store.update_asset("t-1", data, expected_version=1, changed_by="pat", reason="phoned")
    assert v == 2
    a = store.get_asset("t-1")
    assert (a["name"], a["home_based"], a["hourly_price"], a["updated_by"]) == \
        ("Asset One", True, 21.0, "pat")
    assert a["geometry"].equals_exact(before["geometry"], 1e-9)
    assert a["last_reviewed"] is None                            # reviewed=False
    with pytest.raises(ConflictError, match="now version 2"):
        store.update_asset("t-1", data, expected_version=1, changed_by="sam")
    # no service record in the data: the existing one stays; a location moves the asset
    v = store.update_asset("t-1", {**contribution(lon, lat, provider=False,
                                                  category="micro_provider")},
                           expected_version=None, changed_by="pat", status="retired",
                           reviewed=True)
    a = store.get_asset("t-1")
    assert v == 3 and a["status"] == "retired" and a["last_reviewed"]
    assert a["hourly_price"] == 21.0 and a["geometry"].equals_exact(Point(lon, lat), 1e-9)
    hist = store.asset_history("t-1")
    assert list(hist["action"]) == ["import", "edit", "edit"]
    assert hist["reason"].iloc[1] == "phoned"
    bad = contribution(None, None, category="casino")
    with pytest.raises(InputError):
        store.update_asset("t-1", bad, expected_version=3, changed_by="pat")
    assert store.get_asset("t-1")["version"] == 3
    with pytest.raises(NotFound):
        store.update_asset("nope", data, expected_version=1, changed_by="pat")


def test_mark_reviewed_and_restore_a_version(seeded):
    store, (lon, lat) = seeded
    assert store.get_asset("t-2")["last_reviewed"] is None
    assert store.mark_reviewed("t-2", expected_version=1, changed_by="pat") == 2
    assert store.get_asset("t-2")["last_reviewed"]
    with pytest.raises(ConflictError):
        store.mark_reviewed("t-2", expected_version=1, changed_by="sam")
    # give t-2 a service record and a new place, then restore the imported version
    store.update_asset("t-2", contribution(lon, lat, name="Asset Two Changed"),
                       expected_version=2, changed_by="pat")
    changed = store.get_asset("t-2")
    assert changed["is_provider"] and changed["version"] == 3
    hist = store.asset_history("t-2")
    first = store.get_version(int(hist["id"].iloc[0]))
    assert (first["asset_id"], first["version"], first["action"]) == ("t-2", 1, "import")
    assert first["data"]["name"] == "Asset 2 <b>&</b>" and "provider" not in first["data"]
    with pytest.raises(ConflictError):
        store.restore_version("t-2", first["id"], expected_version=2, changed_by="pat")
    with pytest.raises(NotFound):
        store.restore_version("t-1", first["id"], expected_version=1, changed_by="pat")
    with pytest.raises(NotFound):
        store.get_version(10_000)
    v = store.restore_version("t-2", first["id"], expected_version=3, changed_by="pat")
    assert v == 4
    back = store.get_asset("t-2")
    assert back["name"] == "Asset 2 <b>&</b>" and not back["is_provider"]
    assert back["status"] == "approved" and back["updated_by"] == "pat"
    original = store.read_assets(ids=["t-3"]).geometry.iloc[0]      # another asset's point
    assert not back["geometry"].equals_exact(original, 1e-9)
    assert back["geometry"].equals_exact(Point(first["data"]["lon"], first["data"]["lat"]),
                                         1e-7)
    hist = store.asset_history("t-2")
    assert list(hist["action"]) == ["import", "reviewed", "edit", "restored v1"]
    assert hist["reason"].iloc[-1] == "restored version 1"
    # restoring the version that had a service record brings the record back
    third = int(hist["id"].iloc[2])
    store.restore_version("t-2", third, expected_version=4, changed_by="pat")
    again = store.get_asset("t-2")
    assert again["is_provider"] and again["name"] == "Asset Two Changed"
    assert again["hourly_price"] == 18.5


# --- users, outreach plans, lookups and counts ------------------------------------------------
def test_update_and_list_users(any_store):
    uid = any_store.add_user("alice", "planner", "h1")
    other = any_store.add_user("bob", "contributor", "h2")
    with pytest.raises(InputError) as e:
        any_store.add_user("carol", "admiral", "h")
    assert e.value.field == "role"
    any_store.update_user(uid, role="coordinator")
    any_store.update_user(uid, active=False)
    any_store.update_user(uid, password_hash="h9")
    any_store.update_user(uid)                                  # nothing to change
    u = any_store.get_user(user_id=uid)
    assert (u["name"], u["role"], u["active"], u["password_hash"]) == \
        ("alice", "coordinator", False, "h9")
    assert any_store.get_user("bob")["active"] is True
    assert any_store.get_user("nobody") is None and any_store.get_user(user_id=999) is None
    with pytest.raises(InputError):
        any_store.update_user(uid, role="admiral")
    with pytest.raises(NotFound):
        any_store.update_user(999, active=True)
    users = any_store.list_users()
    assert list(users["id"]) == [uid, other] and list(users["name"]) == ["alice", "bob"]
    assert "password_hash" not in users.columns
    assert [bool(x) for x in users["active"]] == [False, True]
    # ids as they come out of a data frame (numpy integers) work too
    any_store.update_user(users["id"].iloc[0], active=True)
    assert any_store.get_user(user_id=uid)["active"] is True
    assert any_store.counts()["users"] == 2


def test_outreach_plans_round_trip(any_store):
    v0 = any_store.data_version()
    plan = {"run_id": 3, "data_version": 7, "params": {"patch": "wards", "ids": ["E05990001"]},
            "areas": [{"code": "E01990000", "score": 1.5, "name": "Testford <b>&</b> 'A'"}],
            "route": None}
    pid = any_store.save_outreach_plan("Ferry Fields round", plan, created_by="cora")
    pid2 = any_store.save_outreach_plan("", {"params": {}}, created_by=None)
    assert any_store.data_version() == v0                       # plans are not data
    got = any_store.get_outreach_plan(pid)
    assert got["plan"] == plan and got["params"] == plan["params"]
    assert (got["name"], got["created_by"], got["run_id"], got["data_version"]) == \
        ("Ferry Fields round", "cora", 3, 7)
    assert any_store.get_outreach_plan(str(pid2))["name"] == "Outreach plan"
    listed = any_store.list_outreach_plans()
    assert list(listed["id"]) == [pid2, pid]                    # newest first
    assert list(listed.columns) == ["id", "name", "created_at", "created_by", "run_id",
                                    "data_version"]
    any_store.delete_outreach_plan(pid2)
    with pytest.raises(NotFound):
        any_store.get_outreach_plan(pid2)
    assert list(any_store.list_outreach_plans()["id"]) == [pid]
    any_store.delete_outreach_plan(pid2)                        # already gone: no error


def test_lookups_and_counts(any_store):
    areas = make_areas()
    any_store.write_areas(areas)
    assert any_store.areas_signature() == (4, "E01990000", "E01990003")
    assert list(any_store.read_areas(codes=["E01990002", "E01990000"])["code"]) == \
        ["E01990000", "E01990002"]
    assert any_store.read_areas(level="ward").empty
    # replace removes the areas of the levels written (and their values)
    any_store.write_areas(areas.iloc[:2], replace=True)
    assert any_store.areas_signature() == (2, "E01990000", "E01990001")
    any_store.write_areas(areas)

    ind = pd.DataFrame([{"id": i, "title": i.upper(), "unit": "%", "polarity": "high_bad",
                         "ci_method": "none", "source": None, "period": None,
                         "description": None} for i in ("b_ind", "a_ind")])
    any_store.write_indicators(ind)
    assert list(any_store.read_indicators()["id"]) == ["a_ind", "b_ind"]
    vals = pd.DataFrame({"indicator_id": ["a_ind", "a_ind", "b_ind"],
                         "area_code": ["E01990000", "E01990001", "E01990000"],
                         "value": [1.0, 2.0, 3.0], "count": None, "denominator": None,
                         "lower_ci": None, "upper_ci": None})
    any_store.write_values(vals)
    assert list(any_store.read_values(["b_ind"])["value"]) == [3.0]
    wide = any_store.values_wide()
    assert wide.loc["E01990001", "a_ind"] == 2.0 and pd.isna(wide.loc["E01990001", "b_ind"])
    assert list(wide.index) == ["E01990000", "E01990001"]

    assets, prov = make_assets(areas)
    any_store.write_assets(assets, prov)
    assert list(any_store.read_assets(categories=["library"])["id"]) == ["t-0", "t-2"]
    plain = any_store.read_assets(with_providers=False)
    assert "service_types" not in plain.columns and len(plain) == 4
    p = any_store.read_providers()
    assert list(p["asset_id"]) == ["t-1"] and p["capacity_hours"].iloc[0] == 40.0
    with pytest.raises(NotFound):
        any_store.get_asset("missing")

    nets = gpd.GeoDataFrame({"id": ["n2", "n1"], "name": ["North", "South <i>"],
                             "hub_asset_id": ["t-0", None], "members": [12, None],
                             "activities": ["lunch club", None]},
                            geometry=[areas.geometry.iloc[0], areas.geometry.iloc[1]],
                            crs="EPSG:4326")
    any_store.write_networks(nets)
    back = any_store.read_networks()
    assert list(back["id"]) == ["n1", "n2"] and back.crs.to_epsg() == 4326
    assert back.set_index("id").loc["n2", "members"] == 12
    assert back.geometry.iloc[1].equals_exact(areas.geometry.iloc[0], 1e-9)

    assert any_store.blob_hash("osm") is None and any_store.get_blob("osm") is None
    digest = any_store.put_blob("osm", b"\x00\x01binary\xff")
    assert any_store.blob_hash("osm") == digest
    digest2 = any_store.put_blob("osm", b"<osm/>")               # replaced, not duplicated
    assert any_store.get_blob("osm") == (b"<osm/>", digest2)

    rid = any_store.save_run({"k": 1}, any_store.data_version(),
                             {"need": b"\x00parquet", "gaps": b"{}"})
    assert any_store.run_result_names(rid) == ["gaps", "need"]
    assert any_store.run_result(rid, "need") == b"\x00parquet"
    assert any_store.run_result(rid, "missing") is None
    assert any_store.get_run(rid)["summary"] == {}
    with pytest.raises(NotFound):
        any_store.get_run(rid + 100)

    any_store.write_postcodes(pd.DataFrame({
        "postcode": ["AB1 2CD", "AB1 3EF", "ZZ9 9ZZ"], "lon": [-1.25, -1.20, 0.5],
        "lat": [52.70, 52.75, 51.0], "area_code": ["E01990000", None, None]}))
    inside = any_store.postcodes_within((-1.3, 52.6, -1.1, 52.8))
    assert sorted(inside["postcode"]) == ["AB1 2CD", "AB1 3EF"]
    assert list(inside.columns) == ["postcode", "lon", "lat", "area_code"]
    assert any_store.postcodes_within((10, 10, 11, 11)).empty

    assert any_store.get_meta("nothing", "dflt") == "dflt"
    any_store.set_meta("area_name", "Testford")
    any_store.set_meta("area_name", None)
    assert any_store.get_meta("area_name", "x") == "x"

    counts = any_store.counts()
    assert set(counts) == set(store_module.COUNTED_TABLES)
    assert (counts["areas"], counts["indicators"], counts["indicator_values"], counts["assets"],
            counts["providers"], counts["asset_versions"], counts["networks"], counts["blobs"],
            counts["postcodes"], counts["runs"], counts["run_results"], counts["users"]) == \
        (4, 2, 3, 4, 1, 4, 2, 1, 3, 1, 2, 0)


def test_reopening_a_store_keeps_its_data(any_store):
    any_store.write_areas(make_areas())
    v = any_store.data_version()
    again = Store(any_store.url)                    # create() runs again: a no-op
    try:
        again.create()
        assert again.data_version() == v and again.counts()["areas"] == 4
        assert again.get_meta("schema") == str(store_module.SCHEMA_VERSION)
    finally:
        again.dispose()


# --- what PostgreSQL does differently from SQLite, made to behave alike -----------------------
def test_text_sorts_and_compares_in_byte_order(any_store):
    """ORDER BY on keys is byte order on both backends (SQLite's BINARY; PostgreSQL text
    columns use collation "C", whatever locale the database was created with)."""
    areas = make_areas()
    any_store.write_areas(areas)
    assets, _ = make_assets(areas)
    ids = ["osm-N10", "osm-n2", "osm_1", "Osm-3"]
    assets["id"] = ids
    any_store.write_assets(assets)
    assert list(any_store.read_assets()["id"]) == sorted(ids)
    ind = pd.DataFrame([{"id": i, "title": i, "unit": "%", "polarity": "neutral",
                         "ci_method": "none"} for i in ("b_x", "B1", "a-x", "a_x", "A2")])
    any_store.write_indicators(ind)
    assert list(any_store.read_indicators()["id"]) == sorted(ind["id"])
    assert any_store.areas_signature()[1:] == ("E01990000", "E01990003")
    if any_store.dialect == "postgresql":
        # the test server's database may well use collation C itself; what makes the order
        # independent of the database's locale is every text column's own collation
        with any_store.engine.connect() as c:
            loose = c.exec_driver_sql(
                "SELECT table_name, column_name, collation_name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND data_type IN "
                "('text', 'character varying') AND collation_name IS DISTINCT FROM 'C'").all()
        assert [r for r in loose if r[0] in store_module.metadata.tables] == []


def test_long_text_nul_characters_and_3d_points_are_stored(any_store):
    """PostgreSQL enforces VARCHAR lengths, refuses NUL characters and Z coordinates in an XY
    geometry column; SQLite does none of that. The store accepts all three on both (lengths
    users may type are checked with a proper InputError before the store)."""
    areas = make_areas()
    any_store.write_areas(areas)
    assets, _ = make_assets(areas)
    long_id = "import-" + "x" * 90                                # over String(64)
    assets.loc[0, "id"] = long_id
    assets.loc[0, "postcode"] = "not a postcode"                  # over String(10)
    assets.loc[0, "source_ref"] = "r" * 300                        # over String(200)
    assets.loc[1, "description"] = "line one\x00line two"
    xy = [(p.x, p.y) for p in assets.geometry]
    assets["geometry"] = [Point(x, y, 42.0) for x, y in xy]
    any_store.write_assets(assets)
    back = any_store.read_assets().set_index("id")
    assert back.loc[long_id, "source_ref"] == "r" * 300
    assert back.loc[long_id, "postcode"] == model.validate_assets(assets)["postcode"].iloc[0]
    assert back.loc["t-1", "description"].replace("\x00", "") == "line oneline two"
    got = {i: (g.x, g.y) for i, g in zip(back.index, back.geometry)}
    assert [got[i] for i in assets["id"]] == xy                    # WKB: exact
    # 3-D areas too (a boundary file with heights)
    import shapely
    any_store.write_areas(areas.assign(geometry=shapely.force_3d(areas.geometry.values, 5.0)))
    for a, b in zip(any_store.read_areas().geometry, areas.geometry):
        assert shapely.force_2d(a).equals_exact(b, 1e-9)
    any_store.set_meta("k" * 80, "v")
    assert any_store.get_meta("k" * 80) == "v"
    uid = any_store.add_user("u" * 120, "planner", "h")
    assert any_store.get_user("u" * 120)["id"] == uid


def test_numpy_integers_work_as_keys_and_versions(any_store):
    """Ids and versions taken from a data frame are numpy integers: they match rows on both
    backends (sqlite3 would bind them as BLOBs and match nothing)."""
    import numpy as np
    areas = make_areas()
    any_store.write_areas(areas)
    assets, prov = make_assets(areas)
    any_store.write_assets(assets, prov)
    hist = any_store.asset_history("t-0")
    assert any_store.get_version(hist["id"].iloc[0])["asset_id"] == "t-0"
    v = any_store.read_assets(ids=["t-0"])["version"].iloc[0]
    assert isinstance(v, np.integer)
    assert any_store.mark_reviewed("t-0", expected_version=v, changed_by="pat") == 2
    assert any_store.set_asset_status("t-0", "retired", expected_version=np.int64(2),
                                      changed_by="pat") == 3
    rid = any_store.save_run({}, np.int64(any_store.data_version()), {"x": b"1"})
    assert any_store.get_run(np.int64(rid))["data_version"] == any_store.data_version()
    assert any_store.run_result(np.int64(rid), "x") == b"1"
    assert any_store.run_result_names(np.int64(rid)) == ["x"]
    p = areas.geometry.iloc[2].centroid
    made = any_store.create_submission(contribution(p.x, p.y), token_hash=None,
                                       submitted_by=None)
    sub = any_store.list_submissions()[0]
    assert any_store.get_submission(np.int64(made["id"]))["id"] == made["id"]
    any_store.approve_submission(np.int64(sub["id"]), expected_version=np.int64(1),
                                 expected_asset_version=np.int64(1), reviewer="pat")
    assert any_store.get_submission(made["id"])["status"] == "approved"


def test_concurrent_approvals_one_wins(any_store):
    """Two planners approve the same submission at the same moment: one wins, the other
    gets a ConflictError (not a lock error or a duplicate), on both backends."""
    import threading
    areas = make_areas()
    any_store.write_areas(areas)
    p = areas.geometry.iloc[2].centroid
    made = any_store.create_submission(contribution(p.x, p.y), token_hash=None,
                                       submitted_by=None)
    results, go = {}, threading.Barrier(2)

    def approve(who):
        go.wait()
        try:
            results[who] = any_store.approve_submission(
                made["id"], expected_version=1, expected_asset_version=1, reviewer=who)
        except ConflictError as e:
            results[who] = e

    threads = [threading.Thread(target=approve, args=(w,)) for w in ("pat", "sam")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    won = [w for w, r in results.items() if r == 2]
    lost = [w for w, r in results.items() if isinstance(r, ConflictError)]
    assert len(won) == 1 and len(lost) == 1, results
    sub = any_store.get_submission(made["id"])
    assert (sub["status"], sub["version"], sub["reviewed_by"]) == ("approved", 2, won[0])
    assert list(any_store.asset_history(made["asset_id"])["action"]) == ["submitted",
                                                                        "approved"]


def test_drop_all_keeps_counting_the_data_version(any_store):
    any_store.write_areas(make_areas())
    v = any_store.data_version()
    assert v > 0
    any_store.drop_all()
    assert any_store.counts()["areas"] == 0
    any_store.write_areas(make_areas())
    assert any_store.data_version() > v

"""The store's base and schema (assetmap/store/core.py, schema.py): transactions and the data
version, meta, counts, reopening and dropping, the SQLite pragmas, and the column types that
make PostgreSQL + PostGIS behave as SQLite does. On SQLite and (when a server is reachable
through ASSETMAP_TEST_PG_URL) on PostgreSQL + PostGIS, through the same code."""
from __future__ import annotations

import pandas as pd
import pytest
from shapely.geometry import Point

from assetmap import model
from assetmap import store as store_module
from assetmap.store import Store

from pghelp import PG_OK
from storehelp import (  # noqa: F401 (fixture)
    any_store,
    contribution,
    make_areas,
    make_assets,
    make_indicators,
    make_networks,
    make_postcodes,
    make_values,
)


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


def test_data_version_bumps_once_per_transaction(any_store):
    v0 = any_store.data_version()
    areas = make_areas()
    with any_store.transaction() as conn:
        any_store.write_areas(areas, conn=conn)
        any_store.set_meta("area_name", "Testford", conn=conn)
    assert any_store.data_version() == v0 + 1
    assert any_store.get_meta("area_name") == "Testford"


def test_meta_defaults_and_counts(any_store):
    """counts() reports every table in COUNTED_TABLES (users, runs and plans included)."""
    areas = make_areas()
    any_store.write_areas(areas)
    any_store.write_indicators(make_indicators())
    any_store.write_values(make_values())
    assets, prov = make_assets(areas)
    any_store.write_assets(assets, prov)
    any_store.write_networks(make_networks(areas))
    any_store.put_blob("osm", b"\x00\x01binary\xff")
    any_store.put_blob("osm", b"<osm/>")                         # replaced, not duplicated
    any_store.save_run({"k": 1}, any_store.data_version(),
                       {"need": b"\x00parquet", "gaps": b"{}"})
    any_store.write_postcodes(make_postcodes())

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


def test_drop_all_keeps_counting_the_data_version(any_store):
    any_store.write_areas(make_areas())
    v = any_store.data_version()
    assert v > 0
    any_store.drop_all()
    assert any_store.counts()["areas"] == 0
    any_store.write_areas(make_areas())
    assert any_store.data_version() > v


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

"""Assets, providers, asset versions (history, edits, restores) and networks
(assetmap/store/assets.py), on SQLite and PostgreSQL + PostGIS."""
from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from shapely.geometry import Point

from assetmap import model
from assetmap.errors import ConflictError, InputError, NotFound

from storehelp import any_store, contribution, make_areas, make_assets, make_networks, seeded  # noqa: F401 (fixtures)


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


def test_invalid_row_rejected_whole(any_store):
    areas = make_areas()
    any_store.write_areas(areas)
    assets, _ = make_assets(areas)
    assets.loc[2, "category"] = "casino"
    with pytest.raises(InputError) as e:
        any_store.write_assets(assets, file="assets.csv")
    assert e.value.row == 3 and e.value.field == "category" and e.value.file == "assets.csv"
    assert any_store.counts()["assets"] == 0


def test_reimport_does_not_duplicate(any_store):
    areas = make_areas()
    any_store.write_areas(areas)
    assets, prov = make_assets(areas)
    any_store.write_assets(assets, prov)
    any_store.write_assets(assets, prov)
    assert any_store.counts()["assets"] == len(assets)
    assert any_store.counts()["providers"] == 1
    assert any_store.get_asset("t-2")["version"] == 2


def test_asset_lookups_and_networks(any_store):
    areas = make_areas()
    any_store.write_areas(areas)
    assets, prov = make_assets(areas)
    any_store.write_assets(assets, prov)
    assert list(any_store.read_assets(categories=["library"])["id"]) == ["t-0", "t-2"]
    plain = any_store.read_assets(with_providers=False)
    assert "service_types" not in plain.columns and len(plain) == 4
    p = any_store.read_providers()
    assert list(p["asset_id"]) == ["t-1"] and p["capacity_hours"].iloc[0] == 40.0
    with pytest.raises(NotFound):
        any_store.get_asset("missing")

    any_store.write_networks(make_networks(areas))
    back = any_store.read_networks()
    assert list(back["id"]) == ["n1", "n2"] and back.crs.to_epsg() == 4326
    assert back.set_index("id").loc["n2", "members"] == 12
    assert back.geometry.iloc[1].equals_exact(areas.geometry.iloc[0], 1e-9)


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

"""Supply against demand per provider group and unit (assetmap.pipeline.supply): a hand-worked
borough of three areas, where the area served is the catchment of providers that come to
people; and on the demo run, hours and places never share a row or a total."""
from __future__ import annotations

from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from assetmap import model, pipeline, settings
from assetmap.analysis import demand
from assetmap.pipeline import supply

X0, Y0 = settings.DEMO_ORIGIN


def _ll(x, y):
    p = gpd.GeoSeries([shapely.Point(X0 + x, Y0 + y)], crs=settings.ANALYSIS_CRS).to_crs(4326)
    return p.iloc[0]


@pytest.fixture
def tiny(monkeypatch):
    """Three 1 km areas in a row; one origin each (weight 1); demand 100, 200, 300 people for
    every client group (the need index flat, so every area has the same need factor)."""
    codes = ["E01000001", "E01000002", "E01000003"]
    areas = gpd.GeoDataFrame(
        {"code": codes, "parent_code": ["E05000001"] * 3,
         "pwc_lon": [_ll(500 + 1000 * i, 500).x for i in range(3)],
         "pwc_lat": [_ll(500 + 1000 * i, 500).y for i in range(3)]},
        geometry=[shapely.box(X0 + 1000 * i, Y0, X0 + 1000 * (i + 1), Y0 + 1000)
                  for i in range(3)], crs=settings.ANALYSIS_CRS).to_crs(4326)
    base = {k: None for k in model.PROVIDER_COLUMNS}
    prov = [
        dict(base, asset_id="V", service_types="home_support", client_groups="dementia",
             reach="visits", area_served="E01000001|E01000002", capacity_hours=30.0),
        dict(base, asset_id="U", service_types="day_activities", client_groups="dementia",
             capacity_hours=60.0),
        dict(base, asset_id="P", service_types="accommodation", client_groups="dementia",
             capacity_places=4.0),
        dict(base, asset_id="B", service_types="befriending", client_groups="dementia",
             reach="both", area_served="E01000003", capacity_hours=10.0),
    ]
    assets = gpd.GeoDataFrame(pd.DataFrame(prov).assign(
        id=[p["asset_id"] for p in prov], name=[p["asset_id"] for p in prov],
        category="micro_provider", is_provider=True),
        geometry=[_ll(1500, 2500)] * 4, crs=4326)
    # walking table (origin, asset, minutes): U at area 3's origin, P and B at area 1's
    table = (np.array([2, 0, 0]), np.array([1, 2, 3]), np.array([0.0, 0.0, 0.0]))
    inp = SimpleNamespace(assets=assets, areas=areas, wide=pd.DataFrame(index=codes),
                          codes=codes)
    acc = SimpleNamespace(o_area=np.arange(3), o_w=np.ones(3), table=table)
    people = np.array([100.0, 200.0, 300.0])
    monkeypatch.setattr(demand, "client_group_demand", lambda a, w, cg: demand.Demand(
        cg, people.copy(), "people in the test", "test"))
    return inp, acc


def test_supply_by_hand(tiny):
    """R_V = 30 / (100 + 200) over the two areas it serves; R_U = 60 / 300 at the venue
    area 3 walks to; R_B = 10 / (100 + 300) for the area it serves (3) and the one walking
    to it (1). Places (P: 4 over area 1's 100) are a group of their own."""
    inp, acc = tiny
    p = pipeline.resolve_params({})
    sup = supply.supply_step(inp, p, np.zeros(3), acc)
    f = supply.need_factor(np.zeros(3), p["demand_need_weight_range"])[0]   # ties: 7/6
    assert f == pytest.approx(7 / 6)
    keys = {k: i for i, k in enumerate(sup.group_keys)}
    hours = sup.by_group[keys[("all", "all", "", "", "hours")]]
    np.testing.assert_allclose(hours * f, [0.1 + 0.025, 0.1, 0.2 + 0.025], rtol=1e-12)
    places = sup.by_group[keys[("all", "all", "", "", "places")]]
    np.testing.assert_allclose(places * f, [0.04, 0.0, 0.0], rtol=1e-12)
    np.testing.assert_allclose(sup.by_group[keys[("service_type", "home_support",
                                                  "home_support", "", "hours")]] * f,
                               [0.1, 0.1, 0.0], rtol=1e-12)
    assert ("service_type", "accommodation", "accommodation", "", "hours") not in keys
    e = sup.frame
    row = e[(e["group_kind"] == "all") & (e["unit"] == "hours")]
    np.testing.assert_allclose(row["supply_per_100"], hours * 100)
    assert row["supply_total"].iloc[0] == 100.0           # 30 + 60 + 10 hours, no places
    assert e.loc[(e["group_kind"] == "all") & (e["unit"] == "places"),
                 "supply_total"].iloc[0] == 4.0
    assert (e["population_label"] == "people in the test").all()
    # shortfall: below the median by 0.025 / f per person in need, x 200 f in need = 5 hours
    g, g_all, _ = supply.gaps_step(inp, dict(p, gap_reach_minutes=15.0), np.zeros(3), sup,
                                   SimpleNamespace(area_min=np.zeros((1, 3)), cats=[]))
    np.testing.assert_allclose(g_all["shortfall"], [0.0, 5.0, 0.0], atol=1e-9)
    assert set(g["unit"]) == {"hours", "places"}


def test_need_factor_runs_over_the_range():
    f = supply.need_factor(np.array([0.0, 1.0, 2.0, np.nan]), (0.5, 1.5))
    assert f[0] < f[1] < f[2] <= 1.5 and f[3] == 1.0


# --- the demo run -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_run(demo_copy):
    store = demo_copy(analysed=True)
    yield store, pipeline.load(store)
    store.dispose()


def test_hours_and_places_never_share_a_row_or_a_total(demo_run):
    """Every e2sfca row is in one unit; each group's total is the capacity of its own unit's
    providers only (capacity_hours for hours, capacity_places for places)."""
    from assetmap.analysis import capacity
    store, a = demo_run
    e = a.e2sfca
    assert set(e["unit"]) == {"hours", "places"}
    key = ["group_kind", "group", "unit"]
    assert (e.groupby(key)["supply_total"].nunique() == 1).all()
    prov = store.read_assets()
    prov = prov[prov["is_provider"]]
    units = capacity.provider_units(prov)
    hours = prov.loc[units == "hours", "capacity_hours"]
    places = prov.loc[units == "places", "capacity_places"]
    assert hours.notna().all() and places.notna().all() and len(places)
    total = e.groupby(key)["supply_total"].first()
    assert total[("all", "all", "hours")] == pytest.approx(hours.sum())
    assert total[("all", "all", "places")] == pytest.approx(places.sum())
    acc = prov[prov["service_types"].str.contains("accommodation")]
    assert total[("service_type", "accommodation", "places")] == \
        pytest.approx(acc["capacity_places"].sum())
    assert ("service_type", "accommodation", "hours") not in total.index
    # the areas frame names its all-provider supply's unit
    assert set(a.areas["supply_all_unit"]) == {"hours"}
    np.testing.assert_allclose(a.areas["supply_all_per_100"], a.areas["supply_all"] * 100)

"""The embedded demo borough (assetmap.demo): determinism, geometry, data and store."""
from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
import shapely

from assetmap import demo, model, settings
from assetmap.store import Store


@pytest.fixture(scope="module")
def data():
    return demo.generate(settings.DEMO_SEED)


@pytest.fixture(scope="module")
def lsoas(data):
    return data.areas[data.areas["level"] == "lsoa"].reset_index(drop=True)


def _bng(geoms):
    return demo.to_bng(np.asarray(list(geoms), dtype=object))


def _pwc_bng(frame):
    x, y = demo.lonlat_to_bng(frame["pwc_lon"].to_numpy(), frame["pwc_lat"].to_numpy())
    return np.column_stack([x, y])


def _assert_same(a, b):
    for name in ("areas", "indicators", "values", "assets", "providers", "networks"):
        fa, fb = getattr(a, name), getattr(b, name)
        if "geometry" in fa.columns:
            assert [shapely.to_wkb(g) for g in fa.geometry] == \
                   [shapely.to_wkb(g) for g in fb.geometry], name
            fa, fb = fa.drop(columns="geometry"), fb.drop(columns="geometry")
        pd.testing.assert_frame_equal(pd.DataFrame(fa), pd.DataFrame(fb), obj=name)
    assert a.osm_xml == b.osm_xml
    assert a.planted == b.planted
    assert shapely.to_wkb(a.boundary) == shapely.to_wkb(b.boundary)


# --- determinism ------------------------------------------------------------------------------
def test_same_seed_gives_identical_output(data):
    again = demo.generate(settings.DEMO_SEED)
    _assert_same(data, again)


def test_different_seed_differs(data):
    other = demo.generate(settings.DEMO_SEED + 1)
    assert other.osm_xml != data.osm_xml
    assert [shapely.to_wkb(g) for g in other.areas.geometry] != \
           [shapely.to_wkb(g) for g in data.areas.geometry]
    assert not other.values["value"].equals(data.values["value"])


# --- geography --------------------------------------------------------------------------------
def test_sizes(data, lsoas):
    lv = data.areas["level"].value_counts()
    assert 140 <= lv["lsoa"] <= 160
    assert 13 <= lv["ward"] <= 17
    assert lv["la"] == 1
    community = data.assets[data.assets["category"] != "micro_provider"]
    assert 440 <= len(community) <= 540          # venues and everyday services (demo.everyday)
    assert 55 <= len(data.providers) <= 65
    assert (data.assets["category"] == "micro_provider").sum() == len(data.providers)
    assert 6 <= len(data.networks) <= 10
    assert set(data.assets["category"]) == set(model.ASSET_CATEGORIES)


def test_area_frame_schema_and_codes(data, lsoas):
    a = data.areas
    assert list(a.columns) == list(model.AREA_COLUMNS) + ["geometry"]
    assert a.crs.to_epsg() == 4326
    assert a["code"].is_unique
    assert all(model.AREA_CODE_RE.match(c) for c in a["code"])
    assert all(re.fullmatch(r"E01\d{6}", c) for c in lsoas["code"])
    assert all(re.fullmatch(rf"{settings.DEMO_LA_NAME} \d{{3}}[A-Z]", n) for n in lsoas["name"])
    wards = a[a["level"] == "ward"]
    assert all(re.fullmatch(r"E05\d{6}", c) for c in wards["code"])
    assert wards["name"].is_unique
    assert set(lsoas["parent_code"]) == set(wards["code"])
    assert (wards["parent_code"] == settings.DEMO_LA_CODE).all()
    la = a[a["level"] == "la"].iloc[0]
    assert la["code"] == settings.DEMO_LA_CODE and la["name"] == settings.DEMO_LA_NAME
    name_of = dict(zip(wards["code"], wards["name"]))
    assert all(name_of[c] == n for c, n in zip(lsoas["parent_code"], lsoas["parent_name"]))
    model.validate_areas(a)
    assert a.geometry.is_valid.all()


def test_borough_placed_in_england(data):
    x0, y0, x1, y1 = data.boundary.bounds
    ox, oy = settings.DEMO_ORIGIN
    assert ox <= x0 < x1 <= ox + 10_000 and oy <= y0 < y1 <= oy + 8_000
    assert 8_000 <= x1 - x0 <= 10_000 and 6_500 <= y1 - y0 <= 8_000
    lon0, lat0, lon1, lat1 = data.areas.total_bounds
    assert -2.0 < lon0 < lon1 < 0.0 and 52.0 < lat0 < lat1 < 53.5


def test_lsoas_tile_the_borough(data, lsoas):
    polys = _bng(lsoas.geometry)
    union = shapely.union_all(polys)
    assert union.symmetric_difference(data.boundary).area < 1.0        # no gaps
    assert abs(shapely.area(polys).sum() - union.area) < 1.0           # no overlaps
    la = data.areas[data.areas["level"] == "la"].geometry.iloc[0]
    assert demo.to_bng(la).symmetric_difference(data.boundary).area < 1.0


def test_smaller_lsoas_in_the_centre(lsoas):
    area = shapely.area(_bng(lsoas.geometry))
    c = np.array(demo.CENTRE) + np.array(settings.DEMO_ORIGIN)
    d = np.hypot(*(_pwc_bng(lsoas) - c).T)
    assert np.median(area[d < 1500]) * 3 < np.median(area[d > 3500])


def test_wards_are_unions_of_their_lsoas(data, lsoas):
    wards = data.areas[data.areas["level"] == "ward"]
    for code, geom in zip(wards["code"], wards.geometry):
        members = _bng(lsoas.loc[lsoas["parent_code"] == code].geometry)
        assert shapely.union_all(members).symmetric_difference(demo.to_bng(geom)).area < 1.0
        assert geom.geom_type == "Polygon", code          # contiguous


def test_population_and_centroids(lsoas):
    total = lsoas[list(model.AGE_BANDS)].sum(axis=1)
    assert total.between(1000, 3000).all()
    assert 1300 <= total.median() <= 1900
    s65 = lsoas[["pop_65_74", "pop_75_84", "pop_85_plus"]].sum(axis=1) / total
    assert s65.between(0.115, 0.355).all()
    pwc = _pwc_bng(lsoas)
    polys = _bng(lsoas.geometry)
    assert shapely.contains_xy(polys, pwc[:, 0], pwc[:, 1]).all()


# --- indicators -------------------------------------------------------------------------------
def test_indicators_and_values(data, lsoas):
    ind = model.validate_indicators(data.indicators)
    expected = {"pop_65_plus", "living_alone_65", "llti", "unpaid_carers", "bad_health",
                "imd_score", "imd_decile", "idaopi", *model.LONELINESS_INPUTS}
    assert set(ind["id"]) == expected
    for iid in model.LONELINESS_INPUTS:
        row = ind.set_index("id").loc[iid]
        assert row["polarity"] == "neutral" and row["ci_method"] == "none"
        assert row["unit"] == ("persons" if iid == "lon_household_size" else "share")
    v = model.validate_values(data.values)
    assert set(v["area_code"]) == set(lsoas["code"])              # LSOA level only
    assert len(v) == len(expected) * len(lsoas)
    wilson = set(ind.loc[ind["ci_method"] == "wilson", "id"])
    p = data.values[data.values["indicator_id"].isin(wilson)]
    assert p["count"].notna().all() and (p["denominator"] > 0).all()
    assert (p["count"] <= p["denominator"]).all()
    assert np.allclose(p["value"], 100 * p["count"] / p["denominator"], atol=1e-3)
    assert p["value"].between(0, 100).all()
    wide = data.values.pivot(index="area_code", columns="indicator_id", values="value")
    assert wide["imd_score"].between(5, 60).all()
    assert all(demo.imd_decile(s) == d for s, d in zip(wide["imd_score"], wide["imd_decile"]))
    assert wide["imd_decile"].nunique() >= 6
    assert wide["lon_household_size"].between(1.3, 2.2).all()
    for iid in model.LONELINESS_INPUTS[:5]:
        assert wide[iid].between(0, 1).all()
    health = wide[["lon_health_good", "lon_health_fair", "lon_health_poor"]].sum(axis=1)
    assert (health < 1).all()


def _loneliness_logit(wide):
    return (-2.6200 + 2.0344 * wide["lon_health_poor"] + 1.5819 * wide["lon_health_fair"]
            + 0.9842 * wide["lon_health_good"] - 1.0402 * wide["lon_household_size"]
            + 1.0317 * wide["lon_widowed"] - 0.3542 * wide["lon_aged_75_79"])


def test_spatial_patterns_are_planted(data):
    wide = data.values.pivot(index="area_code", columns="indicator_id", values="value")
    pl = data.planted
    core, affluent = wide.loc[pl["deprived_core"]], wide.loc[pl["affluent"]]
    assert core["imd_score"].mean() > affluent["imd_score"].mean() + 25
    assert core["idaopi"].mean() > 2 * affluent["idaopi"].mean()
    assert core["bad_health"].mean() > affluent["bad_health"].mean()
    rural = wide.loc[pl["rural_fringe"]]
    assert rural["pop_65_plus"].mean() > wide["pop_65_plus"].median()
    risk = _loneliness_logit(wide)
    hot = risk.loc[pl["hotspot_areas"]]
    assert hot.min() > risk.quantile(0.75)                  # every hotspot area high risk
    gap = wide.loc[pl["gap_areas"]]
    for iid in ("llti", "idaopi", "imd_score"):
        assert gap[iid].mean() > wide[iid].quantile(0.8), iid


def test_planted_hotspot_and_gap_areas_are_isolated(data, lsoas):
    pl = data.planted
    pwc = dict(zip(lsoas["code"], _pwc_bng(lsoas)))
    pts = shapely.get_coordinates(_bng(data.assets.geometry))
    cats = data.assets["category"].to_numpy()

    def nearest(codes, categories):
        sel = np.isin(cats, list(categories))
        p = np.array([pwc[c] for c in codes])
        return np.hypot(pts[sel, None, 0] - p[None, :, 0], pts[sel, None, 1] - p[None, :, 1]).min()

    assert 6 <= len(pl["hotspot_areas"]) <= 8 and 4 <= len(pl["gap_areas"]) <= 8
    assert not set(pl["hotspot_areas"]) & set(pl["gap_areas"])
    by_code = lsoas.set_index("code")
    for key in ("hotspot_areas", "gap_areas"):
        cluster = shapely.union_all(list(by_code.loc[pl[key]].geometry))
        assert cluster.geom_type == "Polygon", key            # contiguous
    assert nearest(pl["hotspot_areas"], settings.SOCIAL_CATEGORIES) > demo.EXCLUSION_M
    assert nearest(pl["hotspot_areas"], ["micro_provider"]) > demo.EXCLUSION_M
    assert nearest(pl["gap_areas"], ["micro_provider"]) > demo.EXCLUSION_M
    # a planted feature is a contrast: elsewhere, venues are usually close by
    others = [c for c in lsoas["code"] if c not in set(pl["hotspot_areas"])]
    close = [nearest([c], settings.SOCIAL_CATEGORIES) < 800 for c in others]
    assert np.mean(close) > 0.8
    json.dumps(pl)                                               # storable as meta


# --- assets, providers, networks --------------------------------------------------------------
def test_assets(data):
    a = model.validate_assets(data.assets)
    assert len(a) == len(data.assets)
    assert (data.assets["source"] == "demo").all() and (data.assets["status"] == "approved").all()
    assert all(re.fullmatch(r"demo-a\d{4}", i) for i in data.assets["id"])
    pts = _bng(data.assets.geometry)
    assert shapely.contains(data.boundary, pts).all()
    la = data.areas[data.areas["level"] == "la"].geometry.iloc[0]
    assert shapely.contains(la, np.asarray(data.assets.geometry)).all()
    assert (shapely.distance(pts, data.river) > 15).all()        # none in the river
    home = data.assets.loc[data.assets["home_based"], "category"]
    assert (home == "micro_provider").all() and 15 <= len(home) <= 25


def test_providers(data):
    p = model.validate_providers(data.providers)
    assets = data.assets.set_index("id")
    assert (assets.loc[p["asset_id"], "category"] == "micro_provider").all()
    assert p["hourly_price"].between(10, 35).all()
    assert p["hourly_price"].between(15, 25).all()
    assert (p["staff_fte"] <= 5).all() and (p["staff_fte"] > 0).all()
    places = p["capacity_places"].notna()         # capacity in its unit (issue 10)
    assert (p.loc[~places, "vacancies"] <= p.loc[~places, "capacity_hours"]).all()
    assert (p.loc[places, "vacancies"] <= p.loc[places, "capacity_places"]).all()
    assert p.loc[places, "capacity_hours"].isna().all() and places.any()
    assert (p.loc[places, "service_types"].str.contains("accommodation")).all()
    assert set(p["quality_mark"]) == set(model.QUALITY_MARKS)
    reg = p[p["cqc_registered"]]
    assert len(reg) and all(re.fullmatch(r"1-\d{9,10}", x) for x in reg["cqc_location_id"])
    assert p.loc[~p["cqc_registered"], "cqc_location_id"].isna().all()
    assert p["direct_payments"].mean() > 0.6
    assert p["community_focus"].notna().any() and p["community_focus"].isna().any()
    for col in ("service_types", "client_groups", "quality_mark", "radius_km",
                "vacancies_confirmed"):
        assert p[col].notna().all(), col
    assert (p["capacity_hours"].notna() | p["capacity_places"].notna()).all()
    served = {s for v in p["service_types"] for s in model.split_list(v)}
    assert {"home_support", "day_activities", "befriending"} <= served


def test_providers_reach_and_vacancy_dates(data, lsoas):
    """Some providers serve a radius, some a list of wards or LSOAs, some a polygon; mixed
    providers reach people both ways; vacancy dates are some recent, some stale; a
    home-based provider's polygon is not centred on its home."""
    import datetime as dt

    from assetmap.analysis import reach
    p = model.validate_providers(data.providers)
    modes = reach.reach_modes(p)
    assert {"visits", "both", "venue"} <= set(modes)
    visiting = p[modes != "venue"]
    how = [reach.served_by(r) for r in visiting.to_dict("records")]
    assert {"areas", "polygon", "radius"} <= set(how)
    codes = {c for v in visiting["area_served"].dropna() for c in reach.served_codes(v)}
    wards = set(data.areas.loc[data.areas["level"] == "ward", "code"])
    assert codes & wards and codes & set(lsoas["code"]) and codes <= wards | set(lsoas["code"])
    assert (p.loc[modes == "venue", "area_served"].isna()).all()
    ages = [(dt.date.today() - dt.date.fromisoformat(d)).days for d in p["vacancies_confirmed"]]
    assert min(ages) >= -1 and sum(a <= settings.VACANCY_STALE_DAYS for a in ages) >= 20
    assert sum(a > settings.VACANCY_STALE_DAYS for a in ages) >= 10
    # a home-based provider's area served is drawn about its published grid cell
    from assetmap import privacy
    from assetmap.demo.reach import _bases
    home = data.assets[data.assets["home_based"]]
    grid = _bng(privacy.approximate_location(home.geometry))
    np.testing.assert_allclose(shapely.get_coordinates(grid), _bases(data.assets, home["id"]),
                               atol=0.01)
    for r in p[p["area_served_geojson"].notna()].to_dict("records"):
        assert reach.polygon_from_geojson(r["area_served_geojson"]).geom_type == "Polygon"


def test_networks(data, lsoas):
    n = model.validate_networks(data.networks)
    hubs = data.assets.set_index("id").loc[n["hub_asset_id"]]
    assert (hubs["category"] == "neighbourhood_hub").all()
    polys = _bng(n.geometry)
    hot = _bng(lsoas.loc[lsoas["code"].isin(data.planted["hotspot_areas"])].geometry)
    assert shapely.union_all(polys).intersection(shapely.union_all(hot)).area < 1.0
    assert all(shapely.contains(g, h) for g, h in zip(polys, _bng(hubs.geometry)))
    assert (n["members"] > 0).all() and n["activities"].notna().all()


# --- street network ---------------------------------------------------------------------------
def test_osm_xml_is_well_formed_and_crosses_the_river_only_at_bridges(data):
    root = ET.fromstring(data.osm_xml)
    assert root.tag == "osm" and root.get("version") == "0.6"
    nodes = {n.get("id"): (float(n.get("lon")), float(n.get("lat"))) for n in root.iter("node")}
    ids = list(nodes)
    ll = np.array([nodes[i] for i in ids])
    x, y = demo.lonlat_to_bng(ll[:, 0], ll[:, 1])
    xy = dict(zip(ids, zip(x, y)))
    river = data.river.buffer(3.0)
    crossing, bridges, classes = [], [], set()
    for w in root.iter("way"):
        tags = {t.get("k"): t.get("v") for t in w.iter("tag")}
        if "highway" not in tags:
            continue
        classes.add(tags["highway"])
        assert "oneway" not in tags
        line = shapely.LineString([xy[nd.get("ref")] for nd in w.iter("nd")])
        if tags.get("bridge") == "yes":
            bridges.append(tags.get("name"))
        if line.intersects(river):
            crossing.append(tags.get("bridge") == "yes")
    assert 3 <= len(bridges) <= 4
    assert crossing and all(crossing)
    assert {"primary", "tertiary", "residential", "footway", "service", "track",
            "unclassified"} <= classes


def test_osmnx_reads_the_street_network(data, tmp_path):
    ox = pytest.importorskip("osmnx")
    nx = pytest.importorskip("networkx")
    path = tmp_path / "demo.osm"
    path.write_bytes(data.osm_xml)
    G = ox.graph_from_xml(path, simplify=False, retain_all=True)
    assert 10_000 <= len(G) <= 30_000
    largest = max(nx.strongly_connected_components(G), key=len)
    assert len(largest) > 0.95 * len(G)
    S = ox.simplify_graph(G.subgraph(largest).copy())
    assert 1_500 <= len(S) < len(largest)


# --- boundaries file and store ------------------------------------------------------------------
def test_shipped_boundaries_match_generate(data):
    path = settings.BOUNDARIES_DIR / demo.BOUNDARIES_FILE
    assert path.exists(), "run scripts/make_demo_boundaries.py"
    text = path.read_text(encoding="utf-8")
    assert text == demo.boundaries_geojson(data), \
        "data/boundaries/demo_borough.geojson is stale: run scripts/make_demo_boundaries.py"
    assert len(text.encode()) < 3_000_000
    gj = json.loads(text)
    assert len(gj["features"]) == len(data.areas)
    assert {f["properties"]["level"] for f in gj["features"]} == {"lsoa", "ward", "la"}


def test_write_boundaries(tmp_path, data):
    path = demo.write_boundaries(tmp_path / "b.geojson", data=data)
    gpd = pytest.importorskip("geopandas")
    read = gpd.read_file(path)
    assert list(read["code"]) == list(data.areas["code"])
    assert read.geometry.is_valid.all()
    area = shapely.area(_bng(read.geometry))
    assert np.allclose(area, shapely.area(_bng(data.areas.geometry)), rtol=1e-9)


def test_build_into_store(tmp_path, data):
    store = Store(f"sqlite:///{tmp_path / 't.sqlite'}")
    store.put_blob("stale", b"old")                  # build_into starts from nothing
    version_before = store.data_version()
    messages = []
    counts = demo.build_into(store, progress=messages.append)
    assert len(messages) == demo.STEPS
    got = store.counts()
    for table in ("areas", "indicators", "indicator_values", "assets", "providers",
                  "asset_versions", "networks", "blobs"):
        assert got[table] > 0, table
    assert got["areas"] == len(data.areas) == counts["areas"]
    assert got["assets"] == len(data.assets) and got["providers"] == len(data.providers)
    assert got["indicator_values"] == len(data.values)
    assert store.get_blob("stale") is None
    blob, _ = store.get_blob("osm")
    assert blob == data.osm_xml
    assert store.get_meta("osm_name") == "demo.osm"
    assert store.get_meta("area_name") == settings.DEMO_LA_NAME
    assert int(store.get_meta("demo_seed")) == settings.DEMO_SEED
    assert json.loads(store.get_meta("planted")) == json.loads(json.dumps(data.planted))
    # one transaction: the data version moves on exactly once (it never goes back, so caches
    # keyed by it stay honest)
    assert store.data_version() == version_before + 1
    back = store.read_areas(level="lsoa")
    assert len(back) == (data.areas["level"] == "lsoa").sum()
    assert math.isclose(back[list(model.AGE_BANDS)].to_numpy().sum(),
                        data.areas.loc[data.areas["level"] == "lsoa",
                                       list(model.AGE_BANDS)].to_numpy().sum())
    prov = store.read_assets()
    assert prov["is_provider"].sum() == len(data.providers)

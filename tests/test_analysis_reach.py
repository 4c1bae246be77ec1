"""Reach (assetmap.analysis.reach): which areas a provider that comes to people serves, by
hand on a 3 x 3 grid; and on the demo borough, that the referral finder, the gap map, the API
and the outreach wording give the same answer for the same place (issue 10)."""
from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from assetmap import settings
from assetmap.analysis import reach

X0, Y0 = settings.DEMO_ORIGIN
WARD_1, WARD_2 = "E05000001", "E05000002"


def _ll(x, y):
    """Local metres -> (lon, lat)."""
    p = gpd.GeoSeries([shapely.Point(X0 + x, Y0 + y)], crs=settings.ANALYSIS_CRS).to_crs(4326)
    return float(p.iloc[0].x), float(p.iloc[0].y)


@pytest.fixture(scope="module")
def grid():
    """Nine 1 km squares; area i at column i % 3, row i // 3; the bottom row in ward 1, the
    others in ward 2; population-weighted centres at the square centres (area 8: none given,
    so its representative point counts)."""
    recs, geoms = [], []
    for i in range(9):
        cx, cy = (i % 3) * 1000 + 500, (i // 3) * 1000 + 500
        lon, lat = _ll(cx, cy)
        recs.append({"code": f"E0100000{i + 1}", "parent_code": WARD_1 if i < 3 else WARD_2,
                     "pwc_lon": np.nan if i == 8 else lon, "pwc_lat": np.nan if i == 8 else lat})
        geoms.append(shapely.box(X0 + cx - 500, Y0 + cy - 500, X0 + cx + 500, Y0 + cy + 500))
    return gpd.GeoDataFrame(recs, geometry=geoms, crs=settings.ANALYSIS_CRS).to_crs(4326)


def _provider(x, y, **fields):
    lon, lat = _ll(x, y)
    rec = {"service_types": "home_support", "client_groups": "dementia", "reach": None,
           "radius_km": None, "area_served": None, "area_served_geojson": None,
           "geometry": shapely.Point(lon, lat)}
    rec.update(fields)
    return rec


def _polygon(x0, y0, x1, y1) -> str:
    ring = [_ll(x, y) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0))]
    return json.dumps({"type": "Feature", "properties": {},
                       "geometry": {"type": "Polygon", "coordinates": [ring]}})


HAND = [  # (provider, the areas it covers, worked out by hand)
    # a 1.1 km circle about the middle square's centre: its centre and the four at 1 km
    (_provider(1500, 1500, radius_km=1.1), [1, 3, 4, 5, 7]),
    # a polygon over the two left squares of the bottom row (their centres inside)
    (_provider(500, 500, area_served_geojson=_polygon(0, 0, 2100, 900)), [0, 1]),
    # ward 2: every LSOA whose parent is ward 2
    (_provider(500, 500, area_served=WARD_2), [3, 4, 5, 6, 7, 8]),
    # LSOA codes, any case; a listed ward-1 code and an unknown one
    (_provider(500, 500, area_served="e01000001|E01000009|E01999999"), [0, 8]),
    # codes beat a polygon given as well
    (_provider(500, 500, area_served="E01000005",
               area_served_geojson=_polygon(0, 0, 3000, 3000)), [4]),
    # people travel to a day-activities venue: it covers nothing whatever its radius
    (_provider(1500, 1500, service_types="day_activities", radius_km=10.0), []),
    # a venue that also comes to people ("both") in the area it serves
    (_provider(1500, 1500, service_types="day_activities", reach="both", area_served=WARD_1),
     [0, 1, 2]),
    # no area served: the default radius (1.05 km in these tests) about its base
    (_provider(500, 500), [0, 1, 3]),
    # the representative point of area 8 (no weighted centre) is inside a small circle
    (_provider(2500, 2500, radius_km=0.3), [8]),
]


def _frame(rows):
    return gpd.GeoDataFrame(pd.DataFrame([{k: v for k, v in r.items() if k != "geometry"}
                                          for r in rows]),
                            geometry=[r["geometry"] for r in rows], crs=4326)


def test_coverage_by_hand(grid):
    prov = _frame([p for p, _ in HAND])
    got = reach.coverage(prov, grid, default_km=1.05)
    assert got.shape == (len(HAND), 9) and got.dtype == bool
    for (p, want), row in zip(HAND, got):
        assert np.flatnonzero(row).tolist() == want, p


def test_coverage_in_any_crs_and_default_radius(grid):
    prov = _frame([HAND[0][0], HAND[7][0]])
    bng = prov.to_crs(settings.ANALYSIS_CRS)
    np.testing.assert_array_equal(reach.coverage(bng, grid.to_crs(settings.ANALYSIS_CRS),
                                                 default_km=1.05),
                                  reach.coverage(prov, grid, default_km=1.05))
    # the settings' default (3 km) reaches every square from the corner one's centre
    assert reach.coverage(_frame([HAND[7][0]]), grid)[0].sum() == \
        int(sum(np.hypot(((i % 3) - 0) * 1000, (i // 3) * 1000) <= 3000 for i in range(9)))


def test_covers_point_agrees_with_coverage(grid):
    """The same rule for one place: at each area's point, with its code and ward."""
    prov = _frame([p for p, _ in HAND])
    cov = reach.coverage(prov, grid, default_km=1.05)
    pts = gpd.GeoSeries(gpd.points_from_xy(*reach.area_points(grid).T),
                        crs=settings.ANALYSIS_CRS).to_crs(4326)
    for i in range(9):
        here = reach.covers_point(prov, pts.iloc[i].x, pts.iloc[i].y, grid["code"].iloc[i],
                                  parent_code=grid["parent_code"].iloc[i], default_km=1.05)
        np.testing.assert_array_equal(here, cov[:, i], err_msg=f"area {i}")
    # a ward list needs the ward: without it only the LSOA's own code can match
    lon, lat = pts.iloc[4].x, pts.iloc[4].y
    assert not reach.covers_point(_frame([HAND[2][0]]), lon, lat, "E01000005")[0]


def test_reach_modes_and_words():
    assert reach.reach_mode({"service_types": "home_support|befriending"}) == "visits"
    assert reach.reach_mode({"service_types": "home_support|day_activities"}) == "venue"
    assert reach.reach_mode({"service_types": "day_activities", "reach": "both"}) == "both"
    assert reach.reach_mode({"service_types": "", "reach": "bogus"}) == "venue"
    assert reach.describe({"service_types": "transport", "radius_km": 4.0}) == \
        "Comes to you within 4 km of its base"
    assert reach.describe({"service_types": "befriending", "area_served": "E05000001"},
                          {"E05000001": "Eastgate"}) == "Comes to you: Eastgate"
    with pytest.raises(ValueError, match="polygon, not a Point"):
        reach.polygon_from_geojson('{"type": "Point", "coordinates": [0, 0]}')


# --- the demo borough: one answer for one place ---------------------------------------------
POINT = (-1.1013511, 52.8033018)         # Ashbrook 014F's population-weighted centre
PAIR = ("home_support", "dementia")


def _serving(store, code):
    """By hand, the approved home-support providers for dementia that come to people and
    whose area served covers LSOA ``code`` (ward or LSOA code listed; else polygon; else
    the radius about the published point)."""
    from assetmap import model, privacy
    areas = store.read_areas("lsoa").set_index("code")
    a = areas.loc[code]
    prov = privacy.published_points(store.read_assets())
    prov = prov[prov["is_provider"]].to_crs(settings.ANALYSIS_CRS)
    pt = gpd.GeoSeries([shapely.Point(a["pwc_lon"], a["pwc_lat"])], crs=4326).to_crs(
        settings.ANALYSIS_CRS).iloc[0]
    out = set()
    for r in prov.to_dict("records"):
        if PAIR[0] not in model.split_list(r["service_types"]) or \
                PAIR[1] not in model.split_list(r["client_groups"]):
            continue
        types = set(model.split_list(r["service_types"]))
        mode = r["reach"] or ("visits" if types <= set(model.VISITING_SERVICE_TYPES) else "venue")
        if mode == "venue":
            continue
        codes = {c.upper() for c in model.split_list(r["area_served"])}
        if codes:
            ok = code in codes or a["parent_code"] in codes
        elif r["area_served_geojson"]:
            poly = gpd.GeoSeries([shapely.geometry.shape(json.loads(r["area_served_geojson"]))],
                                 crs=4326).to_crs(settings.ANALYSIS_CRS).iloc[0]
            ok = poly.contains(pt)
        else:
            ok = r["geometry"].distance(pt) <= (r["radius_km"] or 3.0) * 1000
        if ok:
            out.add(r["name"])
    return out


def _providers_listed(body) -> list[str]:
    import html
    import re
    block = body.split('id="providers"')[1].split("</ol>")[0]
    return [html.unescape(n) for n in re.findall(r"<h3>(.*?)</h3>", block)]


def _answers(client, store, code):
    """(referral names, is a gap on /gaps, is a gap in the API, outreach says a gap)."""
    from assetmap import outreach
    url = (f"/referral?lat={POINT[1]}&lon={POINT[0]}&service_type={PAIR[0]}"
           f"&client_group={PAIR[1]}")
    names = _providers_listed(client.get(url).get_data(as_text=True))
    gaps = client.get(f"/gaps?service_type={PAIR[0]}&client_group={PAIR[1]}"
                      ).get_data(as_text=True)
    table = gaps.split('id="gap-table"')[1].split("</table>")[0] if 'id="gap-table"' in gaps \
        else ""
    on_gaps = f'href="/areas/{code}"' in table
    api = client.get(f"/api/v1/areas/{code}").get_json()["properties"].get("gaps") or []
    in_api = any((g["service_type"], g["client_group"]) == PAIR for g in api)
    outreach.clear_cache()
    plan = outreach.make_plan(store, outreach.PlanParams(patch="areas", ids=[code],
                                                         client_group=PAIR[1],
                                                         service_type=PAIR[0]))
    row = plan["areas"][0]
    says_gap = PAIR[0] in row["missing_services"] or any(
        g["chosen"] and g["service_type"] == PAIR[0] for g in plan["gaps"])
    return names, on_gaps, in_api, says_gap


@pytest.fixture(scope="module")
def demo_app(demo_copy, tmp_path_factory):
    from conftest import _make_app
    store = demo_copy(analysed=True, graph_cache=True)
    app = _make_app(store.url, tmp_path_factory.mktemp("reach-app"))
    yield app, store
    store.dispose()


def test_demo_014f_home_support_dementia_agrees_everywhere(demo_app):
    """Issue 10: seven providers' area served covers 014F; the referral lists exactly those
    (with the other ones people could walk to: none here), and the gap map, the API and the
    outreach wording all say it is not a gap for that pair."""
    app, store = demo_app
    code = store.read_areas("lsoa").set_index("name").loc["Ashbrook 014F", "code"]
    want = _serving(store, code)
    assert len(want) >= 5
    names, on_gaps, in_api, says_gap = _answers(app.test_client(), store, code)
    assert set(names) == want
    assert not on_gaps and not in_api and not says_gap


def test_demo_planted_area_outside_every_area_served_is_a_gap_everywhere(demo_app, demo_copy,
                                                                        tmp_path_factory):
    """The same area made unserved (every home-support provider for dementia comes to people
    and lists the areas it covered, less 014F; none is a venue): a gap in all three, and the
    referral finds nobody."""
    from conftest import _make_app

    from assetmap import model, pipeline, privacy
    store = demo_copy(analysed=True, graph_cache=True)
    try:
        areas = store.read_areas("lsoa")
        code = areas.set_index("name").loc["Ashbrook 014F", "code"]
        prov = store.read_assets()
        prov = prov[prov["is_provider"]]
        pair = prov[prov["service_types"].str.contains(PAIR[0])
                    & prov["client_groups"].str.contains(PAIR[1])]
        cov = reach.coverage(privacy.published_points(pair), areas)
        for (_, r), row in zip(pair.iterrows(), cov):
            keep = [c for c, on in zip(areas["code"], row) if on and c != code] or \
                [areas["code"].iloc[0] if areas["code"].iloc[0] != code else areas["code"].iloc[1]]
            rec = {k: r.get(k) for k in model.PROVIDER_COLUMNS if k != "asset_id"}
            rec.update(reach="visits", area_served=model.join_list(keep),
                       area_served_geojson=None)
            store.update_asset(r["id"], {"asset": {}, "provider": rec, "lon": None, "lat": None},
                               expected_version=None, changed_by="test")
        pipeline.run(store)
        app = _make_app(store.url, tmp_path_factory.mktemp("planted-app"))
        assert _serving(store, code) == set()
        names, on_gaps, in_api, says_gap = _answers(app.test_client(), store, code)
        assert names == [] and on_gaps and in_api and says_gap
    finally:
        store.dispose()

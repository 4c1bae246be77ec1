"""Outreach plans (assetmap.outreach.plan) on the demo borough: ranking, why, suggestions within
the walk, patches, privacy; the package imports neither Flask nor folium."""
from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, mapping

from assetmap import model, settings
from assetmap.errors import InputError


def planted_features(store) -> dict:
    """What the demo planted (stored in the store's meta; regenerated if absent)."""
    raw = store.get_meta("planted")
    if raw:
        return json.loads(raw)
    return pytest.importorskip("assetmap.demo").generate().planted


@pytest.fixture(scope="module")
def demo(demo_store):
    return demo_store, planted_features(demo_store)


@pytest.fixture(scope="module")
def ctx(demo):
    from assetmap import outreach
    return outreach.context(demo[0])


def _all_wards(ctx):
    return sorted(ctx.areas["parent_code"].dropna().unique())


def test_planted_hotspot_ranks_first(demo, ctx):
    from assetmap import outreach
    store, planted = demo
    hot = set(planted["hotspot_areas"])
    assert ctx.run_id is not None and ctx.router_kind == "network"
    whole = outreach.build_plan(ctx, outreach.PlanParams(patch="wards", ids=_all_wards(ctx)))
    assert whole["areas"][0]["code"] in hot
    assert whole["areas"][0]["hotspot"] == "hot"
    assert any("hotspot" in w for w in whole["areas"][0]["why"])
    # the hotspot's own ward, and a patch drawn around the hotspot and its surroundings
    ward = ctx.areas.loc[ctx.areas["code"].isin(hot), "parent_code"].iloc[0]
    own = outreach.build_plan(ctx, outreach.PlanParams(patch="wards", ids=[ward]))
    assert own["areas"][0]["code"] in hot
    geom = ctx.areas[ctx.areas["code"].isin(hot)].to_crs(4326).unary_union.buffer(0.01)
    drawn = outreach.build_plan(ctx, outreach.PlanParams(patch="polygon",
                                                         polygon=mapping(geom.envelope)))
    assert drawn["areas"][0]["code"] in hot
    assert set(drawn["patch"]["area_codes"]) >= hot


def test_why_names_the_driving_indicators(ctx):
    from assetmap import outreach
    plan = outreach.build_plan(ctx, outreach.PlanParams(patch="wards", ids=_all_wards(ctx)))
    top = plan["areas"][0]
    # the strongest indicator is named with its value, the borough's and its z-score
    assert any(re.search(r"against .* across the borough \(z = \+\d", w) for w in top["why"])
    assert top["why_short"]


@pytest.mark.parametrize("group,service,walk", [("older_people", "", 15.0),
                                                ("dementia", "", 10.0),
                                                ("learning_disability", "day_activities", 20.0)])
def test_suggestions_within_walk_and_matching(ctx, group, service, walk):
    from assetmap import outreach
    params = outreach.PlanParams(patch="wards", ids=_all_wards(ctx), client_group=group,
                                 service_type=service, walk_minutes=walk, top=25)
    plan = outreach.build_plan(ctx, params)
    mpm = params.speed_kmh * 1000 / 60
    assets = ctx.assets.set_index(ctx.assets["id"].astype(str))
    n = comes = 0
    for area in plan["areas"]:
        row = ctx.areas[ctx.areas["code"] == area["code"]].iloc[0]
        for s in area["suggestions"]:
            a = assets.loc[s["id"]]
            n += 1
            if s.get("comes_to_you"):       # its area served covers the area (issue 10)
                assert _serves(a, row), (s["id"], area["code"])
                assert s["minutes"] == 0.0
                comes += 1
                continue
            # independently: the walk from the area's centre to the asset
            r, c, m = ctx.router.table(np.array([[row["x"], row["y"]]]),
                                       np.array([[a.geometry.x, a.geometry.y]]), 1e7)
            minutes = float(m[0]) / mpm
            assert minutes <= walk + 1e-6
            assert s["minutes"] == pytest.approx(minutes, abs=0.06)
            if s["kind"] == "provider":
                assert bool(a["is_provider"])
                assert group in model.split_list(a["client_groups"])
                if service:
                    assert service in model.split_list(a["service_types"])
            else:
                assert a["category"] in settings.OUTREACH_MEETING_CATEGORIES
        provs = [s for s in area["suggestions"] if s["kind"] == "provider"]
        vac = [bool(plan["assets"][s["id"]]["vacancies_known"]) for s in provs]
        assert vac == sorted(vac, reverse=True), "providers with confirmed vacancies first"
    assert n > 0 and (comes > 0 or group == "learning_disability")


def _serves(a, area_row) -> bool:
    """By hand: does provider ``a`` (EPSG:27700 row) come to people in the area (ward or
    LSOA code listed, polygon or radius holding the area's centre)?"""
    import json

    import shapely
    from pyproj import Transformer
    codes = set(model.split_list(a.get("area_served")))
    if codes:
        return bool({area_row["code"], area_row["parent_code"]} & codes)
    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    x, y = to_bng.transform(area_row["pwc_lon"], area_row["pwc_lat"])
    if a.get("area_served_geojson"):
        poly = shapely.geometry.shape(json.loads(a["area_served_geojson"]))
        return bool(shapely.transform(poly, lambda c: np.column_stack(
            to_bng.transform(c[:, 0], c[:, 1]))).contains(shapely.Point(x, y)))
    radius = a.get("radius_km") or settings.REACH_DEFAULT_RADIUS_KM
    return bool(np.hypot(a.geometry.x - x, a.geometry.y - y) <= radius * 1000.0)


def test_patch_choices_and_bad_patches(ctx):
    from assetmap import outreach
    opts = outreach.patch_options(ctx)
    assert opts["wards"] and opts["areas"] and opts["networks"]
    net = outreach.build_plan(ctx, outreach.PlanParams(patch="network",
                                                       ids=[opts["networks"][0]["id"]]))
    assert net["patch"]["area_codes"]
    two = outreach.build_plan(ctx, outreach.PlanParams(
        patch="areas", ids=[a["id"] for a in opts["areas"][:2]]))
    assert sorted(two["patch"]["area_codes"]) == sorted(a["id"] for a in opts["areas"][:2])
    hub = next(v for v in opts["venues"] if v["category"] == "Neighbourhood network hub")
    walk = outreach.build_plan(ctx, outreach.PlanParams(patch="walk", ids=[hub["id"]],
                                                        walk_minutes=10))
    assert walk["patch"]["label"].endswith("10 minutes' walk") and walk["patch"]["area_codes"]
    wider = outreach.build_plan(ctx, outreach.PlanParams(patch="walk", ids=[hub["id"]],
                                                         walk_minutes=25))
    assert set(wider["patch"]["area_codes"]) >= set(walk["patch"]["area_codes"])
    with pytest.raises(InputError):
        outreach.build_plan(ctx, outreach.PlanParams(patch="walk", ids=["no-such-venue"]))
    line = {"type": "LineString", "coordinates": [[-1.2, 52.7], [-1.1, 52.8]]}
    with pytest.raises(InputError):
        outreach.build_plan(ctx, outreach.PlanParams(patch="polygon", polygon=line))
    sea = {"type": "Polygon", "coordinates": [[[1.0, 50.0], [1.01, 50.0], [1.01, 50.01],
                                                [1.0, 50.0]]]}
    with pytest.raises(InputError):
        outreach.build_plan(ctx, outreach.PlanParams(patch="polygon", polygon=sea))


def test_home_based_providers_shown_only_approximately(ctx):
    from assetmap import outreach
    from assetmap.privacy import snap_to_grid
    plan = outreach.build_plan(ctx, outreach.PlanParams(patch="wards", ids=_all_wards(ctx),
                                                        top=40, walk_minutes=30))
    home = [a for a in plan["assets"].values() if a["home_based"]]
    if not home:
        pytest.skip("no home-based provider suggested on the demo")
    for a in home:
        assert a["address"] is None and a["location_note"]
        pt = gpd.GeoSeries([Point(a["lon"], a["lat"])], crs=4326).to_crs(settings.ANALYSIS_CRS)
        gx, gy = snap_to_grid(pt.x.values, pt.y.values)
        assert abs(gx[0] - pt.x.values[0]) < 2 and abs(gy[0] - pt.y.values[0]) < 2


def test_outreach_does_not_import_flask():
    import subprocess
    import sys
    code = ("import sys, assetmap.outreach, assetmap.outreach.tour; "
            "assert 'flask' not in sys.modules and 'folium' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)

"""Outreach plans (assetmap.outreach, assetmap.outreach.tour): ranking on the demo borough,
suggestions within the walk, tours against brute force, save/reopen, comparison, downloads."""
from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, mapping

from assetmap import model, settings
from assetmap.errors import InputError
from assetmap.outreach.tour import (best_tour, brute_force_tour, exact_tour, heuristic_tour,
                                    tour_length)


# --- tours ----------------------------------------------------------------------------------------
def _instances(seed=11, count=120):
    """Random small instances: Euclidean, and street-like (distorted, symmetric) ones."""
    rng = np.random.default_rng(seed)
    for t in range(count):
        n = int(rng.integers(2, 9))          # 2..8 stops
        P = rng.random((n, 2)) * 2000
        D = np.linalg.norm(P[:, None] - P[None], axis=2)
        if t % 2:
            D = D * rng.uniform(1.0, 1.8, (n, n))
            D = (D + D.T) / 2
            np.fill_diagonal(D, 0)
        yield D


def _is_tour(order, n):
    return order[0] == 0 and sorted(order) == list(range(n))


@pytest.mark.parametrize("closed", [True, False])
def test_heuristic_within_125_percent_of_brute_force(closed):
    worst = 1.0
    for D in _instances():
        n = len(D)
        _, opt = brute_force_tour(D, closed)
        h = heuristic_tour(D, closed)
        assert _is_tour(h, n)
        ratio = tour_length(D, h, closed) / opt if opt > 0 else 1.0
        worst = max(worst, ratio)
        assert ratio <= 1.25 + 1e-9, (D, h)
    assert worst < 1.25


@pytest.mark.parametrize("closed", [True, False])
def test_exact_tour_is_optimal(closed):
    for D in _instances(seed=5, count=60):
        _, opt = brute_force_tour(D, closed)
        for order in (exact_tour(D, closed), best_tour(D, closed)):
            assert _is_tour(order, len(D))
            assert tour_length(D, order, closed) == pytest.approx(opt, rel=1e-9, abs=1e-9)


def test_tour_catches_a_bad_order():
    """The check above can fail: a deliberately bad order is far from optimal."""
    P = np.array([[0, 0], [0, 1], [1, 1], [1, 0]], dtype=float) * 1000
    D = np.linalg.norm(P[:, None] - P[None], axis=2)
    _, opt = brute_force_tour(D)
    assert tour_length(D, [0, 2, 1, 3]) / opt > 1.2


def test_large_tour_heuristic_is_fast_and_sound():
    rng = np.random.default_rng(3)
    P = rng.random((40, 2)) * 3000
    D = np.linalg.norm(P[:, None] - P[None], axis=2)
    order = best_tour(D)
    assert _is_tour(order, 40)
    nn = tour_length(D, list(range(40)))
    assert tour_length(D, order) < 0.5 * nn      # far better than visiting in index order


def test_unreachable_pairs_still_give_a_tour():
    D = np.array([[0, 1, np.inf], [1, 0, 2], [np.inf, 2, 0]], dtype=float)
    order = best_tour(D, closed=False)
    assert order == [0, 1, 2]


# --- plans on the demo borough --------------------------------------------------------------------
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
    n = 0
    for area in plan["areas"]:
        row = ctx.areas[ctx.areas["code"] == area["code"]].iloc[0]
        for s in area["suggestions"]:
            a = assets.loc[s["id"]]
            n += 1
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
                assert a["category"] in settings.SOCIAL_CATEGORIES
        provs = [s for s in area["suggestions"] if s["kind"] == "provider"]
        vac = [bool(plan["assets"][s["id"]]["vacancies"]) for s in provs]
        assert vac == sorted(vac, reverse=True), "providers with vacancies come first"
    assert n > 0


def test_route_visits_every_stop_once_and_is_near_optimal(ctx):
    from assetmap import outreach
    for closed in (True, False):
        params = outreach.PlanParams(patch="wards", ids=_all_wards(ctx), stops=8, closed=closed)
        plan = outreach.build_plan(ctx, params)
        route = plan["route"]
        stops = route["stops"]
        assert [s["n"] for s in stops] == list(range(1, len(stops) + 1))
        assert len({s["id"] for s in stops}) == len(stops) >= 5
        # each chosen area appears once, as a venue or its centre
        assert len({s["area_code"] for s in stops}) == len(stops)
        # the tour against brute force on the same walking matrix
        pts = []
        for s in stops:
            if s["asset_id"]:
                g = ctx.assets[ctx.assets["id"].astype(str) == s["asset_id"]].geometry.iloc[0]
                pts.append([g.x, g.y])
            else:
                r = ctx.areas[ctx.areas["code"] == s["area_code"]].iloc[0]
                pts.append([r["x"], r["y"]])
        xy = np.array(pts)
        D = outreach.walking_matrix(ctx.router, xy)
        mpm = params.speed_kmh * 1000 / 60
        got = tour_length(D, list(range(len(xy))), closed) / mpm
        _, opt = brute_force_tour(D, closed)
        assert got == pytest.approx(route["total_minutes"], abs=0.2)
        assert got <= 1.25 * opt / mpm + 1e-6
        assert len(route["geometry"]) > len(stops)          # follows the streets
        assert route["method"] == "network"


def test_commissioning_gaps_are_sentences(ctx):
    from assetmap import outreach
    plan = outreach.build_plan(ctx, outreach.PlanParams(patch="wards", ids=_all_wards(ctx),
                                                        client_group="learning_disability"))
    gaps = plan["gaps"]
    assert gaps
    pat = re.compile(r"^No [a-z ]+ for [a-z ]+ (within 20 minutes' walk of|covering the homes of)"
                     r" [\d,]+ people aged 65\+")
    assert any(pat.match(g["sentence"]) for g in gaps)
    assert all(g["people_65_plus"] >= settings.OUTREACH_MIN_UNREACHED for g in gaps)
    # the chosen client group's gaps come first, largest first
    chosen = [g for g in gaps if g["chosen"]]
    assert gaps[:len(chosen)] == chosen
    sizes = [g["people_65_plus"] for g in chosen]
    assert sizes == sorted(sizes, reverse=True)


def test_patch_choices_and_bad_input(ctx):
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
    with pytest.raises(InputError):
        outreach.PlanParams.from_dict({"patch": "polygon", "polygon": "{not json"})
    with pytest.raises(InputError):
        outreach.PlanParams.from_dict({"patch": "wards", "ids": []})
    with pytest.raises(InputError):
        outreach.PlanParams.from_dict({"patch": "wards", "ids": ["x"], "client_group": "cats"})
    with pytest.raises(InputError):
        outreach.PlanParams.from_dict({"patch": "wards", "ids": ["x"], "walk_minutes": "500"})
    line = {"type": "LineString", "coordinates": [[-1.2, 52.7], [-1.1, 52.8]]}
    with pytest.raises(InputError):
        outreach.build_plan(ctx, outreach.PlanParams(patch="polygon", polygon=line))
    sea = {"type": "Polygon", "coordinates": [[[1.0, 50.0], [1.01, 50.0], [1.01, 50.01],
                                                [1.0, 50.0]]]}
    with pytest.raises(InputError):
        outreach.build_plan(ctx, outreach.PlanParams(patch="polygon", polygon=sea))


def test_saved_plan_reopens_unchanged(demo_store_copy):
    from assetmap import outreach
    params = {"patch": "wards", "ids": ["E05990006", "E05990001"], "client_group": "dementia"}
    plan = outreach.make_plan(demo_store_copy, params)
    pid = outreach.save(demo_store_copy, plan, name="Ferry Fields round", created_by="cora")
    again = outreach.reopen(demo_store_copy, pid)
    saved = again.pop("saved")
    assert saved["name"] == "Ferry Fields round" and saved["created_by"] == "cora"
    assert again == plan
    assert json.dumps(again, sort_keys=True) == json.dumps(plan, sort_keys=True)
    listed = demo_store_copy.list_outreach_plans()
    assert list(listed["id"]) == [pid] and listed["run_id"].iloc[0] == plan["run_id"]
    # new data does not change a saved plan
    demo_store_copy.set_meta("touched", "1")
    assert {k: v for k, v in outreach.reopen(demo_store_copy, pid).items() if k != "saved"} == plan


def test_comparison_reports_new_and_closed_assets(demo_store_copy):
    from assetmap import outreach
    store = demo_store_copy
    params = {"patch": "wards", "ids": ["E05990001"], "client_group": "older_people"}
    plan = outreach.make_plan(store, params)
    pid = outreach.save(store, plan)
    saved = outreach.reopen(store, pid)
    assert outreach.compare(store, saved)["new_assets"] == []

    top = plan["areas"][0]
    new = gpd.GeoDataFrame([{
        "id": "new-lunch-club", "name": "Tuesday Lunch Club", "category": "community_centre",
        "source": "community", "status": "approved", "version": 1}],
        geometry=[Point(top["lon"], top["lat"])], crs=4326)
    store.write_assets(new)
    gone = next(iter(saved["reach"]["assets"]))
    store.set_asset_status(gone, "retired", expected_version=None, changed_by="pat")
    diff = outreach.compare(store, saved)
    assert [a["id"] for a in diff["new_assets"]] == ["new-lunch-club"]
    assert diff["new_assets"][0]["name"] == "Tuesday Lunch Club"
    assert [(a["id"], a["status"]) for a in diff["closed_assets"]] == [(gone, "retired")]
    assert any("Tuesday Lunch Club" in s for s in diff["summary"])
    # the saved plan itself is untouched
    assert {k: v for k, v in outreach.reopen(store, pid).items() if k != "saved"} == plan


def test_comparison_reports_changed_need(demo_store_copy):
    from assetmap import outreach
    store = demo_store_copy
    plan = outreach.make_plan(store, {"patch": "wards", "ids": ["E05990001"]})
    saved = dict(plan)
    # pretend the saved plan saw a different need picture in its last area
    code = plan["patch"]["ranked"][-1]
    saved["need"] = json.loads(json.dumps(plan["need"]))
    saved["need"][code]["need_z"] -= 1.0
    diff = outreach.compare(store, saved)
    assert [r["code"] for r in diff["need_changes"]] == [code]
    assert diff["need_changes"][0]["need_change_z"] == pytest.approx(1.0, abs=0.01)


def test_downloads(ctx):
    from assetmap import outreach
    plan = outreach.build_plan(ctx, outreach.PlanParams(patch="wards", ids=_all_wards(ctx)[:3]))
    rows = list(csv.DictReader(io.StringIO(outreach.to_csv(plan))))
    sections = {r["section"] for r in rows}
    assert {"area", "route", "commissioning gap"} <= sections
    assert sum(r["section"] == "area" for r in rows) == len(plan["areas"])
    assert not any(r["item"].startswith(("=", "+", "@")) for r in rows)
    gpx = ET.fromstring(outreach.route_gpx(plan))
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    assert len(gpx.findall("g:wpt", ns)) == len(plan["route"]["stops"])
    assert len(gpx.findall(".//g:trkpt", ns)) == len(plan["route"]["geometry"])
    gj = outreach.route_geojson(plan)
    kinds = [f["geometry"]["type"] for f in gj["features"]]
    assert kinds[0] == "LineString" and kinds.count("Point") == len(plan["route"]["stops"])


def test_outreach_does_not_import_flask():
    import subprocess
    import sys
    code = ("import sys, assetmap.outreach, assetmap.outreach.tour; "
            "assert 'flask' not in sys.modules and 'folium' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


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


def test_cli_outreach(runner, demo_store_copy, tmp_path):
    from assetmap.cli import main
    url = demo_store_copy.url
    r = runner.invoke(main, ["--db", url, "outreach", "--ward", "Ferry Fields"])
    assert r.exit_code == 0, r.output
    assert "Where to go first:" in r.output and "Walking route:" in r.output
    out = tmp_path / "route.gpx"
    r = runner.invoke(main, ["--db", url, "outreach", "--ward", "Ferry Fields", "-f", "gpx",
                             "-o", str(out), "--save", "Ferry Fields"])
    assert r.exit_code == 0 and out.read_text().startswith("<?xml")
    assert list(demo_store_copy.list_outreach_plans()["name"]) == ["Ferry Fields"]
    r = runner.invoke(main, ["--db", url, "outreach", "--ward", "x", "--client-group", "cats"])
    assert r.exit_code == 2

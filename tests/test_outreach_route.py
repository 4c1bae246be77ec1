"""The day's walking route (assetmap.outreach.route) on the demo borough: every stop once, near
the optimal tour, along the streets."""
from __future__ import annotations

import numpy as np
import pytest

from assetmap.outreach.tour import brute_force_tour, tour_length


def _all_wards(ctx):
    return sorted(ctx.areas["parent_code"].dropna().unique())


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


def test_days_split_by_the_time_budget():
    from assetmap.outreach.route import split_days
    stops = [{"n": k} for k in range(1, 6)]
    legs = [20.0, 40.0, 10.0, 90.0]
    days = split_days(stops, legs, day_minutes=150, stop_minutes=30)
    # day 1: 30 + (20 + 30) + (40 + 30) = 150; stop 4 would pass the budget (150 + 10 +
    # 30): day 2 starts there (30), and stop 5 just fits (30 + 90 + 30 = 150)
    assert [d["stops"] for d in days] == [[1, 2, 3], [4, 5]]
    assert [d["minutes"] for d in days] == [150.0, 150.0]
    assert [s["day"] for s in stops] == [1, 1, 1, 2, 2]
    assert [d["stops"] for d in split_days(stops, legs, 149, 30)] == [[1, 2], [3, 4], [5]]
    assert all(d["minutes"] <= 150 for d in days)
    one = split_days([{"n": 1}], [], day_minutes=10, stop_minutes=30)
    assert one == [{"day": 1, "stops": [1], "minutes": 30.0}]       # too long: its own day


def test_route_stops_are_places_never_area_centres(ctx):
    from assetmap.outreach.params import PlanParams
    from assetmap.outreach.plan import build_plan
    wards = sorted(set(ctx.areas["parent_code"].dropna()))
    plan = build_plan(ctx, PlanParams(patch="wards", ids=wards, stops=8, top=8))
    labels = [s["label"] for s in plan["route"]["stops"]]
    assert labels and not any(lab.startswith("Centre of") for lab in labels)
    assert all(s["kind"] in ("venue", "street") for s in plan["route"]["stops"])
    assert sum(len(d["stops"]) for d in plan["route"]["days"]) == len(labels)

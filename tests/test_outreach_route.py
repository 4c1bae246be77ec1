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

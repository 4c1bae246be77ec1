"""The day's walking route through a plan's stops (default: the top-ranked areas, each at a
community venue near its centre where there is one), the walking times between them, the
walked line along the streets, and the postcodes to knock on first."""
from __future__ import annotations

import numpy as np
import shapely

from .. import settings
from .context import Context, _wgs
from .params import PlanParams, _mpm
from .tour import best_tour


def _route(ctx: Context, params: PlanParams, plan: dict) -> dict:
    """A walking tour through the chosen stops (default: the top-ranked areas, each at a
    community venue near its centre where there is one)."""
    out = {"stops": [], "legs_minutes": [], "total_minutes": 0.0, "closed": params.closed,
           "geometry": [], "method": ctx.router_kind, "solver": ""}
    stops = _route_stops(ctx, params, plan)
    if not stops:
        return out
    return _walk_stops(ctx, params, stops, out)


def _route_stops(ctx: Context, params: PlanParams, plan: dict) -> list[dict]:
    """The chosen stops in the order chosen, at EPSG:27700 ``x``, ``y``: a chosen venue as
    it is, a chosen area at its :func:`_area_venue` or else its centre (areas sharing a venue
    share one stop); repeats and unknown ids are dropped."""
    assets_by_id = {str(i): k for k, i in enumerate(ctx.assets["id"])} if len(ctx.assets) else {}
    by_code = {r["code"]: r for r in plan["areas"]}
    chosen = params.stop_ids or [f"area:{r['code']}" for r in plan["areas"][:params.stops]]
    stops = []
    seen = set()
    for sid in chosen:
        kind, _, ref = sid.partition(":")
        if kind == "asset" and ref in assets_by_id:
            row = ctx.assets.iloc[assets_by_id[ref]]
            key = ("asset", ref)
            if key in seen:
                continue
            seen.add(key)
            stops.append({"id": sid, "kind": "venue", "label": row["name"], "asset_id": ref,
                          "area_code": None, "x": row.geometry.x, "y": row.geometry.y})
        elif kind == "area":
            _add_area_stop(ctx, sid, ref, by_code.get(ref), assets_by_id, stops, seen)
    return stops


def _area_venue(plan_area: dict | None) -> dict | None:
    """The area's first suggested place to meet people (a community venue, GP practice,
    pharmacy...: ``OUTREACH_MEETING_CATEGORIES``) within ``OUTREACH_VENUE_MINUTES``, else
    the nearest one it suggests at all."""
    if plan_area is None:
        return None
    venues = [s for s in plan_area["suggestions"] if s["kind"] == "venue"]
    close = [s for s in venues if s["minutes"] <= settings.OUTREACH_VENUE_MINUTES]
    return (close or sorted(venues, key=lambda s: s["minutes"]) or [None])[0]


def _street_point(ctx: Context, ref: str, x: float, y: float) -> tuple[str, float, float]:
    """Where to start in an area with no venue to meet at: the postcode of the area nearest
    its centre ("Around AS3 4BD"), else the street point nearest its centre: a place a
    coordinator can find, never the centroid itself."""
    pc = ctx.postcodes
    if pc is not None and len(pc):
        mine = pc[pc["area_code"] == ref]
        if len(mine):
            d = np.hypot(mine["x"].to_numpy(float) - x, mine["y"].to_numpy(float) - y)
            r = mine.iloc[int(np.argmin(d))]
            return f"Around postcode {r['postcode']}", float(r["x"]), float(r["y"])
    if ctx.graph is not None:
        node, dist = ctx.graph.snap([x], [y])
        if node[0] >= 0:
            n = int(node[0])
            return "On the street nearest the middle", float(ctx.graph.x[n]), \
                float(ctx.graph.y[n])
    return "Near the middle", x, y


def _add_area_stop(ctx: Context, sid: str, ref: str, plan_area: dict | None,
                   assets_by_id: dict, stops: list, seen: set) -> None:
    """Add the stop for area ``ref`` to ``stops`` (or name the area on the venue stop it
    shares with an earlier area)."""
    hit = ctx.areas.index[ctx.areas["code"] == ref]
    if not len(hit):
        return
    arow = ctx.areas.loc[hit[0]]
    venue = _area_venue(plan_area)
    if venue is not None and ("asset", venue["id"]) not in seen:
        row = ctx.assets.iloc[assets_by_id[venue["id"]]]
        seen.add(("asset", venue["id"]))
        stops.append({"id": sid, "kind": "venue", "label": f"{row['name']}",
                      "asset_id": venue["id"], "area_code": ref,
                      "area_name": arow["name"], "x": row.geometry.x, "y": row.geometry.y})
    elif venue is not None:      # two areas share a venue: one stop serves both
        for s in stops:
            if s.get("asset_id") == venue["id"]:
                s["area_name"] = f"{s.get('area_name') or ''}, {arow['name']}".strip(", ")
    else:
        where, sx, sy = _street_point(ctx, ref, float(arow["x"]), float(arow["y"]))
        stops.append({"id": sid, "kind": "street", "label": f"{where} of {arow['name']}"
                      if where.startswith(("On", "Near")) else f"{where}, {arow['name']}",
                      "asset_id": None, "area_code": ref, "area_name": arow["name"],
                      "x": sx, "y": sy})


def _walk_stops(ctx: Context, params: PlanParams, stops: list[dict], out: dict) -> dict:
    """``out`` filled in with the best tour through ``stops``: the stops in walking order
    (numbered, at lon/lat), each leg's and the total minutes, and the walked line."""
    mpm = _mpm(params)
    xy = np.array([[s["x"], s["y"]] for s in stops], dtype=float)
    D = walking_matrix(ctx.router, xy)
    n = len(stops)
    order = best_tour(D, params.closed) if n > 1 else [0]
    out["solver"] = "optimal (Held-Karp)" if n <= 12 else "nearest neighbour + 2-opt + Or-opt"
    legs = [D[a, b] for a, b in zip(order[:-1], order[1:])]
    if params.closed and n > 1:
        legs.append(D[order[-1], order[0]])
    lon, lat = _wgs(xy[:, 0], xy[:, 1])
    for k, i in enumerate(order):
        s = dict(stops[i])
        s.pop("x"), s.pop("y")
        s.update({"n": k + 1, "lon": float(lon[i]), "lat": float(lat[i])})
        out["stops"].append(s)
    out["legs_minutes"] = [round(float(L) / mpm, 1) for L in legs]
    out["days"] = split_days(out["stops"], out["legs_minutes"])
    out["total_minutes"] = round(float(np.sum(legs)) / mpm, 1)
    out["total_km"] = round(float(np.sum(legs)) / 1000.0, 2)
    seq = list(order) + ([order[0]] if params.closed and n > 1 else [])
    out["geometry"] = path_geometry(ctx, xy, seq)
    return out


def split_days(stops: list[dict], legs: list[float], day_minutes: float | None = None,
               stop_minutes: float | None = None) -> list[dict]:
    """The route's stops (in walking order) split into days: each stop takes
    ``stop_minutes`` and the walk to the next its leg; a day ends before it would pass
    ``day_minutes`` (a stop too long for a day still gets a day of its own). Each stop gets
    its ``day``; returns [{"day", "stops" (their numbers), "minutes"}]."""
    day_minutes = settings.OUTREACH_DAY_MINUTES if day_minutes is None else day_minutes
    stop_minutes = settings.OUTREACH_STOP_MINUTES if stop_minutes is None else stop_minutes
    days: list[dict] = []
    for k, s in enumerate(stops):
        walk_in = float(legs[k - 1]) if k and k - 1 < len(legs) else 0.0
        cur = days[-1] if days else None
        if cur is None or cur["minutes"] + walk_in + stop_minutes > day_minutes:
            cur = {"day": len(days) + 1, "stops": [], "minutes": 0.0}
            days.append(cur)
            walk_in = 0.0                # a new day starts at its first stop
        cur["minutes"] = round(cur["minutes"] + walk_in + stop_minutes, 1)
        cur["stops"].append(s["n"])
        s["day"] = cur["day"]
    return days


def walking_matrix(router, xy: np.ndarray) -> np.ndarray:
    """Metres between every pair of points (inf where unreachable)."""
    n = len(xy)
    D = np.full((n, n), np.inf)
    if n == 0:
        return D
    r, c, m = router.table(xy, xy, 1e7)
    D[r, c] = m
    np.fill_diagonal(D, 0.0)
    return D


def path_geometry(ctx: Context, xy: np.ndarray, seq: list[int]) -> list[list[float]]:
    """The walked line (lon/lat pairs) visiting ``xy[seq]`` in order: along the streets when
    there is a street network, straight otherwise."""
    pts = []
    if ctx.graph is not None and len(seq) > 1:
        pts = _street_points(ctx.graph, xy, seq)
    if not pts:
        pts = [tuple(xy[i]) for i in seq]
    arr = np.array(pts, dtype=float)
    if len(arr) > 2:        # drop repeats and simplify to about 2 m
        line = shapely.simplify(shapely.LineString(arr), 2.0)
        arr = shapely.get_coordinates(line)
    lon, lat = _wgs(arr[:, 0], arr[:, 1])
    return [[float(a), float(b)] for a, b in zip(lon, lat)]


def _street_points(graph, xy: np.ndarray, seq: list[int]) -> list[tuple]:
    """The points (EPSG:27700) of the shortest street paths from each stop of ``seq`` to the
    next; [] when no stop snaps to the street network."""
    from scipy.sparse.csgraph import dijkstra
    nodes, _ = graph.snap(xy[:, 0], xy[:, 1])
    uniq = sorted({int(nodes[i]) for i in seq if nodes[i] >= 0})
    if not uniq:
        return []
    _, pred = dijkstra(graph.csr, directed=True, indices=uniq, return_predecessors=True)
    row = {u: k for k, u in enumerate(uniq)}
    pts: list[tuple] = []
    for a, b in zip(seq[:-1], seq[1:]):
        leg = [tuple(xy[a])]
        na, nb = int(nodes[a]), int(nodes[b])
        if na >= 0 and nb >= 0:
            leg += _street_leg(graph, pred[row[na]], na, nb)
        leg.append(tuple(xy[b]))
        pts += leg if not pts else leg[1:]
    return pts


def _street_leg(graph, pred: np.ndarray, na: int, nb: int) -> list[tuple]:
    """The street nodes from ``na`` to ``nb`` (``pred``: Dijkstra predecessors from
    ``na``); [] when ``nb`` cannot be reached."""
    chain = [nb]
    while chain[-1] != na and pred[chain[-1]] >= 0:
        chain.append(int(pred[chain[-1]]))
    if chain[-1] != na:
        return []
    return graph.path_xy(chain[::-1])      # along the streets, bends included


def _knock_first(ctx: Context, codes: list, venues_xy: np.ndarray, mpm: float) -> dict:
    """Per area, its postcodes farthest (walking) from any community venue: where to knock
    first."""
    pc = ctx.postcodes
    if pc is None or pc.empty or not len(venues_xy):
        return {}
    pc = pc[pc["area_code"].isin(set(codes))]
    if pc.empty:
        return {}
    d = ctx.router.nearest(pc[["x", "y"]].to_numpy(float), [venues_xy], 120 * mpm)[0] / mpm
    pc = pc.assign(minutes=d).sort_values(["minutes", "postcode"], ascending=[False, True])
    out = {}
    for code, grp in pc.groupby("area_code", sort=False):
        out[code] = [{"postcode": r.postcode,
                      "minutes": round(float(r.minutes), 1) if np.isfinite(r.minutes) else None}
                     for r in grp.head(settings.OUTREACH_POSTCODES_PER_AREA).itertuples()]
    return out


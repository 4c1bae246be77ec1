"""Isochrones: the streets reachable from a point within each time, buffered into polygons.

The point snaps to its nearest edge (:mod:`.snapping`) and one bounded search
(:func:`.search.reach`) times every junction within the longest budget. Each edge is then
reached from either end as far as the time left allows, and along its own edge from the
point; the reached stretches are cut from the edges' real geometry (bends included, as the
graph keeps them) and buffered. Walking times use the walking speed; a driving graph's
weights are seconds already (the speed is then ignored).
"""
from __future__ import annotations

import numpy as np
import shapely

from .. import settings
from .network import WalkGraph, metres_per_minute
from .snapping import seeds, snap


def _budget_per_minute(graph: WalkGraph, speed_kmh: float) -> float:
    return 60.0 if graph.unit == "s" else metres_per_minute(speed_kmh)


def _intervals(graph: WalkGraph, dist: np.ndarray, edges: np.ndarray, budget: float,
               start: tuple[int, float, float]):
    """(edge, from, to) stretches (in cost along each edge from its u), disjoint, reached
    within ``budget``: from each end the edge may be entered by, and from the point (on
    edge ``start[0]`` at cost ``start[1]``, ``start[2]`` left after the leg to it) along
    it. Overlapping stretches are merged (overlapping lines make buffering crawl)."""
    whole = graph.edge_cost[edges]
    du, dv = dist[graph.edge_u[edges]], dist[graph.edge_v[edges]]
    f, b = graph.edge_fwd[edges], graph.edge_bwd[edges]
    a = np.clip(np.where(f, budget - du, 0.0), 0, whole)                 # [0, a] from u
    c = np.clip(np.where(b, whole - (budget - dv), whole), 0, whole)     # [c, whole] from v
    e0, off, rest = start
    full = a >= c
    E = [edges[full], edges[~full], edges[~full]]
    LO = [np.zeros(full.sum()), np.zeros((~full).sum()), c[~full]]
    HI = [whole[full], a[~full], whole[~full]]
    e = np.concatenate(E)
    lo, hi = np.concatenate(LO), np.concatenate(HI)
    mine = e == e0
    own = [(float(x), float(y)) for x, y in zip(lo[mine], hi[mine])]
    keep = (hi - lo > 1e-9) & ~mine
    e, lo, hi = e[keep], lo[keep], hi[keep]
    if rest >= 0:
        c0 = float(graph.edge_cost[e0])
        own.append((max(0.0, off - rest) if graph.edge_bwd[e0] else off,
                    min(c0, off + rest) if graph.edge_fwd[e0] else off))
    merged: list = []
    for x, y in sorted(own):
        if merged and x <= merged[-1][1] + 1e-9:
            merged[-1][1] = max(merged[-1][1], y)
        elif y - x > 1e-9:
            merged.append([x, y])
    return (np.r_[e, np.full(len(merged), e0)].astype(np.int64),
            np.r_[lo, [m[0] for m in merged]], np.r_[hi, [m[1] for m in merged]])


def _point_at(graph: WalkGraph, k: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The position at cost ``c`` within the segment starting at vertex ``k``."""
    c0, c1 = graph.vcum[k], graph.vcum[k + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(c1 > c0, (c - c0) / (c1 - c0), 0.0)
    t = np.clip(t, 0.0, 1.0)
    return graph.vx[k] + t * (graph.vx[k + 1] - graph.vx[k]), \
        graph.vy[k] + t * (graph.vy[k + 1] - graph.vy[k])


def cut_lines(graph: WalkGraph, e: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """Linestrings of the stretches ``lo``..``hi`` (cost from u) of edges ``e``, following
    each edge's geometry."""
    if not len(e):
        return np.array([], dtype=object)
    s, t = graph.edge_ptr[e], graph.edge_ptr[e + 1]
    n = t - s
    owner = np.repeat(np.arange(len(e)), n)
    idx = np.repeat(s, n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
    c = graph.vcum[idx]
    k_lo = s + np.bincount(owner, weights=c <= lo[owner], minlength=len(e)).astype(np.int64) - 1
    k_hi = s + np.bincount(owner, weights=c < hi[owner], minlength=len(e)).astype(np.int64) - 1
    k_lo = np.clip(k_lo, s, t - 2)
    k_hi = np.clip(k_hi, s, t - 2)
    x0, y0 = _point_at(graph, k_lo, lo)
    x1, y1 = _point_at(graph, k_hi, hi)
    inner = (c > lo[owner]) & (c < hi[owner])
    line = np.concatenate([np.arange(len(e)), owner[inner], np.arange(len(e))])
    order_key = np.concatenate([np.full(len(e), -1), idx[inner], np.full(len(e), 2**62)])
    xs = np.concatenate([x0, graph.vx[idx[inner]], x1])
    ys = np.concatenate([y0, graph.vy[idx[inner]], y1])
    order = np.lexsort((order_key, line))
    return shapely.linestrings(np.column_stack([xs[order], ys[order]]), indices=line[order])


def isochrones(graph: WalkGraph, x: float, y: float, minutes, speed_kmh: float | None = None,
               buffer_m: float | None = None, max_snap_m: float | None = None) -> list:
    """Isochrones (EPSG:27700 polygons, one per value in ``minutes``) around a point: the
    streets reachable within the time (the leg to the street included; an edge partly
    reached counts up to where the time runs out), buffered by ``buffer_m``. An empty
    polygon where the point is off the network."""
    from . import search
    speed_kmh = settings.WALK_SPEED_KMH if speed_kmh is None else speed_kmh
    buffer_m = settings.ISOCHRONE_BUFFER_M if buffer_m is None else buffer_m
    minutes = [float(m) for m in np.atleast_1d(minutes)]
    sn = snap(graph, [x], [y], max_snap_m)
    per_min = _budget_per_minute(graph, speed_kmh)
    if not sn.ok[0] or not minutes or max(minutes) * per_min < sn.cost[0]:
        return [shapely.Polygon() for _ in minutes]
    _, node, cost = seeds(graph, sn, leaving=True)
    ip, ix, dt = graph.arrays()
    reached, d = search.reach(ip, ix, dt, node, cost, max(minutes) * per_min)
    dist = np.full(graph.n_nodes, np.inf)
    dist[reached] = d
    touched = np.isfinite(dist[graph.edge_u]) | np.isfinite(dist[graph.edge_v])
    edges = np.flatnonzero(touched)
    start = shapely.Point(sn.fx[0], sn.fy[0])
    out = []
    for m in minutes:
        rest = m * per_min - sn.cost[0]
        if rest < 0:
            out.append(shapely.Polygon())
            continue
        e, lo, hi = _intervals(graph, dist, edges, m * per_min, (int(sn.edge[0]),
                                                                 float(sn.off[0]), rest))
        lines = cut_lines(graph, e, lo, hi)
        if not len(lines):
            out.append(start.buffer(buffer_m, quad_segs=4))
            continue
        # merging the many short lines first makes buffering ~10x faster, and buffering
        # each merged line on its own then one cascaded union ~2.7x faster again than
        # buffering the whole multilinestring (the same polygon)
        parts = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(lines)))
        out.append(shapely.union_all(np.r_[shapely.buffer(parts, buffer_m, quad_segs=2),
                                           [start.buffer(buffer_m, quad_segs=4)]]))
    return out

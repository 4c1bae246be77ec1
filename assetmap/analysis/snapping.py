"""Points onto streets: each point snaps to the nearest street *segment* (of an edge in a
component big enough, see ``settings.MIN_COMPONENT_NODES``), at the foot of the
perpendicular, and enters the graph at both ends of that edge with its exact offsets.

A point snapped to edge ``e`` (junctions ``u`` -> ``v``, whole cost ``C``) at cost ``off``
from ``u`` along it, with a straight leg of cost ``s`` (``graph.snap_cost``):

* leaving the point: to ``v`` at ``s + C - off`` where ``e`` may be travelled u -> v, to
  ``u`` at ``s + off`` where v -> u ("out" seeds);
* arriving at the point: from ``u`` at ``off + s`` (u -> v), from ``v`` at ``C - off + s``
  (v -> u) ("in" seeds);
* a foot exactly at a junction is that junction: left and reached by every edge there;
* two points on the same edge are also joined directly along it (:func:`same_edge`).

The nearest segment comes from a shapely STRtree of the segments (exact distances), built
once per graph and snappable set.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from .. import settings


@dataclass
class Snapped:
    """Where points meet the streets (edge -1: farther than the snap limit)."""

    edge: np.ndarray     # (k,) edge index or -1
    off: np.ndarray      # cost from the edge's u to the foot, along the edge
    dist: np.ndarray     # straight distance point -> foot (m); inf where not snapped
    cost: np.ndarray     # that leg's cost (graph.snap_cost)
    fx: np.ndarray       # the foot (EPSG:27700)
    fy: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        return self.edge >= 0


def _segments(graph):
    """(segment start vertex, its edge, STRtree) over the snappable edges' segments."""
    if "segtree" not in graph._cache:
        ok = graph.edge_ok
        edges = np.flatnonzero(ok)
        nseg = np.diff(graph.edge_ptr)[edges] - 1
        start = np.repeat(graph.edge_ptr[edges], nseg) + \
            (np.arange(nseg.sum()) - np.repeat(np.cumsum(nseg) - nseg, nseg))
        seg_edge = np.repeat(edges, nseg)
        coords = np.stack([np.column_stack([graph.vx[start], graph.vy[start]]),
                           np.column_stack([graph.vx[start + 1], graph.vy[start + 1]])],
                          axis=1)
        tree = shapely.STRtree(shapely.linestrings(coords)) if len(start) else None
        graph._cache["segtree"] = (start.astype(np.int64), seg_edge.astype(np.int64), tree)
    return graph._cache["segtree"]


def snap(graph, x, y, max_distance: float | None = None) -> Snapped:
    """Each point (EPSG:27700) onto its nearest snappable street segment, within
    ``max_distance`` metres (``settings.MAX_SNAP_DISTANCE_M``)."""
    max_distance = settings.MAX_SNAP_DISTANCE_M if max_distance is None else max_distance
    x = np.atleast_1d(np.asarray(x, dtype=float))
    y = np.atleast_1d(np.asarray(y, dtype=float))
    k = len(x)
    out = Snapped(np.full(k, -1, np.int64), np.zeros(k), np.full(k, np.inf),
                  np.full(k, np.inf), x.copy(), y.copy())
    start, seg_edge, tree = _segments(graph)
    if k == 0 or tree is None or not max_distance > 0:
        return out
    md = None if not np.isfinite(max_distance) else float(max_distance)
    (pi, ti), _ = tree.query_nearest(shapely.points(x, y), max_distance=md,
                                     return_distance=True, all_matches=False)
    s = start[ti]
    ax, ay, bx, by = graph.vx[s], graph.vy[s], graph.vx[s + 1], graph.vy[s + 1]
    dx, dy = bx - ax, by - ay
    l2 = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(l2 > 0, ((x[pi] - ax) * dx + (y[pi] - ay) * dy) / l2, 0.0)
    t = np.clip(t, 0.0, 1.0)
    fx, fy = ax + t * dx, ay + t * dy
    d = np.hypot(x[pi] - fx, y[pi] - fy)
    keep = d <= max_distance
    pi, s, t, fx, fy, d = pi[keep], s[keep], t[keep], fx[keep], fy[keep], d[keep]
    out.edge[pi] = seg_edge[ti[keep]]
    out.off[pi] = graph.vcum[s] + t * (graph.vcum[s + 1] - graph.vcum[s])
    out.dist[pi] = d
    out.cost[pi] = graph.snap_cost(d)
    out.fx[pi], out.fy[pi] = fx, fy
    return out


def seeds(graph, sn: Snapped, leaving: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(point index, node, cost) of each snapped point's entries into the graph: leaving
    the point ("out") or arriving at it ("in"), ordered by point."""
    i = np.flatnonzero(sn.ok)
    e = sn.edge[i]
    whole = graph.edge_cost[e]
    off, c = sn.off[i], sn.cost[i]
    # a foot exactly at an end IS that junction: it is left and reached every way
    at_u = off <= 1e-9 * np.maximum(whole, 1.0)
    at_v = off >= whole - 1e-9 * np.maximum(whole, 1.0)
    f, b = graph.edge_fwd[e], graph.edge_bwd[e]
    u, v = graph.edge_u[e], graph.edge_v[e]
    if leaving:        # to v along the edge, to u against it
        fv, bu = f | at_v, b | at_u
    else:              # from u along the edge, from v against it
        fv, bu = b | at_v, f | at_u
    parts = [(i[fv], v[fv], c[fv] + whole[fv] - off[fv]), (i[bu], u[bu], c[bu] + off[bu])]
    pt = np.concatenate([p[0] for p in parts]).astype(np.int64)
    node = np.concatenate([p[1] for p in parts]).astype(np.int64)
    cost = np.maximum(np.concatenate([p[2] for p in parts]), 0.0)
    order = np.argsort(pt, kind="stable")
    return pt[order], node[order], cost[order]


def same_edge(graph, src: Snapped, dst: Snapped) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, cost) for every source point ``i`` and destination ``j`` on the same edge,
    straight along it where the edge may be travelled that way."""
    si = np.flatnonzero(src.ok)
    dj = np.flatnonzero(dst.ok)
    if not len(si) or not len(dj):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    dj = dj[np.argsort(dst.edge[dj], kind="stable")]
    de = dst.edge[dj]
    lo = np.searchsorted(de, src.edge[si], "left")
    hi = np.searchsorted(de, src.edge[si], "right")
    n = hi - lo
    i = np.repeat(si, n)
    j = dj[np.repeat(lo, n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))]
    e = src.edge[i]
    delta = dst.off[j] - src.off[i]
    ok = (delta == 0) | np.where(delta > 0, graph.edge_fwd[e], graph.edge_bwd[e])
    i, j = i[ok], j[ok]
    return i, j, src.cost[i] + np.abs(delta[ok]) + dst.cost[j]

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

The nearest segment comes from a grid of square cells over the segments (each listed in
every cell its bounding box meets), built once per graph and snappable set, searched ring by
ring outwards from a point's cell in compiled code until no unseen segment can be nearer:
exact distances, ties to the lowest segment (so a graph cut to a tile, whose segments keep
their order, snaps every point as the whole graph does). Building it is a sort of the
segments' cells, several times faster than a shapely STRtree of segment geometries (which
must make a shapely object per segment), and each query costs what lies near the point.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

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


def subset(sn: Snapped, idx: np.ndarray) -> Snapped:
    """The snaps of the points ``idx``."""
    return Snapped(sn.edge[idx], sn.off[idx], sn.dist[idx], sn.cost[idx], sn.fx[idx],
                   sn.fy[idx])


def concat(parts: list[Snapped]) -> Snapped:
    """The snaps of several lists of points, one after another."""
    return Snapped(*(np.concatenate([getattr(sn, name) for sn in parts])
                     for name in ("edge", "off", "dist", "cost", "fx", "fy")))


def _keys(xy) -> np.ndarray:
    """One exact key per point (its two coordinates as one complex number)."""
    return np.ascontiguousarray(np.asarray(xy, dtype=float).reshape(-1, 2)).view(
        np.complex128).ravel()


class Known:
    """Points whose answer is already known, found again by their exact coordinates (a
    national run snaps every origin and asset once over the whole graph, and each tile
    looks its points up instead of snapping them again)."""

    def __init__(self, xy):
        keys = _keys(xy)
        self._order = np.argsort(keys, kind="stable")
        self._keys = keys[self._order]

    def find(self, xy) -> np.ndarray:
        """Per point: its position among the known points, -1 where it is not one."""
        keys = _keys(xy)
        if not len(self._keys):
            return np.full(len(keys), -1, dtype=np.int64)
        j = np.minimum(np.searchsorted(self._keys, keys), len(self._keys) - 1)
        return np.where(self._keys[j] == keys, self._order[j], -1).astype(np.int64)


@dataclass
class SegmentGrid:
    """The snappable segments by grid cell (see the module notes)."""

    start: np.ndarray    # per segment: its first vertex (the next is its end)
    edge: np.ndarray     # per segment: its edge
    x0: float            # the grid's lower-left corner and cell side (m)
    y0: float
    cell: float
    nx: int              # cells across and up
    ny: int
    cells: np.ndarray    # sorted distinct cell ids (row * nx + column) holding a segment
    ptr: np.ndarray      # segments of cells[k]: segs[ptr[k]:ptr[k + 1]], ascending
    segs: np.ndarray


def _cell_side(lengths: np.ndarray) -> float:
    """A cell about twice the median segment long (25 m to 500 m): a few segments a cell,
    most segments in one or two cells (the grid of a country's streets stays small)."""
    return float(np.clip(2.0 * np.median(lengths), 25.0, 500.0)) if len(lengths) else 100.0


def segment_grid(graph) -> SegmentGrid | None:
    """The :class:`SegmentGrid` of ``graph``'s snappable edges (kept in its cache; None
    when it has none)."""
    if "seggrid" not in graph._cache:
        edges = np.flatnonzero(graph.edge_ok)
        nseg = np.diff(graph.edge_ptr)[edges] - 1
        start = (np.repeat(graph.edge_ptr[edges], nseg) +
                 (np.arange(nseg.sum()) - np.repeat(np.cumsum(nseg) - nseg, nseg)))
        graph._cache["seggrid"] = _grid(graph.vx, graph.vy, start.astype(np.int64),
                                        np.repeat(edges, nseg).astype(np.int64)) \
            if len(start) else None
    return graph._cache["seggrid"]


def _grid(vx, vy, start, seg_edge) -> SegmentGrid:
    step = max(1, len(start) // 1_000_000)          # the median of a sample is enough
    sample = start[::step]
    cell = _cell_side(np.hypot(vx[sample + 1] - vx[sample], vy[sample + 1] - vy[sample]))
    ends = np.concatenate([start, start + 1])
    x0, y0 = float(vx[ends].min()), float(vy[ends].min())
    nx = int((float(vx[ends].max()) - x0) // cell) + 1
    ny = int((float(vy[ends].max()) - y0) // cell) + 1
    del ends
    cid, seg = _entries(vx, vy, start, x0, y0, cell, nx)
    order = np.argsort(cid, kind="stable")      # stable: a cell's segments stay ascending
    cid, seg = cid[order], seg[order]
    del order
    first = np.flatnonzero(np.r_[True, cid[1:] != cid[:-1]])
    return SegmentGrid(start, seg_edge, x0, y0, cell, nx, ny, cid[first],
                       np.r_[first, len(cid)].astype(np.int64), seg)


@njit(cache=True, inline="always")
def _cell_of(v, v0, cell):
    return int(np.floor((v - v0) / cell))


@njit(cache=True)
def _entries(vx, vy, start, x0, y0, cell, nx):
    """(cell id, segment) of every cell each segment's bounding box meets, in segment
    order: two passes, no temporaries (a country's streets make tens of millions)."""
    total = 0
    for s in range(len(start)):
        a = start[s]
        wx = _cell_of(max(vx[a], vx[a + 1]), x0, cell) - _cell_of(min(vx[a], vx[a + 1]), x0,
                                                                   cell) + 1
        wy = _cell_of(max(vy[a], vy[a + 1]), y0, cell) - _cell_of(min(vy[a], vy[a + 1]), y0,
                                                                   cell) + 1
        total += wx * wy
    cid = np.empty(total, np.int64)
    seg = np.empty(total, np.int32)
    k = 0
    for s in range(len(start)):
        a = start[s]
        i0, i1 = _cell_of(min(vx[a], vx[a + 1]), x0, cell), _cell_of(max(vx[a], vx[a + 1]),
                                                                    x0, cell)
        j0, j1 = _cell_of(min(vy[a], vy[a + 1]), y0, cell), _cell_of(max(vy[a], vy[a + 1]),
                                                                    y0, cell)
        for jj in range(j0, j1 + 1):
            for ii in range(i0, i1 + 1):
                cid[k] = jj * nx + ii
                seg[k] = s
                k += 1
    return cid, seg


@njit(cache=True, inline="always")
def _seg_dist(x, y, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    l2 = dx * dx + dy * dy
    t = ((x - ax) * dx + (y - ay) * dy) / l2 if l2 > 0 else 0.0
    t = min(max(t, 0.0), 1.0)
    return np.hypot(x - (ax + t * dx), y - (ay + t * dy))


@njit(cache=True, inline="always")
def _find(a, v):
    """Index of ``v`` in the sorted ``a``, or -1."""
    lo, hi = 0, len(a)
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    return lo if lo < len(a) and a[lo] == v else -1


@njit(cache=True, nogil=True)
def _nearest(px, py, vx, vy, start, x0, y0, cell, nx, ny, cells, ptr, segs, maxd):
    """Per point: the index of its nearest segment within ``maxd`` (-1: none), the lowest
    of equals; rings of cells outwards until the best is nearer than any unseen cell."""
    out = np.full(len(px), -1, np.int64)
    for i in range(len(px)):
        x, y = px[i], py[i]
        if not (np.isfinite(x) and np.isfinite(y)):
            continue
        ci, cj = _cell_of(x, x0, cell), _cell_of(y, y0, cell)
        # beyond this ring every cell of the grid has been seen
        far = max(abs(ci), abs(ci - nx + 1), abs(cj), abs(cj - ny + 1))
        rmax = far if not maxd < np.inf else min(far, int(maxd / cell) + 1)
        best, bseg = np.inf, -1
        for r in range(rmax + 1):
            for jj in range(max(cj - r, 0), min(cj + r, ny - 1) + 1):
                edge_row = jj == cj - r or jj == cj + r
                step = 1 if edge_row else 2 * r
                ii = ci - r
                while ii <= ci + r:
                    if 0 <= ii < nx:
                        cid = jj * nx + ii
                        k = _find(cells, cid)
                        if k >= 0:
                            for q in range(ptr[k], ptr[k + 1]):
                                s = segs[q]
                                a = start[s]
                                d = _seg_dist(x, y, vx[a], vy[a], vx[a + 1], vy[a + 1])
                                if d < best or (d == best and s < bseg):
                                    best, bseg = d, s
                    ii += step
            if best < r * cell:     # every unseen segment is at least r cells away
                break
        if bseg >= 0 and best <= maxd:
            out[i] = bseg
    return out


def snap_known(graph, xy, known: tuple[Known, Snapped] | None,
               max_distance: float | None = None) -> Snapped:
    """:func:`snap`, the points among ``known`` ((the points, their snaps) made before
    with the same limit) looked up instead."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if known is None or not len(known[1].edge):
        return snap(graph, xy[:, 0], xy[:, 1], max_distance)
    at = known[0].find(xy)
    new = np.flatnonzero(at < 0)
    out = subset(known[1], np.maximum(at, 0))
    if len(new):
        fresh = snap(graph, xy[new, 0], xy[new, 1], max_distance)
        for name in ("edge", "off", "dist", "cost", "fx", "fy"):
            getattr(out, name)[new] = getattr(fresh, name)
    return out


def snap(graph, x, y, max_distance: float | None = None) -> Snapped:
    """Each point (EPSG:27700) onto its nearest snappable street segment, within
    ``max_distance`` metres (``settings.MAX_SNAP_DISTANCE_M``)."""
    max_distance = settings.MAX_SNAP_DISTANCE_M if max_distance is None else max_distance
    x = np.atleast_1d(np.asarray(x, dtype=float))
    y = np.atleast_1d(np.asarray(y, dtype=float))
    k = len(x)
    out = Snapped(np.full(k, -1, np.int64), np.zeros(k), np.full(k, np.inf),
                  np.full(k, np.inf), x.copy(), y.copy())
    grid = segment_grid(graph)
    if k == 0 or grid is None or not max_distance > 0:
        return out
    hit = _nearest(x, y, graph.vx, graph.vy, grid.start, grid.x0, grid.y0, grid.cell, grid.nx,
                   grid.ny, grid.cells, grid.ptr, grid.segs, float(max_distance))
    pi = np.flatnonzero(hit >= 0)
    ti = hit[pi]
    s = grid.start[ti]
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
    out.edge[pi] = grid.edge[ti[keep]]
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

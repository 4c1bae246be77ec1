"""Routers: costs from points to points, over the street network or in straight lines.

Both kinds answer :meth:`nearest` (from each origin to the nearest point of each group)
and :meth:`table` (sparse origin x destination costs within a limit) in their :attr:`unit`:
metres walking (the caller divides by its walking speed), seconds driving over the network;
:func:`.routing.cost_per_minute` turns either into minutes. Costs run from the origins to
the destinations (one-way streets count when driving; for a provider travelling to people,
pass its base as the origin).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.spatial import cKDTree

from .. import settings
from .snapping import Known, Snapped, same_edge, seeds, snap_known
from .snapping import subset as _subset


def _distinct(sn: Snapped) -> tuple[np.ndarray, np.ndarray]:
    """(one representative per distinct snapped position, position -> distinct index with
    -1 for points off the network)."""
    ok = np.flatnonzero(sn.ok)
    inv = np.full(len(sn.edge), -1, dtype=np.int64)
    if not len(ok):
        return ok, inv
    key = np.column_stack([sn.edge[ok].astype(float), sn.off[ok], sn.cost[ok]])
    _, first, k = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inv[ok] = k.reshape(-1)
    return ok[first], inv


def _least(rows, cols, vals, limit: float):
    """One (row, col) pair each with its least value, within ``limit``, sorted."""
    keep = vals <= limit
    rows, cols, vals = rows[keep], cols[keep], vals[keep]
    order = np.lexsort((vals, cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return rows[first], cols[first], vals[first]


class GraphRouter:
    """Costs over a compiled street graph, points snapped to the nearest edge (see
    :mod:`.network` and :mod:`.snapping`)."""

    kind = "network"

    def __init__(self, graph, max_snap_m: float | None = None):
        self.graph = graph
        self.max_snap_m = settings.MAX_SNAP_DISTANCE_M if max_snap_m is None else max_snap_m
        #: what runs :func:`.search.nearest` (same call, same answer): None, this process; a
        #: national run hands its searches to Dask's workers (``national.DaskNearest``)
        self.nearest_kernel: Callable | None = None
        self._known: tuple[Known, Snapped] | None = None

    def know(self, xy, snapped: Snapped) -> None:
        """Points already snapped (with this router's limit, onto this graph's edges):
        :meth:`snap` looks them up (a national run snaps every point once)."""
        self._known = (Known(xy), snapped)

    @property
    def mode(self) -> str:
        """"walk" or "drive"."""
        return self.graph.mode

    @property
    def unit(self) -> str:
        """"m" (walking) or "s" (driving)."""
        return self.graph.unit

    def snap(self, xy) -> Snapped:
        return snap_known(self.graph, xy, self._known, self.max_snap_m)

    def nearest(self, origins_xy, groups_xy: list[np.ndarray], limit_m: float) -> np.ndarray:
        """(len(groups), len(origins)) cost from each origin to the nearest point of each
        group, the straight legs to and from the streets included; inf beyond ``limit_m``
        (in :attr:`unit`). One multi-source search per group, towards its points."""
        from . import search
        g = self.graph
        o = self.snap(origins_xy)
        res = np.full((len(groups_xy), len(o.edge)), np.inf)
        if not len(groups_xy) or not o.ok.any():
            return res
        sizes = [len(np.asarray(p).reshape(-1, 2)) for p in groups_xy]
        allg = self.snap(np.concatenate([np.asarray(p, float).reshape(-1, 2)
                                         for p in groups_xy]))
        bounds = np.r_[0, np.cumsum(sizes)]
        snaps = [_subset(allg, np.arange(bounds[k], bounds[k + 1])) for k in range(len(sizes))]
        parts = [seeds(g, s, leaving=False) for s in snaps]
        ptr = np.r_[0, np.cumsum([len(p[0]) for p in parts])].astype(np.int64)
        q_pt, q_node, q_cost = seeds(g, o, leaving=True)
        ip, ix, dt = g.arrays(reverse=True)
        out = (self.nearest_kernel or search.nearest)(
            ip, ix, dt, ptr, np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]), q_node, q_cost, float(limit_m))
        for k, s in enumerate(snaps):
            np.minimum.at(res[k], q_pt, out[k])
            i, _, c = same_edge(g, o, s)
            np.minimum.at(res[k], i, c)
        res[res > limit_m] = np.inf
        return res

    def table(self, origins_xy, dest_xy, limit_m: float):
        """Sparse origin x destination costs within ``limit_m`` (in :attr:`unit`): arrays
        (rows, cols, cost), sorted. One bounded search per distinct point of the side with
        fewer distinct points."""
        from . import search
        g = self.graph
        o, d = self.snap(origins_xy), self.snap(dest_xy)
        o_rep, o_inv = _distinct(o)
        d_rep, d_inv = _distinct(d)
        forward = len(o_rep) <= len(d_rep)
        src, rep, inv, dst = (o, o_rep, o_inv, d) if forward else (d, d_rep, d_inv, o)
        s_pt, s_node, s_cost = seeds(g, _subset(src, rep), leaving=forward)
        t_pt, t_node, t_cost = seeds(g, dst, leaving=not forward)
        src_ptr = np.zeros(len(rep) + 1, dtype=np.int64)
        np.cumsum(np.bincount(s_pt, minlength=len(rep)), out=src_ptr[1:])
        order = np.argsort(t_node, kind="stable")
        tgt_ptr = np.zeros(g.n_nodes + 1, dtype=np.int64)
        np.cumsum(np.bincount(t_node, minlength=g.n_nodes), out=tgt_ptr[1:])
        ip, ix, dt = g.arrays(reverse=not forward)
        s, t, c = search.table(ip, ix, dt, src_ptr, s_node, s_cost, tgt_ptr, t_pt[order],
                               t_cost[order], len(dst.edge), float(limit_m))
        pos, k = search.expand(inv, len(rep), s)
        a, b, c = (pos, t[k], c[k]) if forward else (t[k], pos, c[k])
        i, j, cs = same_edge(g, o, d)
        return _least(np.concatenate([a, i]), np.concatenate([b, j]), np.concatenate([c, cs]),
                      float(limit_m))


class CrowFlyRouter:
    """Straight-line distance x a detour factor (metres), for areas without a street
    network; ``mode`` says which travel the metres stand for."""

    kind = "crow-fly"
    unit = "m"

    def __init__(self, detour: float | None = None, mode: str = "walk"):
        self.detour = settings.CROW_FLY_DETOUR if detour is None else float(detour)
        self.mode = mode

    def nearest(self, origins_xy, groups_xy, limit_m: float) -> np.ndarray:
        o = np.asarray(origins_xy, dtype=float).reshape(-1, 2)
        res = np.full((len(groups_xy), len(o)), np.inf)
        for k, g in enumerate(groups_xy):
            g = np.asarray(g, dtype=float).reshape(-1, 2)
            if len(g) and len(o):
                d, _ = cKDTree(g).query(o)
                res[k] = d * self.detour
        res[res > limit_m] = np.inf
        return res

    def table(self, origins_xy, dest_xy, limit_m: float):
        o = np.asarray(origins_xy, dtype=float).reshape(-1, 2)
        d = np.asarray(dest_xy, dtype=float).reshape(-1, 2)
        if not len(o) or not len(d):
            return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
        m = cKDTree(o).sparse_distance_matrix(cKDTree(d), limit_m / self.detour,
                                              output_type="coo_matrix")
        # sparse_distance_matrix drops exact zeros: add coincident pairs back
        r, c, v = m.row, m.col, m.data * self.detour
        same = cKDTree(o).query_ball_tree(cKDTree(d), 1e-9)
        zr = [i for i, js in enumerate(same) for _ in js]
        zc = [j for js in same for j in js]
        if zr:
            r = np.concatenate([r, zr]).astype(int)
            c = np.concatenate([c, zc]).astype(int)
            v = np.concatenate([v, np.zeros(len(zr))])
            key = r * (len(d) + 1) + c
            _, first = np.unique(key, return_index=True)
            r, c, v = r[first], c[first], v[first]
        return r, c, v

"""Coverage honesty: which points the street network covers, and walking distances that fall
back to straight lines where it does not.

A point is *on the network* when it lies within ``max_snap_m`` of a node of the graph's
large components (the nodes the router snaps to: :attr:`WalkGraph.snappable`). An OSM file
often covers only part of a place (a city-centre extract, a clipped county): a walk from a
point off it cannot be routed, and counting it as "beyond the cap" would show a covered
street as unreachable. :class:`FallbackRouter` answers like a router (``nearest``,
``table``) with one rule per origin-destination pair: over the network when both ends are
on it, else the straight line times ``CROW_FLY_DETOUR``. :func:`area_off_network` says which
areas' walks are mostly straight-line estimates, so pages and exports can say so per area.
"""
from __future__ import annotations

import numpy as np

from .. import settings
from . import routing


def on_network(graph, xy, max_snap_m: float | None = None) -> np.ndarray:
    """Per point (EPSG:27700 ``(n, 2)``): True where it snaps to the network (within
    ``max_snap_m`` of a node of its large components); all False without a graph."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if graph is None or not graph.n_nodes or not len(xy):
        return np.zeros(len(xy), dtype=bool)
    limit = settings.MAX_SNAP_DISTANCE_M if max_snap_m is None else float(max_snap_m)
    node, _ = graph.snap(xy[:, 0], xy[:, 1], limit)
    return node >= 0


def area_off_network(o_area: np.ndarray, o_w: np.ndarray, o_on: np.ndarray,
                     n_areas: int) -> np.ndarray:
    """Per area: True when fewer than half of its people (origin weights) start on the
    network, so its walking times are mostly straight-line estimates."""
    share = np.bincount(o_area, weights=o_w * o_on, minlength=n_areas)
    total = np.bincount(o_area, weights=o_w, minlength=n_areas)
    with np.errstate(invalid="ignore", divide="ignore"):
        return ~(share / total >= 0.5)


def _empty_table():
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)


class FallbackRouter:
    """A router over the street network where it covers both ends of a walk, and straight
    lines (x the detour factor) for every pair with an end off it (see the module notes).

    ``kind`` is the underlying router's ("network", or "crow-fly" without a graph)."""

    def __init__(self, router, graph, *, max_snap_m: float | None = None,
                 detour: float | None = None):
        self.network = router if router.kind == "network" else None
        self.graph = graph if self.network is not None else None
        self.kind = router.kind
        self.max_snap_m = settings.MAX_SNAP_DISTANCE_M if max_snap_m is None else max_snap_m
        self.crow = routing.router(None, detour=settings.CROW_FLY_DETOUR if detour is None
                                   else detour)
        self._known: tuple | None = None

    def know(self, xy, on) -> None:
        """Points whose :meth:`covers` is already known (``on``): looked up, not tested
        again (a national run tests every point once over the whole graph)."""
        from .snapping import Known
        self._known = (Known(xy), np.asarray(on, dtype=bool))

    def covers(self, xy) -> np.ndarray:
        """Per point: on the network (always False without one)."""
        if self._known is None:
            return on_network(self.graph, xy, self.max_snap_m)
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        at = self._known[0].find(xy)
        out = self._known[1][np.maximum(at, 0)] if len(self._known[1]) else \
            np.zeros(len(xy), dtype=bool)
        new = np.flatnonzero(at < 0)
        if len(new):
            out[new] = on_network(self.graph, xy[new], self.max_snap_m)
        return out

    def nearest(self, origins_xy, groups_xy: list, limit_m: float) -> np.ndarray:
        """(len(groups), len(origins)) metres to the nearest member of each group, inf
        beyond ``limit_m``: the shorter of the network walk to the group's members on the
        network and the straight-line estimate to those off it; straight lines to every
        member from an origin off the network."""
        o = np.asarray(origins_xy, dtype=float).reshape(-1, 2)
        groups = [np.asarray(g, dtype=float).reshape(-1, 2) for g in groups_xy]
        out = np.full((len(groups), len(o)), np.inf)
        if not len(o) or not groups:
            return out
        o_on = self.covers(o)
        g_on = [self.covers(g) for g in groups]
        if (~o_on).any():
            out[:, ~o_on] = self.crow.nearest(o[~o_on], groups, limit_m)
        if o_on.any() and self.network is not None:
            net = self.network.nearest(o[o_on], [g[m] for g, m in zip(groups, g_on)], limit_m)
            crow = self.crow.nearest(o[o_on], [g[~m] for g, m in zip(groups, g_on)], limit_m)
            out[:, o_on] = np.minimum(net, crow)
        return out

    def table(self, origins_xy, dest_xy, limit_m: float, o_on=None, d_on=None):
        """Sparse origin x destination metres within ``limit_m`` (rows, cols, metres): over
        the network where both ends are on it, straight lines for the other pairs.
        ``o_on``, ``d_on``: :meth:`covers` of each side, where the caller has them."""
        o = np.asarray(origins_xy, dtype=float).reshape(-1, 2)
        d = np.asarray(dest_xy, dtype=float).reshape(-1, 2)
        if not len(o) or not len(d):
            return _empty_table()
        o_on = self.covers(o) if o_on is None else np.asarray(o_on, dtype=bool)
        d_on = self.covers(d) if d_on is None else np.asarray(d_on, dtype=bool)
        parts = []
        for o_mask, d_mask, r in ((o_on, d_on, self.network), (o_on, ~d_on, self.crow),
                                  (~o_on, np.ones(len(d), dtype=bool), self.crow)):
            if r is None or not o_mask.any() or not d_mask.any():
                continue
            oi, di = np.flatnonzero(o_mask), np.flatnonzero(d_mask)
            rr, cc, mm = r.table(o[oi], d[di], limit_m)
            parts.append((oi[rr], di[cc], np.asarray(mm, dtype=float)))
        if not parts:
            return _empty_table()
        rows, cols, metres = (np.concatenate(x) for x in zip(*parts))
        order = np.lexsort((cols, rows))
        return rows[order].astype(np.int64), cols[order].astype(np.int64), metres[order]

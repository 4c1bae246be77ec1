"""Walking isochrones: the streets reachable from a point within each time (an edge partly
reached counts up to where the time runs out), buffered into polygons."""
from __future__ import annotations

import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra

from .. import settings
from .network import WalkGraph, metres_per_minute


def isochrones(graph: WalkGraph, x: float, y: float, minutes, speed_kmh: float | None = None,
               buffer_m: float | None = None, max_snap_m: float | None = None) -> list:
    """Walking isochrones (EPSG:27700 polygons, one per value in ``minutes``) around a point:
    the streets reachable within the time (snap distance included; an edge partly reached
    counts up to where the time runs out), buffered by ``buffer_m``. An empty polygon where
    the point is off the network."""
    speed_kmh = settings.WALK_SPEED_KMH if speed_kmh is None else speed_kmh
    buffer_m = settings.ISOCHRONE_BUFFER_M if buffer_m is None else buffer_m
    minutes = [float(m) for m in np.atleast_1d(minutes)]
    node, snap = graph.snap([x], [y], max_snap_m)
    if node[0] < 0 or not minutes:
        return [shapely.Polygon() for _ in minutes]
    mpm = metres_per_minute(speed_kmh)
    budget_max = max(minutes) * mpm - snap[0]
    if budget_max < 0:
        return [shapely.Polygon() for _ in minutes]
    dist = dijkstra(graph.csr, directed=True, indices=int(node[0]), limit=budget_max)
    u, v, L = graph.edge_segments()
    du, dv = dist[u], dist[v]
    touched = np.isfinite(du) | np.isfinite(dv)
    u, v, L, du, dv = u[touched], v[touched], L[touched], du[touched], dv[touched]
    out = []
    for m in minutes:
        budget = m * mpm - snap[0]
        if budget < 0:
            out.append(shapely.Polygon())
            continue
        # fraction of each edge reachable from either end
        fu = np.clip((budget - du) / L, 0, 1)
        fv = np.clip((budget - dv) / L, 0, 1)
        fu = np.nan_to_num(fu, nan=0.0, posinf=0.0, neginf=0.0)
        fv = np.nan_to_num(fv, nan=0.0, posinf=0.0, neginf=0.0)
        full = (fu + fv) >= 1
        ux, uy, vx, vy = graph.x[u], graph.y[u], graph.x[v], graph.y[v]
        segs = []
        if full.any():
            segs.append(np.stack([np.column_stack([ux[full], uy[full]]),
                                  np.column_stack([vx[full], vy[full]])], axis=1))
        pu = ~full & (fu > 0)
        if pu.any():
            segs.append(np.stack([np.column_stack([ux[pu], uy[pu]]),
                                  np.column_stack([ux[pu] + fu[pu] * (vx[pu] - ux[pu]),
                                                   uy[pu] + fu[pu] * (vy[pu] - uy[pu])])], axis=1))
        pv = ~full & (fv > 0)
        if pv.any():
            segs.append(np.stack([np.column_stack([vx[pv], vy[pv]]),
                                  np.column_stack([vx[pv] + fv[pv] * (ux[pv] - vx[pv]),
                                                   vy[pv] + fv[pv] * (uy[pv] - vy[pv])])], axis=1))
        start = shapely.Point(graph.x[node[0]], graph.y[node[0]])
        if not segs:
            out.append(start.buffer(buffer_m, quad_segs=4))
            continue
        lines = shapely.linestrings(np.concatenate(segs))
        # merging the many short segments into long lines first makes the buffer ~10x faster
        merged = shapely.line_merge(shapely.multilinestrings(lines))
        poly = shapely.buffer(merged, buffer_m, quad_segs=2)
        out.append(shapely.union(poly, start.buffer(buffer_m, quad_segs=4)))
    return out

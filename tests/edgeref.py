"""Reference walking metres with points snapped to the nearest street edge (as the routers
snap, :mod:`assetmap.analysis.snapping`), the search done independently: scipy's Dijkstra
over the whole graph from every entry node, then the cheapest entry + path + exit, or the
direct walk along a shared edge."""
from __future__ import annotations

import numpy as np
from scipy.sparse.csgraph import dijkstra

from assetmap.analysis import snapping


def edge_metres(graph, o: np.ndarray, d: np.ndarray, snap_m: float) -> np.ndarray:
    """(origins x destinations) network cost between points (inf where either end does not
    snap or no path joins them)."""
    src = snapping.snap(graph, o[:, 0], o[:, 1], snap_m)
    dst = snapping.snap(graph, d[:, 0], d[:, 1], snap_m)
    oi, on, oc = snapping.seeds(graph, src, leaving=True)
    di, dn, dc = snapping.seeds(graph, dst, leaving=False)
    out = np.full((len(o), len(d)), np.inf)
    if len(on) and len(dn):
        nodes = np.unique(on)
        D = dijkstra(graph.csr, directed=True, indices=nodes)
        row = {int(n): k for k, n in enumerate(nodes)}
        for a, na, ca in zip(oi, on, oc):
            via = D[row[int(na)]][dn] + ca + dc
            np.minimum.at(out[a], di, via)
    si, sj, sc = snapping.same_edge(graph, src, dst)
    np.minimum.at(out, (si, sj), sc)
    return out

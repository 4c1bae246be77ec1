"""Travel over the street network: the compiled graph and its searches.

The graph of an OSM file is read with pyosmium (:mod:`assetmap.io.osm_graph`, no osmnx or
networkx), cut down to the ways the travel mode may use (walking: a ``highway`` not in
``settings.NON_WALKABLE_HIGHWAYS``, not ``foot=no``, not private without a foot permission;
driving: osmnx's "drive" filter, one-way streets, speeds by road type and ``maxspeed``),
projected to EPSG:27700 and compiled (:mod:`.osmgraph`). Degree-2 chains are contracted
(:mod:`.contract`): the searches see only junctions, and each edge keeps its bends and the
cumulative cost at each, so lengths are exact and points snap to the nearest *edge*, part-way
along it (:mod:`.snapping`). Edge weights are metres (walking) or seconds (driving). Parallel
edges keep their MINIMUM cost in the search matrix (``networkx.to_scipy_sparse_array`` would
add them together). Junctions are numbered along a Z-order (Morton) curve of their
coordinates (:func:`spatial_order`), so that streets near each other sit near each other
in memory: a multi-source search over 4M junctions of the synthetic England ran 25-30%
faster than in its row-by-row id order, and 2.7x faster than in a random order. The
compiled graph is saved as ``<mode>-v3-<sha256 of the file>.npz`` and loads in
milliseconds afterwards.

Searches (:mod:`.search`, compiled with numba) touch only the nodes within the cut-off:

* minutes to the nearest asset of each category: ONE multi-source search per category
  from every asset of the category (entering the graph at both ends of its edge with its
  offsets), limited to ``settings.ACCESS_MAX_MINUTES``;
* origin x destination tables within a cut-off (counts within 10/15/20 minutes, E2SFCA):
  one bounded search per distinct point of the smaller side, sparse results.

Routers (:mod:`.routers`): :class:`GraphRouter` over the network; without one,
:class:`CrowFlyRouter` gives the same answers from straight-line distance times
``settings.CROW_FLY_DETOUR``. Origins per area are :mod:`.origins`; isochrones
:mod:`.isochrones`; the one cache and router service :mod:`.routing`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from .. import settings

_EPS = 1e-9            # stands in for zero-length edges (scipy treats explicit zeros oddly)
FORMAT = 3             # the compiled graph's file format (1: uncontracted, osmnx-built;
#                        2: junctions in OSM id order; 3: in Z-order)
_ARRAYS = ("indptr", "indices", "data", "x", "y", "osmid", "edge_u", "edge_v", "edge_fwd",
           "edge_bwd", "edge_ptr", "vx", "vy", "vcum", "vosm")


def metres_per_minute(speed_kmh: float) -> float:
    return float(speed_kmh) * 1000.0 / 60.0


# --- the compiled graph ------------------------------------------------------------------------
@dataclass
class WalkGraph:
    """A street graph (walking or driving): a CSR search matrix over junctions (weights in
    metres or seconds: :attr:`unit`), junction coordinates (EPSG:27700), and each edge's
    geometry: edge ``e`` joins junctions ``edge_u[e]`` -> ``edge_v[e]`` (``edge_fwd``,
    ``edge_bwd``: which ways it may be travelled) through vertices
    ``vx/vy[edge_ptr[e]:edge_ptr[e+1]]`` whose cumulative cost from ``edge_u`` is ``vcum``
    and OSM node id ``vosm``."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    x: np.ndarray
    y: np.ndarray
    osmid: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_fwd: np.ndarray
    edge_bwd: np.ndarray
    edge_ptr: np.ndarray
    vx: np.ndarray
    vy: np.ndarray
    vcum: np.ndarray
    vosm: np.ndarray
    sha256: str = ""
    mode: str = "walk"
    min_component: int = field(default_factory=lambda: settings.MIN_COMPONENT_NODES)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    # -- sizes and units
    @property
    def n_nodes(self) -> int:
        """Junctions (the nodes searches visit)."""
        return len(self.x)

    @property
    def n_edges(self) -> int:
        """Street edges between junctions (each contracted chain once)."""
        return len(self.edge_u)

    @property
    def n_street_nodes(self) -> int:
        """Distinct OSM nodes on the streets (junctions and bends)."""
        return len(np.unique(self.vosm))

    @property
    def n_street_segments(self) -> int:
        """Consecutive OSM node pairs (segments) on the streets."""
        return int(self.edge_ptr[-1] - len(self.edge_u))

    @property
    def unit(self) -> str:
        """Edge weights: "m" (walking) or "s" (driving)."""
        return "s" if self.mode == "drive" else "m"

    @property
    def edge_cost(self) -> np.ndarray:
        """Each edge's whole cost (its last vertex's cumulative cost)."""
        return self.vcum[self.edge_ptr[1:] - 1]

    def snap_cost(self, metres):
        """The cost of the straight leg between a point and the street (metres walking; at
        ``settings.DRIVE_SNAP_SPEED_KMH`` driving)."""
        if self.mode == "drive":
            return np.asarray(metres, dtype=float) / (settings.DRIVE_SNAP_SPEED_KMH / 3.6)
        return np.asarray(metres, dtype=float)

    # -- search matrices
    @property
    def csr(self) -> sp.csr_matrix:
        if "csr" not in self._cache:
            n = self.n_nodes
            self._cache["csr"] = sp.csr_matrix((self.data, self.indices, self.indptr),
                                               shape=(n, n))
        return self._cache["csr"]

    def arrays(self, reverse: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(indptr int64, indices int32, data) of the search matrix, or of its transpose
        (``reverse``: searches towards a destination) for a one-way (driving) graph."""
        key = "rev" if reverse and self.mode == "drive" else "fwd"
        if key not in self._cache:
            m = self.csr.T.tocsr() if key == "rev" else self.csr
            m.sort_indices()
            self._cache[key] = (np.ascontiguousarray(m.indptr, np.int64),
                                np.ascontiguousarray(m.indices, np.int32),
                                np.ascontiguousarray(m.data, np.float64))
        return self._cache[key]

    # -- where points may snap
    def _components(self) -> tuple[np.ndarray, np.ndarray]:
        """(component label per junction, whether each component is big enough)."""
        if "comp" not in self._cache:
            _, labels = connected_components(self.csr, directed=True, connection="weak")
            inner = np.diff(self.edge_ptr) - 2
            sizes = np.bincount(labels, minlength=labels.max() + 1 if len(labels) else 0) + \
                np.bincount(labels[self.edge_u], weights=inner,
                            minlength=labels.max() + 1 if len(labels) else 0)
            big = sizes >= min(self.min_component, sizes.max()) if len(sizes) else sizes > 0
            self._cache["comp"] = (labels, big)
        return self._cache["comp"]

    def set_min_component(self, n: int) -> None:
        """Components with fewer OSM nodes than ``n`` are not snapped to."""
        if int(n) != self.min_component:
            self.min_component = int(n)
            for k in ("comp", "snappable", "snappable_mask", "edge_ok", "tree", "seggrid",
                      "street_xy"):
                self._cache.pop(k, None)

    @property
    def snappable(self) -> np.ndarray:
        """Indices of junctions in components big enough to snap to (with an edge)."""
        if "snappable" not in self._cache:
            if self.n_nodes == 0:
                self._cache["snappable"] = np.zeros(0, dtype=np.int64)
            else:
                labels, big = self._components()
                has_edge = np.zeros(self.n_nodes, dtype=bool)
                has_edge[self.edge_u] = True
                has_edge[self.edge_v] = True
                self._cache["snappable"] = np.flatnonzero(big[labels] & has_edge)
        return self._cache["snappable"]

    @property
    def edge_ok(self) -> np.ndarray:
        """Whether each edge lies in a component big enough to snap to."""
        if "edge_ok" not in self._cache:
            if self.n_edges == 0:
                self._cache["edge_ok"] = np.zeros(0, dtype=bool)
            else:
                labels, big = self._components()
                self._cache["edge_ok"] = big[labels[self.edge_u]]
        return self._cache["edge_ok"]

    def snap(self, x, y, max_distance: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Nearest snappable junction of each point and the straight distance to it (m).
        Points beyond ``max_distance`` get node -1 and distance inf. (Routers snap to the
        nearest edge instead: :mod:`.snapping`.)"""
        max_distance = settings.MAX_SNAP_DISTANCE_M if max_distance is None else max_distance
        x = np.atleast_1d(np.asarray(x, dtype=float))
        y = np.atleast_1d(np.asarray(y, dtype=float))
        nodes = self.snappable
        if len(x) == 0 or len(nodes) == 0:
            return np.full(len(x), -1, dtype=np.int64), np.full(len(x), np.inf)
        if "tree" not in self._cache:
            self._cache["tree"] = cKDTree(np.column_stack([self.x[nodes], self.y[nodes]]))
        d, k = self._cache["tree"].query(np.column_stack([x, y]))
        node = nodes[np.minimum(k, len(nodes) - 1)]
        far = ~(d <= max_distance)
        return np.where(far, -1, node).astype(np.int64), np.where(far, np.inf, d)

    def street_xy(self) -> np.ndarray:
        """(k, 2) positions of the distinct OSM nodes (junctions and bends) of the snappable
        streets, in OSM id order: where people live along the streets (origins)."""
        if "street_xy" not in self._cache:
            ok = np.repeat(self.edge_ok, np.diff(self.edge_ptr))
            ids, first = np.unique(self.vosm[ok], return_index=True)
            self._cache["street_xy"] = np.column_stack([self.vx[ok][first], self.vy[ok][first]])
        return self._cache["street_xy"]

    # -- geometry
    def edge_segments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each junction pair of the search matrix once: (u, v, cost) with u < v, the least
        cost either way."""
        coo = self.csr.tocoo()
        lo, hi = np.minimum(coo.row, coo.col), np.maximum(coo.row, coo.col)
        order = np.lexsort((coo.data, hi, lo))
        lo, hi, w = lo[order], hi[order], coo.data[order]
        first = np.ones(len(lo), dtype=bool)
        first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
        return lo[first], hi[first], w[first]

    def path_xy(self, nodes) -> list[tuple[float, float]]:
        """The street geometry of a path of junctions (as scipy's predecessors give):
        each step along the cheapest edge that joins the two, bends included."""
        nodes = [int(n) for n in nodes]
        if len(nodes) < 2:
            return [(float(self.x[n]), float(self.y[n])) for n in nodes]
        best = self._best_edges()
        out = [(float(self.x[nodes[0]]), float(self.y[nodes[0]]))]
        for p, q in zip(nodes[:-1], nodes[1:]):
            e, rev = best.get((p, q), (-1, False))
            if e < 0:
                out.append((float(self.x[q]), float(self.y[q])))
                continue
            s, t = int(self.edge_ptr[e]), int(self.edge_ptr[e + 1])
            idx = range(t - 2, s - 1, -1) if rev else range(s + 1, t)
            out += [(float(self.vx[k]), float(self.vy[k])) for k in idx]
        return out

    def _best_edges(self) -> dict:
        if "best" not in self._cache:
            best: dict = {}
            cost = self.edge_cost
            for e in np.argsort(-cost, kind="stable"):      # cheapest written last
                u, v = int(self.edge_u[e]), int(self.edge_v[e])
                if self.edge_fwd[e]:
                    best[(u, v)] = (int(e), False)
                if self.edge_bwd[e]:
                    best[(v, u)] = (int(e), True)
            self._cache["best"] = best
        return self._cache["best"]

    # -- files
    def save(self, path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp.npz")
        np.savez(tmp, **{k: getattr(self, k) for k in _ARRAYS}, sha256=np.array(self.sha256),
                 mode=np.array(self.mode), format=np.array(FORMAT))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path) -> "WalkGraph":
        with np.load(path, allow_pickle=False) as z:
            if int(z["format"]) != FORMAT:
                raise ValueError(f"graph file format {int(z['format'])}, not {FORMAT}")
            return cls(**{k: z[k] for k in _ARRAYS}, sha256=str(z["sha256"]),
                       mode=str(z["mode"]))


#: A driving graph is the same structure with weights in seconds.
StreetGraph = WalkGraph


# --- building --------------------------------------------------------------------------------
def _matrix(n: int, rows, cols, w) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR arrays keeping the minimum weight per (row, col), self-loops dropped."""
    keep = rows != cols
    r, c, w = rows[keep], cols[keep], np.maximum(w[keep], _EPS)
    order = np.lexsort((w, c, r))          # by row, then col, then weight (least first)
    r, c, w = r[order], c[order], w[order]
    first = np.ones(len(r), dtype=bool)
    first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    r, c, w = r[first], c[first], w[first]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=n), out=indptr[1:])
    return indptr, c.astype(np.int32), w.astype(np.float64)


def _spread(a: np.ndarray) -> np.ndarray:
    """The low 32 bits of ``a`` spread to the even bits of 64 (Morton interleaving)."""
    a = a.astype(np.uint64) & np.uint64(0xFFFFFFFF)
    for shift, mask in ((16, 0x0000FFFF0000FFFF), (8, 0x00FF00FF00FF00FF),
                        (4, 0x0F0F0F0F0F0F0F0F), (2, 0x3333333333333333),
                        (1, 0x5555555555555555)):
        a = (a | (a << np.uint64(shift))) & np.uint64(mask)
    return a


def spatial_order(x, y) -> np.ndarray:
    """Positions of the points (``x``, ``y``) in Z-order (Morton): sorted by their
    interleaved coordinate bits on a grid of square cells, 2^21 across the wider side of
    their extent (under 0.4 m a cell at England's size); ties in input order."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if not len(x):
        return np.zeros(0, np.int64)
    span = max(float(np.ptp(x)), float(np.ptp(y))) or 1.0
    scale = (2 ** 21 - 1) / span

    def cell(a):
        return np.nan_to_num((a - a.min()) * scale).astype(np.int64)
    key = _spread(cell(x)) | (_spread(cell(y)) << np.uint64(1))
    return np.argsort(key, kind="stable")


def from_chains(chains, vx, vy, vosm, *, sha256: str = "", mode: str = "walk",
                spatial: bool = True) -> WalkGraph:
    """A graph from contracted chains (:func:`.contract.contract`) over vertices with
    coordinates ``vx``/``vy`` and OSM ids ``vosm``: the junctions become the nodes, in
    Z-order (:func:`spatial_order`), or in vertex order if not ``spatial``."""
    node_of = np.full(len(vx), -1, dtype=np.int64)
    junctions = np.flatnonzero(chains.junction)
    if spatial:
        junctions = junctions[spatial_order(np.asarray(vx, float)[junctions],
                                            np.asarray(vy, float)[junctions])]
    node_of[junctions] = np.arange(len(junctions))
    u, v = node_of[chains.u], node_of[chains.v]
    cost = chains.cum[chains.ptr[1:] - 1]
    rows = np.concatenate([u[chains.fwd], v[chains.bwd]])
    cols = np.concatenate([v[chains.fwd], u[chains.bwd]])
    w = np.concatenate([cost[chains.fwd], cost[chains.bwd]])
    indptr, indices, data = _matrix(len(junctions), rows, cols, w)
    vert = chains.vert
    return WalkGraph(indptr, indices, data, np.asarray(vx, float)[junctions],
                     np.asarray(vy, float)[junctions], np.asarray(vosm, np.int64)[junctions],
                     u, v, np.asarray(chains.fwd, bool), np.asarray(chains.bwd, bool),
                     np.asarray(chains.ptr, np.int64), np.asarray(vx, float)[vert],
                     np.asarray(vy, float)[vert], np.asarray(chains.cum, float),
                     np.asarray(vosm, np.int64)[vert], sha256=sha256, mode=mode)


def compile_graph(u, v, length, x, y, osmid=None, sha256: str = "", *,
                  contract: bool = False, spatial: bool = False) -> WalkGraph:
    """A symmetric graph from edge arrays (node positions 0..n-1), each edge a straight
    street of the given length, keeping the minimum length per node pair and dropping
    self-loops. Nodes keep their positions unless ``contract`` (degree-2 chains merged) or
    ``spatial`` (numbered in Z-order as an OSM file's graph is)."""
    from .contract import contract as _contract
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    w = np.maximum(np.asarray(length, dtype=float), _EPS)
    n = len(x)
    keep = u != v
    u, v, w = u[keep], v[keep], w[keep]
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    order = np.lexsort((w, hi, lo))
    lo, hi, w = lo[order], hi[order], w[order]
    first = np.ones(len(lo), dtype=bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    lo, hi, w = lo[first], hi[first], w[first]
    ids = np.arange(n, dtype=np.int64) if osmid is None else np.asarray(osmid, dtype=np.int64)
    ones = np.ones(len(lo), dtype=bool)
    ch = _contract(n, lo, hi, w, ones, ones) if contract else \
        _single_segments(lo, hi, w, np.ones(n, dtype=bool))
    return from_chains(ch, x, y, ids, sha256=sha256, mode="walk", spatial=spatial)


def _single_segments(lo, hi, w, junction):
    from .contract import Chains
    k = len(lo)
    vert = np.column_stack([lo, hi]).reshape(-1)
    cum = np.column_stack([np.zeros(k), w]).reshape(-1)
    ones = np.ones(k, dtype=bool)
    return Chains(junction, lo, hi, ones, ones, np.arange(0, 2 * k + 1, 2, dtype=np.int64),
                  vert, cum)


def from_networkx(G, weight: str = "length", sha256: str = "") -> WalkGraph:
    """Compile a (projected) networkx/osmnx graph whose nodes have ``x``/``y``."""
    nodes = list(G.nodes)
    pos = {n: i for i, n in enumerate(nodes)}
    x = np.array([G.nodes[n]["x"] for n in nodes], dtype=float)
    y = np.array([G.nodes[n]["y"] for n in nodes], dtype=float)
    edges = [(pos[a], pos[b], d.get(weight, 0.0)) for a, b, d in G.edges(data=True)]
    e = np.array(edges, dtype=float).reshape(-1, 3)
    try:
        osmid = np.array(nodes, dtype=np.int64)
    except (TypeError, ValueError, OverflowError):
        osmid = None
    return compile_graph(e[:, 0].astype(np.int64), e[:, 1].astype(np.int64), e[:, 2], x, y,
                         osmid, sha256)


# --- node-level searches (tests, benchmarks; routers work from snapped points) ---------------
def nearest_distances(graph: WalkGraph, groups: list[tuple[np.ndarray, np.ndarray]],
                      limit_m: float = np.inf, at=None) -> np.ndarray:
    """Cost from every node (or the nodes ``at``) to the nearest member of each group.

    ``groups``: per group (e.g. an asset category), its members' nodes and the extra cost
    of each (a snap distance). One multi-source search per group (towards the members);
    returns an array (len(groups), n_nodes or len(at)), inf beyond ``limit_m`` or where
    unreachable.
    """
    from . import search
    q = np.arange(graph.n_nodes, dtype=np.int64) if at is None else \
        np.asarray(at, dtype=np.int64)
    if not groups:
        return np.zeros((0, len(q)))
    nodes, costs, ptr = [], [], [0]
    for g_nodes, off in groups:
        g_nodes = np.asarray(g_nodes, dtype=np.int64)
        off = np.broadcast_to(np.asarray(off, dtype=float), g_nodes.shape)
        ok = g_nodes >= 0
        nodes.append(g_nodes[ok])
        costs.append(np.maximum(off[ok], 0.0))
        ptr.append(ptr[-1] + int(ok.sum()))
    ip, ix, dt = graph.arrays(reverse=True)
    return search.nearest(ip, ix, dt, np.asarray(ptr, np.int64), np.concatenate(nodes),
                          np.concatenate(costs), q, np.zeros(len(q)), float(limit_m))


def node_pairs(graph: WalkGraph, a_nodes, b_nodes, limit_m: float):
    """Sparse costs from nodes ``a_nodes`` to ``b_nodes`` within ``limit_m``: (i, j, cost)
    arrays (i into a, j into b; -1 nodes never appear), searching from the side with fewer
    distinct nodes."""
    from . import search
    a = np.asarray(a_nodes, dtype=np.int64)
    b = np.asarray(b_nodes, dtype=np.int64)
    ua = np.unique(a[a >= 0])
    ub = np.unique(b[b >= 0])
    if len(ua) == 0 or len(ub) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    swap = len(ub) < len(ua)
    src, dst, rev = (b, a, True) if swap else (a, b, False)
    us = np.unique(src[src >= 0])
    ip, ix, dt = graph.arrays(reverse=rev)
    dj = np.flatnonzero(dst >= 0)
    order = np.argsort(dst[dj], kind="stable")
    tgt_id = dj[order]
    tgt_ptr = np.zeros(graph.n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(dst[tgt_id], minlength=graph.n_nodes), out=tgt_ptr[1:])
    s, t, c = search.table(ip, ix, dt, np.arange(len(us) + 1, dtype=np.int64), us,
                           np.zeros(len(us)), tgt_ptr, tgt_id.astype(np.int64),
                           np.zeros(len(tgt_id)), len(dst), float(limit_m))
    inv = np.full(len(src), -1, dtype=np.int64)
    inv[src >= 0] = np.searchsorted(us, src[src >= 0])
    i_src, k = search.expand(inv, len(us), s)
    t, c = t[k], c[k]
    return (t, i_src, c) if swap else (i_src, t, c)


def node_table(graph: WalkGraph, a_nodes: np.ndarray, b_nodes: np.ndarray,
               limit_m: float) -> np.ndarray:
    """Dense (len(a), len(b)) costs between nodes (inf beyond the limit or where a node is
    -1): :func:`node_pairs` written out."""
    a_nodes = np.asarray(a_nodes, dtype=np.int64)
    b_nodes = np.asarray(b_nodes, dtype=np.int64)
    out = np.full((len(a_nodes), len(b_nodes)), np.inf)
    i, j, c = node_pairs(graph, a_nodes, b_nodes, limit_m)
    out[i, j] = c
    return out


from .osmgraph import cache_path, graph_from_osm, osm_sha256  # noqa: E402,F401 - re-exported
from .routers import CrowFlyRouter, GraphRouter  # noqa: E402,F401 - re-exported

"""Walking access over the street network.

The street graph is read once per OSM file with ``osmnx.graph_from_xml``, cut down to ways a
pedestrian can use (edges with a ``highway`` tag not in ``settings.NON_WALKABLE_HIGHWAYS``,
not ``foot=no`` nor private without a foot permission), projected to EPSG:27700 and compiled
into a symmetric scipy CSR matrix of edge lengths in metres (unsimplified: every OSM node is a
node, so points snap close to where they are). Parallel edges keep their
MINIMUM length (``networkx.to_scipy_sparse_array`` would add them together). The compiled
graph is saved as ``walk-<sha256 of the OSM file>.npz`` in a cache folder and loads in
milliseconds afterwards.

Distances:

* points (origins, assets) snap to the nearest street node of a component with at least
  ``settings.MIN_COMPONENT_NODES`` nodes (a scipy cKDTree); the straight snap distance is added
  to the walk, and points farther than ``settings.MAX_SNAP_DISTANCE_M`` are unreachable;
* minutes to the nearest asset of each category come from ONE Dijkstra per category
  (scipy.sparse.csgraph) from a virtual source joined to every asset of the category by an
  edge as long as that asset's snap distance, limited to ``settings.ACCESS_MAX_MINUTES``:
  every node's distance is then the distance to its nearest asset, snap included;
* origin-to-asset tables within a cut-off (counts within 10/15/20 minutes, E2SFCA) run
  limited Dijkstra from the unique snapped nodes of whichever side is smaller.

Without a street network, :class:`CrowFlyRouter` gives the same answers from straight-line
distance times ``settings.CROW_FLY_DETOUR``.

Where walks start (origin points per area, and back to one value per area) is
:mod:`.origins`; walking isochrones over this graph are :mod:`.isochrones`.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from .. import settings
from ..errors import InputError

_EPS = 1e-9            # stands in for zero-length edges (scipy treats explicit zeros oddly)
_MAX_DENSE = 25_000_000  # cells per Dijkstra chunk (200 MB of float64)


def metres_per_minute(speed_kmh: float) -> float:
    return float(speed_kmh) * 1000.0 / 60.0


# --- the compiled graph ------------------------------------------------------------------------
@dataclass
class WalkGraph:
    """A symmetric street graph: CSR arrays of edge lengths (m) and node coordinates
    (EPSG:27700)."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    x: np.ndarray
    y: np.ndarray
    osmid: np.ndarray
    sha256: str = ""
    min_component: int = field(default_factory=lambda: settings.MIN_COMPONENT_NODES)
    _csr: sp.csr_matrix | None = field(default=None, repr=False, compare=False)
    _tree: cKDTree | None = field(default=None, repr=False, compare=False)
    _snappable: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def n_nodes(self) -> int:
        return len(self.x)

    @property
    def n_edges(self) -> int:
        return len(self.data) // 2

    @property
    def csr(self) -> sp.csr_matrix:
        if self._csr is None:
            n = self.n_nodes
            self._csr = sp.csr_matrix((self.data, self.indices, self.indptr), shape=(n, n))
        return self._csr

    @property
    def snappable(self) -> np.ndarray:
        """Indices of nodes in components big enough to snap to."""
        if self._snappable is None:
            if self.n_nodes == 0:
                self._snappable = np.zeros(0, dtype=np.int64)
            else:
                _, labels = connected_components(self.csr, directed=False)
                sizes = np.bincount(labels)
                big = sizes >= min(self.min_component, sizes.max())
                has_edge = np.diff(self.indptr) > 0
                self._snappable = np.flatnonzero(big[labels] & has_edge)
        return self._snappable

    def snap(self, x, y, max_distance: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Nearest snappable node of each point and the straight distance to it (m).
        Points beyond ``max_distance`` get node -1 and distance inf."""
        max_distance = settings.MAX_SNAP_DISTANCE_M if max_distance is None else max_distance
        x = np.atleast_1d(np.asarray(x, dtype=float))
        y = np.atleast_1d(np.asarray(y, dtype=float))
        if len(x) == 0 or len(self.snappable) == 0:
            return np.full(len(x), -1, dtype=np.int64), np.full(len(x), np.inf)
        if self._tree is None:
            idx = self.snappable
            self._tree = cKDTree(np.column_stack([self.x[idx], self.y[idx]]))
        d, k = self._tree.query(np.column_stack([x, y]))
        node = self.snappable[np.minimum(k, len(self.snappable) - 1)]
        far = ~(d <= max_distance)
        return np.where(far, -1, node).astype(np.int64), np.where(far, np.inf, d)

    def save(self, path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp.npz")
        np.savez(tmp, indptr=self.indptr, indices=self.indices, data=self.data, x=self.x,
                 y=self.y, osmid=self.osmid, sha256=np.array(self.sha256))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path) -> "WalkGraph":
        with np.load(path, allow_pickle=False) as z:
            return cls(indptr=z["indptr"], indices=z["indices"], data=z["data"], x=z["x"],
                       y=z["y"], osmid=z["osmid"], sha256=str(z["sha256"]))

    def edge_segments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each undirected edge once: (u, v, length) with u < v."""
        coo = self.csr.tocoo()
        keep = coo.row < coo.col
        return coo.row[keep], coo.col[keep], coo.data[keep]


def compile_graph(u, v, length, x, y, osmid=None, sha256: str = "") -> WalkGraph:
    """A symmetric CSR graph from edge arrays (node positions 0..n-1), keeping the minimum
    length per node pair and dropping self-loops."""
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    w = np.maximum(np.asarray(length, dtype=float), _EPS)
    n = len(x)
    keep = u != v
    u, v, w = u[keep], v[keep], w[keep]
    r = np.concatenate([u, v])
    c = np.concatenate([v, u])
    w = np.concatenate([w, w])
    order = np.lexsort((w, c, r))          # by row, then col, then length (shortest first)
    r, c, w = r[order], c[order], w[order]
    first = np.ones(len(r), dtype=bool)
    first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    r, c, w = r[first], c[first], w[first]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=n), out=indptr[1:])
    idx_dtype = np.int32 if n < 2**31 - 1 else np.int64
    return WalkGraph(indptr=indptr.astype(idx_dtype), indices=c.astype(idx_dtype), data=w,
                     x=np.asarray(x, dtype=float), y=np.asarray(y, dtype=float),
                     osmid=np.arange(n, dtype=np.int64) if osmid is None
                     else np.asarray(osmid, dtype=np.int64), sha256=sha256)


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


# --- reading OSM -----------------------------------------------------------------------------
def _walkable(data: dict, non_walkable) -> bool:
    hw = data.get("highway")
    if hw is None:
        return False
    values = hw if isinstance(hw, list) else [hw]
    if all(h in non_walkable for h in values):
        return False
    foot = data.get("foot")
    foot = foot if isinstance(foot, list) else [foot]
    if "no" in foot:
        return False
    acc = data.get("access")
    acc = acc if isinstance(acc, list) else [acc]
    if any(a in ("private", "no") for a in acc) and not any(
            f in ("yes", "designated", "permissive") for f in foot):
        return False
    return True


def osm_sha256(osm) -> tuple[bytes, str]:
    data = Path(osm).read_bytes() if isinstance(osm, (str, Path)) else bytes(osm)
    return data, hashlib.sha256(data).hexdigest()


def cache_path(cache_dir, sha256: str) -> Path:
    return Path(cache_dir) / f"walk-{sha256}.npz"


#: Street networks found unusable in this process (sha256 and highway set -> the error), so a
#: page asking again gets the same answer at once instead of parsing the file again.
_UNUSABLE: dict[tuple, InputError] = {}


def graph_from_osm(osm, cache_dir=None, *, non_walkable=None) -> WalkGraph:
    """The compiled walking graph of an OSM XML file (bytes or path; ``.osm`` or ``.osm.bz2``).

    With ``cache_dir``, a graph compiled before from the same file (same sha256) is loaded
    instead of being rebuilt, and a new one is saved there. A file that cannot be used (not
    OSM XML, a bomb past the import limits, no walkable street) raises InputError, and the
    same InputError again, at once, every later time in this process.
    """
    data, digest = osm_sha256(osm)
    if cache_dir is not None:
        p = cache_path(cache_dir, digest)
        if p.exists():
            try:
                return WalkGraph.load(p)
            except (OSError, ValueError, KeyError):
                pass                        # a damaged cache file: rebuild it
    key = (digest, tuple(sorted(settings.NON_WALKABLE_HIGHWAYS if non_walkable is None
                                else non_walkable)))
    if key in _UNUSABLE:
        e = _UNUSABLE[key]
        raise InputError(e.message, file=e.file, row=e.row, field=e.field)
    try:
        g = _build_from_xml(data, digest, non_walkable)
    except InputError as e:     # kept without its traceback (whose frames hold the file)
        _UNUSABLE[key] = InputError(e.message, file=e.file, row=e.row, field=e.field)
        raise
    if cache_dir is not None:
        g.save(cache_path(cache_dir, digest))
    return g


def _check_xml(data: bytes) -> None:
    """Read the whole file once with the importer's safe streaming parser (no DTDs or
    entities, the size, markup and element limits, ids and coordinates checked) before
    osmnx sees it, so a bomb or a malformed file stops in seconds with a clear error."""
    from ..io.limits import iter_chunks
    from ..io.osm_xml import iter_elements
    for _ in iter_elements(iter_chunks(data, file="the street network"),
                           file="the street network"):
        pass


def _build_from_xml(data: bytes, digest: str, non_walkable=None) -> WalkGraph:
    import osmnx as ox  # heavy; only when a graph has to be built

    non_walkable = set(settings.NON_WALKABLE_HIGHWAYS if non_walkable is None else non_walkable)
    head = data[:3]
    if head == b"BZh":
        suffix = ".osm.bz2"
    elif data.lstrip()[:1] == b"<":
        suffix = ".osm"
    else:
        raise InputError("the street network must be OSM XML (.osm or .osm.bz2); convert a "
                         ".pbf file with osmium (osmium cat in.pbf -o out.osm)", field="osm")
    _check_xml(data)
    old_tags = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = sorted(set(old_tags) | {"foot"})
    fd, tmp = tempfile.mkstemp(suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        G = ox.graph_from_xml(tmp, bidirectional=True, simplify=False, retain_all=True)
    except Exception as e:  # noqa: BLE001 - osmnx raises many kinds on a bad file
        raise InputError(f"could not read the OSM file: {e}", field="osm") from e
    finally:
        ox.settings.useful_tags_way = old_tags
        os.unlink(tmp)
    drop = [(a, b, k) for a, b, k, d in G.edges(keys=True, data=True)
            if not _walkable(d, non_walkable)]
    G.remove_edges_from(drop)
    G.remove_nodes_from([n for n in list(G.nodes) if G.degree(n) == 0])
    if G.number_of_edges() == 0:
        raise InputError("the OSM file has no walkable streets", field="osm")
    # Not simplified: every OSM node stays a node, so points snap to where streets really
    # are (a simplified graph keeps only junctions, and a snap to a far junction misleads).
    # Edge lengths are straight distances in British National Grid metres between consecutive
    # OSM nodes, the same measure as the snap distances.
    G = ox.projection.project_graph(G, to_crs=settings.ANALYSIS_CRS)
    for a, b, d in G.edges(data=True):
        d["length_bng"] = float(np.hypot(G.nodes[a]["x"] - G.nodes[b]["x"],
                                         G.nodes[a]["y"] - G.nodes[b]["y"]))
    return from_networkx(G, "length_bng", digest)


# --- routing --------------------------------------------------------------------------------------
def _augmented(graph: WalkGraph, groups: list[tuple[np.ndarray, np.ndarray]]) -> sp.csr_matrix:
    """The graph plus one virtual node per group, with directed edges from it to the group's
    nodes as long as their offsets (no edges lead back, so no path passes through it)."""
    n = graph.n_nodes
    k = len(groups)
    rows_ptr = [np.asarray(graph.indptr, dtype=np.int64)]
    idx = [np.asarray(graph.indices, dtype=np.int64)]
    dat = [graph.data]
    end = int(graph.indptr[-1])
    extra_ptr = []
    for nodes, off in groups:
        nodes = np.asarray(nodes, dtype=np.int64)
        off = np.asarray(off, dtype=float)
        ok = nodes >= 0
        nodes, off = nodes[ok], off[ok]
        order = np.lexsort((off, nodes))
        nodes, off = nodes[order], off[order]
        first = np.ones(len(nodes), dtype=bool)
        first[1:] = nodes[1:] != nodes[:-1]
        nodes, off = nodes[first], np.maximum(off[first], _EPS)
        idx.append(nodes)
        dat.append(off)
        end += len(nodes)
        extra_ptr.append(end)
    indptr = np.concatenate(rows_ptr + [np.array(extra_ptr, dtype=np.int64)])
    return sp.csr_matrix((np.concatenate(dat), np.concatenate(idx), indptr),
                         shape=(n + k, n + k))


def nearest_distances(graph: WalkGraph, groups: list[tuple[np.ndarray, np.ndarray]],
                      limit_m: float = np.inf) -> np.ndarray:
    """Distance (m) from every node to the nearest member of each group.

    ``groups``: per group (e.g. an asset category), the snapped nodes of its members and
    their snap distances. One Dijkstra per group from a virtual source; returns an array
    (len(groups), n_nodes), inf beyond ``limit_m`` or where unreachable.
    """
    n = graph.n_nodes
    if not groups:
        return np.zeros((0, n))
    A = _augmented(graph, groups)
    out = np.full((len(groups), n), np.inf)
    step = max(1, _MAX_DENSE // max(n, 1))
    for s in range(0, len(groups), step):
        src = np.arange(n + s, n + min(len(groups), s + step))
        d = dijkstra(A, directed=True, indices=src, limit=limit_m)
        out[s:s + len(src)] = d[:, :n]
    return out


def node_table(graph: WalkGraph, a_nodes: np.ndarray, b_nodes: np.ndarray,
               limit_m: float) -> np.ndarray:
    """Dense (len(a), len(b)) network distances between snapped nodes (inf beyond limit or
    where a node is -1), running Dijkstra from the side with fewer unique nodes."""
    a_nodes = np.asarray(a_nodes, dtype=np.int64)
    b_nodes = np.asarray(b_nodes, dtype=np.int64)
    out = np.full((len(a_nodes), len(b_nodes)), np.inf)
    ua, ia = np.unique(a_nodes[a_nodes >= 0], return_inverse=True)
    ub, ib = np.unique(b_nodes[b_nodes >= 0], return_inverse=True)
    if len(ua) == 0 or len(ub) == 0:
        return out
    swap = len(ub) < len(ua)
    src, dst = (ub, ua) if swap else (ua, ub)
    d = np.empty((len(src), len(dst)))
    step = max(1, _MAX_DENSE // max(graph.n_nodes, 1))
    for s in range(0, len(src), step):
        full = dijkstra(graph.csr, directed=True, indices=src[s:s + step], limit=limit_m)
        d[s:s + step] = full[:, dst]
    if swap:
        d = d.T
    sub = d[np.ix_(ia, ib)] if len(ia) and len(ib) else d[:0, :0]
    ra = np.flatnonzero(a_nodes >= 0)
    rb = np.flatnonzero(b_nodes >= 0)
    out[np.ix_(ra, rb)] = sub
    return out


class GraphRouter:
    """Walking distances over a compiled street graph (see the module notes)."""

    kind = "network"

    def __init__(self, graph: WalkGraph, max_snap_m: float | None = None):
        self.graph = graph
        self.max_snap_m = settings.MAX_SNAP_DISTANCE_M if max_snap_m is None else max_snap_m

    def snap(self, xy: np.ndarray):
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        return self.graph.snap(xy[:, 0], xy[:, 1], self.max_snap_m)

    def nearest(self, origins_xy, groups_xy: list[np.ndarray], limit_m: float) -> np.ndarray:
        """(len(groups), len(origins)) metres from each origin to the nearest point of each
        group, snap distances included; inf beyond ``limit_m``."""
        on, od = self.snap(origins_xy)
        groups = [self.snap(g) for g in groups_xy]
        nd = nearest_distances(self.graph, groups, limit_m)
        res = np.full((len(groups), len(on)), np.inf)
        ok = on >= 0
        if len(groups):
            res[:, ok] = nd[:, on[ok]] + od[ok]
        res[res > limit_m] = np.inf
        return res

    def table(self, origins_xy, dest_xy, limit_m: float):
        """Sparse origin x destination metres within ``limit_m``: arrays (rows, cols, m)."""
        on, od = self.snap(origins_xy)
        dn, dd = self.snap(dest_xy)
        d = node_table(self.graph, on, dn, limit_m)
        d = d + od[:, None] + dd[None, :]
        r, c = np.nonzero(d <= limit_m)
        return r, c, d[r, c]


class CrowFlyRouter:
    """Straight-line distance x a detour factor, for areas without a street network."""

    kind = "crow-fly"

    def __init__(self, detour: float | None = None):
        self.detour = settings.CROW_FLY_DETOUR if detour is None else float(detour)

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

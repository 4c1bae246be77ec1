"""A national analysis in tiles: each a local authority (or a grid cell where no authority
is known) plus a buffer, whose answers are provably those of the whole graph.

A tile holds the origins it answers for (its *own* origins: every origin belongs to exactly
one tile), the region ``R`` = the convex hull of those origins widened by ``buffer_m``, the
assets inside ``R``, and the street graph cut to ``R`` widened by the snap distance (every
edge whose geometry may meet it, found through a grid of cells over the edges' bounding
boxes). The tile's searches are the borough's own (:mod:`.routers`, :mod:`.coverage`), run
on the cut graph; whole-graph facts a cut would change (which components are big enough to
snap to) are carried over from the whole graph.

Why an answer can be proven equal to the whole graph's: a walk of length ``d`` from an
origin ``o`` never leaves the disc of radius ``d`` around ``o`` (a street is never shorter
than the straight line; the legs to and from the streets are straight lines). Let ``e`` be
the straight distance from ``o`` to the edge of ``R``. Every edge meeting the disc of radius
``e`` is in the cut graph, every asset in it is a tile asset, and every point in ``R`` snaps
as on the whole graph (the cut graph reaches the snap distance beyond ``R``). So a cost the
tile finds at most ``e`` is the whole graph's (the whole graph's best walk is no longer, so
it lies in the disc and the tile sees it), and "nothing within the cap" is proven when the
cap is at most ``e``. :func:`proven` applies this per origin and group (and
:func:`table_proven` to the table's cut-off, which the first buffer always covers); the
groups an origin still lacks are searched again from a widened tile (:func:`widen`), those
groups only, until the buffer reaches the cap, where every answer is proven. Walking graphs
only (costs are metres; a driving graph's seconds would need the top speed).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from numba import njit

from .. import settings
from .network import WalkGraph
from .snapping import Snapped, concat, subset

_INF = np.inf

#: Local-authority codes (unitary, district, metropolitan, London borough; Welsh unitary).
LA_PREFIXES = ("E06", "E07", "E08", "E09", "W06")


@dataclass
class Snaps:
    """Where points meet the streets (:class:`.snapping.Snapped`) and whether each is on
    the network (:func:`.coverage.on_network`), for the origins and the assets: a national
    run's, made once over the whole graph; a tile's, its points' with edges renumbered to
    its cut (``known``: the points whose snap is the tile's; all of them in practice, see
    the module notes)."""

    o: Snapped
    a: Snapped
    o_on: np.ndarray
    a_on: np.ndarray
    o_known: np.ndarray | None = None
    a_known: np.ndarray | None = None

    def points(self, o_xy: np.ndarray, a_xy: np.ndarray):
        """(the known points, their snaps; every point, whether on the network): what a
        router and a fallback router are told they know."""
        ok = self.o_known if self.o_known is not None else np.ones(len(o_xy), dtype=bool)
        ak = self.a_known if self.a_known is not None else np.ones(len(a_xy), dtype=bool)
        xy = np.vstack([o_xy[ok], a_xy[ak]]).reshape(-1, 2)
        return (xy, concat([subset(self.o, ok), subset(self.a, ak)]),
                np.vstack([o_xy, a_xy]).reshape(-1, 2), np.concatenate([self.o_on, self.a_on]))


def _cut_snaps(sn: Snapped, idx: np.ndarray, edges: np.ndarray) -> tuple[Snapped, np.ndarray]:
    """The snaps of points ``idx`` with their edges renumbered into the cut of ``edges``
    (sorted), and which of them the cut holds (a point off the network stays off)."""
    part = subset(sn, idx)
    whole = part.edge
    local = _local(edges, whole)
    part.edge = np.where(whole >= 0, local, -1)
    return part, (whole < 0) | (local >= 0)


@dataclass
class Tile:
    """One tile's inputs: what a worker needs and nothing of the whole graph."""

    key: str                # the local authority code, or "cell:<i>_<j>"
    origins: np.ndarray     # global indices of its own origins
    o_xy: np.ndarray        # their EPSG:27700 points
    edge_m: np.ndarray      # per own origin: straight distance to the edge of the region
    assets: np.ndarray      # global indices of the assets inside the region
    a_xy: np.ndarray
    graph: WalkGraph | None  # the whole graph cut to the region (None: no network)
    buffer_m: float
    groups: list = field(default_factory=list)  # per group searched, indices into ``assets``
    #: the groups the tile searches for nearest assets (global group indices: a widened
    #: tile's, those its own origins still lack; none in a "whole" run); None: every group
    need: np.ndarray | None = None
    #: a first-round tile: it builds its own origins' table rows (and says which points
    #: are on the network) besides the nearest-asset searches of ``need``
    table: bool = True
    cut_s: float = 0.0      # seconds spent making the tile (cutting the graph)
    snaps: Snaps | None = None    # its points' snaps onto its cut, from the whole graph's

    @property
    def n_nodes(self) -> int:
        return 0 if self.graph is None else self.graph.n_nodes


# --- which tile each origin belongs to ---------------------------------------------------------
def tile_keys(parent_codes, xy: np.ndarray, cell_m: float | None = None) -> np.ndarray:
    """Per point: its local authority (a parent code that is one, ``LA_PREFIXES``), else
    the grid cell of ``cell_m`` metres (``settings.NATIONAL_TILE_CELL_M``) it lies in."""
    cell_m = float(settings.NATIONAL_TILE_CELL_M if cell_m is None else cell_m)
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    codes = np.asarray(["" if c is None else str(c) for c in parent_codes], dtype=object)
    is_la = np.array([c.startswith(LA_PREFIXES) for c in codes], dtype=bool)
    i = np.floor(np.nan_to_num(xy[:, 0]) / cell_m).astype(np.int64)
    j = np.floor(np.nan_to_num(xy[:, 1]) / cell_m).astype(np.int64)
    cells = np.array([f"cell:{a}_{b}" for a, b in zip(i, j)], dtype=object)
    return np.where(is_la, codes, cells)


def split(keys) -> list[tuple[str, np.ndarray]]:
    """(key, origin indices) per distinct key, in key order."""
    keys = np.asarray(keys, dtype=object)
    uniq, inv = np.unique(keys.astype(str), return_inverse=True)
    order = np.argsort(inv, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(inv, minlength=len(uniq)))]
    return [(str(k), order[bounds[n]:bounds[n + 1]]) for n, k in enumerate(uniq)]


def first_buffer(reach_m: float, cap_m: float, buffer_m: float | None = None) -> float:
    """The first tiles' buffer: ``buffer_m`` (``settings.NATIONAL_BUFFER_M``), never less
    than the table's cut-off ``reach_m`` (so every table answer is proven at once) nor more
    than the cap ``cap_m``."""
    b = float(settings.NATIONAL_BUFFER_M if buffer_m is None else buffer_m)
    return min(max(b, float(reach_m)), float(cap_m))


def widen(buffer_m: float, cap_m: float) -> float:
    """The next buffer for origins not proven: ``settings.NATIONAL_WIDEN_FACTOR`` times
    wider, and the cap (every answer proven) once that passes it."""
    nxt = float(buffer_m) * float(settings.NATIONAL_WIDEN_FACTOR)
    return float(cap_m) if nxt >= cap_m or buffer_m >= cap_m else nxt


# --- cutting the graph -----------------------------------------------------------------------
@dataclass
class EdgeCells:
    """Edges by the grid cells their bounding boxes cover (for cutting a graph quickly)."""

    x0: float
    y0: float
    cell_m: float
    nx: int
    cells: np.ndarray       # sorted distinct cell ids
    ptr: np.ndarray         # edges of cells[k]: edges[ptr[k]:ptr[k+1]]
    edges: np.ndarray


def edge_cells(graph: WalkGraph, cell_m: float = 1000.0) -> EdgeCells:
    """The cell index of ``graph``'s edges (kept in the graph's cache): a counting sort of
    (cell, edge) pairs, compiled (:func:`_cell_pairs`), edges in rising order in a cell."""
    key = ("edge_cells", float(cell_m))
    if key in graph._cache:
        return graph._cache[key]
    x0, y0 = float(graph.vx.min()) - 1.0, float(graph.vy.min()) - 1.0
    nx = int((graph.vx.max() - x0) // cell_m) + 2
    ny = int((graph.vy.max() - y0) // cell_m) + 2
    counts, edges = _cell_pairs(graph.edge_ptr, graph.vx, graph.vy, x0, y0, float(cell_m), nx,
                                ny)
    cells = np.flatnonzero(counts)
    ptr = np.r_[0, np.cumsum(counts[cells])].astype(np.int64)
    out = EdgeCells(x0, y0, float(cell_m), nx, cells.astype(np.int64), ptr, edges)
    graph._cache[key] = out
    return out


@njit(cache=True)
def _cell_box(edge_ptr, vx, vy, x0, y0, cell_m, e):
    """The cells (i0, i1, j0, j1) the bounding box of edge ``e``'s vertices covers."""
    ax, bx = _INF, -_INF
    ay, by = _INF, -_INF
    for k in range(edge_ptr[e], edge_ptr[e + 1]):
        ax, bx = min(ax, vx[k]), max(bx, vx[k])
        ay, by = min(ay, vy[k]), max(by, vy[k])
    return (int((ax - x0) // cell_m), int((bx - x0) // cell_m), int((ay - y0) // cell_m),
            int((by - y0) // cell_m))


@njit(cache=True)
def _cell_pairs(edge_ptr, vx, vy, x0, y0, cell_m, nx, ny):
    """(edges per cell id ``j * nx + i``, the edges of every cell one cell after another):
    two passes over the edges, no temporary per pair."""
    n_edges = len(edge_ptr) - 1
    counts = np.zeros(nx * ny, np.int64)
    for e in range(n_edges):
        i0, i1, j0, j1 = _cell_box(edge_ptr, vx, vy, x0, y0, cell_m, e)
        for j in range(j0, j1 + 1):
            for i in range(i0, i1 + 1):
                counts[j * nx + i] += 1
    fill = np.zeros(nx * ny, np.int64)
    fill[1:] = np.cumsum(counts[:-1])
    out = np.empty(counts.sum(), np.int64)
    for e in range(n_edges):
        i0, i1, j0, j1 = _cell_box(edge_ptr, vx, vy, x0, y0, cell_m, e)
        for j in range(j0, j1 + 1):
            for i in range(i0, i1 + 1):
                out[fill[j * nx + i]] = e
                fill[j * nx + i] += 1
    return counts, out


def edges_meeting(graph: WalkGraph, polygon, cell_m: float = 1000.0) -> np.ndarray:
    """Sorted indices of every edge whose geometry may meet ``polygon`` (all that do, and
    some near it: those sharing a grid cell with it)."""
    ix = edge_cells(graph, cell_m)
    minx, miny, maxx, maxy = shapely.bounds(polygon)
    i0, i1 = int((minx - ix.x0) // ix.cell_m), int((maxx - ix.x0) // ix.cell_m)
    j0, j1 = int((miny - ix.y0) // ix.cell_m), int((maxy - ix.y0) // ix.cell_m)
    gi, gj = np.meshgrid(np.arange(max(i0, 0), i1 + 1), np.arange(max(j0, 0), j1 + 1))
    ii, jj = gi.ravel(), gj.ravel()
    boxes = shapely.box(ix.x0 + ii * ix.cell_m, ix.y0 + jj * ix.cell_m,
                        ix.x0 + (ii + 1) * ix.cell_m, ix.y0 + (jj + 1) * ix.cell_m)
    shapely.prepare(polygon)
    meet = shapely.intersects(polygon, boxes)
    hit = jj[meet] * ix.nx + ii[meet]
    k = np.searchsorted(ix.cells, hit)
    k = k[(k < len(ix.cells)) & (ix.cells[np.minimum(k, len(ix.cells) - 1)] == hit)]
    if not len(k):
        return np.zeros(0, np.int64)
    return _distinct(ix.edges[_ranges(ix.ptr[k], ix.ptr[k + 1])], graph.n_edges)


def _ranges(start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Every index of the ranges ``start[i]:stop[i]``, one after another."""
    n = stop - start
    return np.repeat(start, n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))


def _distinct(a: np.ndarray, size: int) -> np.ndarray:
    """The sorted distinct values of ``a`` (all in 0..size-1): a mark per value between
    its least and greatest (a tile's ids span little of the graph's; np.unique's sort is
    slower)."""
    if not len(a):
        return np.zeros(0, dtype=np.int64)
    lo, hi = int(a.min()), int(a.max())
    mark = np.zeros(hi - lo + 1, dtype=bool)
    mark[a - lo] = True
    return np.flatnonzero(mark) + lo


def _local(sorted_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Position of each of ``ids`` in ``sorted_ids`` (-1 where absent): a cut's renumbering
    in time of the cut, not of the whole graph (a position per id between the least and
    greatest of ``sorted_ids``, checked where read)."""
    if not len(sorted_ids) or not len(ids):
        return np.full(len(ids), -1, dtype=np.int64)
    lo, hi = int(sorted_ids[0]), int(sorted_ids[-1])
    at = np.empty(hi - lo + 1, dtype=np.int64)          # garbage where no id is: checked
    at[sorted_ids - lo] = np.arange(len(sorted_ids))
    inside = (ids >= lo) & (ids <= hi)
    j = np.where(inside, at[np.clip(ids - lo, 0, hi - lo)], 0)
    j = np.clip(j, 0, len(sorted_ids) - 1)
    return np.where(inside & (sorted_ids[j] == ids), j, -1).astype(np.int64)


def subgraph(graph: WalkGraph, edges: np.ndarray) -> WalkGraph:
    """The graph of ``edges`` and their junctions (renumbered in order). Its search matrix
    is the whole graph's between those junctions (every entry a real street: the cut is a
    subgraph, which is all the proof needs); which components may be snapped to is carried
    over from the whole graph (a cut must not make a big component small)."""
    edges = np.asarray(edges, dtype=np.int64)
    nodes = _distinct(np.concatenate([graph.edge_u[edges], graph.edge_v[edges]]),
                      graph.n_nodes)
    pos = _ranges(graph.indptr[nodes], graph.indptr[nodes + 1])
    row = np.repeat(np.arange(len(nodes)), graph.indptr[nodes + 1] - graph.indptr[nodes])
    col = _local(nodes, graph.indices[pos].astype(np.int64))
    keep = col >= 0
    indptr = np.zeros(len(nodes) + 1, dtype=np.int64)
    np.cumsum(np.bincount(row[keep], minlength=len(nodes)), out=indptr[1:])
    n = graph.edge_ptr[edges + 1] - graph.edge_ptr[edges]
    vert = _ranges(graph.edge_ptr[edges], graph.edge_ptr[edges + 1])
    g = WalkGraph(indptr, col[keep].astype(np.int32), graph.data[pos[keep]], graph.x[nodes],
                  graph.y[nodes], graph.osmid[nodes], _local(nodes, graph.edge_u[edges]),
                  _local(nodes, graph.edge_v[edges]), graph.edge_fwd[edges],
                  graph.edge_bwd[edges], np.r_[0, np.cumsum(n)].astype(np.int64),
                  graph.vx[vert], graph.vy[vert], graph.vcum[vert], graph.vosm[vert],
                  sha256=graph.sha256, mode=graph.mode, min_component=graph.min_component)
    g._cache["snappable"] = np.flatnonzero(_snappable_mask(graph)[nodes])
    g._cache["edge_ok"] = graph.edge_ok[edges]
    return g


def _snappable_mask(graph: WalkGraph) -> np.ndarray:
    """Per junction of ``graph``: whether it may be snapped to (kept in its cache)."""
    if "snappable_mask" not in graph._cache:
        mask = np.zeros(graph.n_nodes, dtype=bool)
        mask[graph.snappable] = True
        graph._cache["snappable_mask"] = mask
    return graph._cache["snappable_mask"]


# --- making tiles ----------------------------------------------------------------------------
def region(o_xy: np.ndarray, buffer_m: float):
    """(the region: the origins' convex hull widened by at least ``buffer_m``, each origin's
    straight distance to its edge, never less than ``buffer_m``)."""
    pts = shapely.points(o_xy[:, 0], o_xy[:, 1])
    # the buffer's arcs are drawn as chords (GEOS, 16 a quarter circle, some longer at the
    # hull's corners): 1% wider, so that the chords lie ``buffer_m`` out
    r = shapely.convex_hull(shapely.multipoints(pts)).buffer(float(buffer_m) * 1.01 + 1.0,
                                                              quad_segs=16)
    return r, shapely.distance(pts, shapely.get_exterior_ring(r))


def make_tile(graph: WalkGraph | None, key: str, origins: np.ndarray, o_xy: np.ndarray,
              a_xy: np.ndarray, buffer_m: float, snap_m: float,
              snaps: Snaps | None = None) -> Tile:
    """The tile answering for ``origins`` (global indices into ``o_xy``) with ``buffer_m``
    around them; the graph cut to the region plus ``snap_m``; with ``snaps`` (every
    point's over the whole graph, made with ``snap_m``), its points' renumbered to the cut."""
    origins = np.asarray(origins, dtype=np.int64)
    own = np.asarray(o_xy, dtype=float)[origins]
    r, edge_m = region(own, buffer_m)
    a_xy = np.asarray(a_xy, dtype=float).reshape(-1, 2)
    minx, miny, maxx, maxy = shapely.bounds(r)
    near = np.flatnonzero((a_xy[:, 0] >= minx) & (a_xy[:, 0] <= maxx) &
                          (a_xy[:, 1] >= miny) & (a_xy[:, 1] <= maxy))
    shapely.prepare(r)
    assets = near[shapely.contains_xy(r, a_xy[near, 0], a_xy[near, 1])]
    sub, cut = None, None
    if graph is not None and graph.n_nodes:
        edges = edges_meeting(graph, r.buffer(float(snap_m) + 1.0, quad_segs=8))
        sub = subgraph(graph, edges) if len(edges) else None
        if sub is not None and snaps is not None:
            (o, ok), (a, ak) = _cut_snaps(snaps.o, origins, edges), \
                _cut_snaps(snaps.a, assets, edges)
            cut = Snaps(o, a, snaps.o_on[origins], snaps.a_on[assets], ok, ak)
    return Tile(key, origins, own, np.asarray(edge_m, float), assets, a_xy[assets], sub,
                float(buffer_m), snaps=cut)


# --- proving and merging ---------------------------------------------------------------------
def proven(metres: np.ndarray, edge_m: np.ndarray, cap_m: float) -> np.ndarray:
    """(groups, origins): the tile's answer is the whole graph's (see the module notes):
    the cost found (the cap where none was) is at most the distance to the tile's edge."""
    m = np.minimum(np.asarray(metres, dtype=float), float(cap_m))
    return m <= np.asarray(edge_m, dtype=float)[None, :]


def table_proven(edge_m: np.ndarray, reach_m: float) -> np.ndarray:
    """Per origin: its table row (every asset within ``reach_m``) is the whole graph's."""
    return np.asarray(edge_m, dtype=float) >= float(reach_m)


@dataclass
class Merged:
    """Whole-run arrays assembled from the tiles: as :func:`..pipeline.access.search`
    returns them for the whole graph."""

    metres: np.ndarray      # (groups, origins)
    done: np.ndarray        # (groups, origins): answered (proven)
    rows: list
    cols: list
    vals: list
    o_on: np.ndarray
    a_on: np.ndarray
    a_seen: np.ndarray      # assets some tile judged (the others: not near any origin)

    @classmethod
    def empty(cls, n_groups: int, n_origins: int, n_assets: int) -> "Merged":
        return cls(np.full((n_groups, n_origins), np.inf),
                   np.zeros((n_groups, n_origins), bool), [], [], [],
                   np.zeros(n_origins, bool), np.zeros(n_assets, bool),
                   np.zeros(n_assets, bool))

    def add(self, tile: Tile, result, ok: np.ndarray) -> None:
        """Keep ``tile``'s proven answers: ``ok`` (its groups, its origins); ``result`` is
        (metres, table, o_on, a_on) as :func:`..pipeline.access.search` gives them (table,
        o_on and a_on None for a widened tile: the first round's are proven; metres has a
        row per group of ``tile.need``, every group where that is None)."""
        metres, table, o_on, a_on = result
        groups = np.arange(len(self.metres)) if tile.need is None else tile.need
        for k, g in enumerate(groups):
            sel = np.asarray(ok[k], bool)
            self.metres[g, tile.origins[sel]] = np.asarray(metres)[k, sel]
            self.done[g, tile.origins[sel]] = True
        if table is not None:
            r, c, m = table
            self.rows.append(tile.origins[r])
            self.cols.append(tile.assets[c])
            self.vals.append(np.asarray(m, float))
            self.o_on[tile.origins] = o_on
            self.a_on[tile.assets] = a_on
            self.a_seen[tile.assets] = True

    def left(self, tile: Tile) -> tuple[np.ndarray, np.ndarray]:
        """(``tile``'s own origins not answered for some group, the groups they lack)."""
        d = self.done[:, tile.origins]
        todo = ~d.all(axis=0)
        return tile.origins[todo], np.flatnonzero(~d[:, todo].all(axis=1))

    def result(self):
        """(metres, (rows, cols, metres) sorted by row then column, o_on, a_on)."""
        def cat(xs, dt):
            return np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt)
        r, c, v = cat(self.rows, np.int64), cat(self.cols, np.int64), cat(self.vals, float)
        order = np.lexsort((c, r))
        return self.metres, (r[order], c[order], v[order]), self.o_on, self.a_on

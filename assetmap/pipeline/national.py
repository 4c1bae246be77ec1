"""A national run: the borough analysis (:func:`assetmap.pipeline.run`) with its walking
access computed in tiles on Dask, merged exactly (:mod:`assetmap.analysis.tiles`).

:func:`run` is ``pipeline.run`` with :class:`TiledAccess` in place of the access step; every
other step (need index, loneliness, E2SFCA, gaps, hotspots, the stored run) is the
borough's, on all the areas at once. Tiles are local authorities (an area's parent code
that is one) or grid cells, each plus a buffer; each tile's searches are the borough's
(:func:`.access.search` over the cut graph), run on a Dask worker. Answers a tile cannot
prove equal to the whole graph's are computed again from widened tiles, round after round,
until the buffer reaches the search cap.

The nearest asset of each category is found one of two ways (``--nearest``, the
``nearest`` argument, else ``settings.NATIONAL_NEAREST``):

* ``"whole"`` (the default): one multi-source search per category over the whole street
  graph (:func:`whole_nearest`), each a task on the workers (:class:`DaskNearest`: the
  driver snaps, the search matrix goes to each worker once) queued with the tiles that
  build the 10/15/20-minute table; the tiles' buffer is the table's cut-off (every table
  answer proven in the first round, no widening). A category's search settles each
  junction once however far its nearest asset lies, where tiles settle the buffers'
  junctions again in every tile that holds them, and rural origins' again in tiles
  widened towards the cap.
* ``"tiles"``: the nearest-asset searches in the tiles too, widened round after round as
  above (more work in all, but no worker holds the whole search matrix).

Every origin and asset is snapped to the streets once, over the whole graph
(:func:`snap_all`); each tile gets its points' snaps renumbered to its cut (the same snaps
it would find, see :mod:`..analysis.tiles`) and the whole-graph searches look theirs up, so
no tile builds a segment grid or a KD tree of its own.

Dask: :func:`client_for` makes a ``dask.distributed.LocalCluster`` (``workers`` processes,
``settings.NATIONAL_WORKERS``: one per core by default) or connects to a running scheduler
(``tcp://host:port``): the same code on one machine or a cluster. At most a few tiles per
worker are cut and in flight at once, so the driver never holds every tile.

The England values of the run (its ``benchmarks`` frame) are what a borough compares
with: :mod:`.england` writes and reads them.
"""
from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .. import settings
from ..analysis import coverage, routing, tiles
from ..analysis.network import WalkGraph
from ..analysis.routers import GraphRouter
from ..errors import InputError
from . import access as access_mod
from .steps import _xy, access_origins

#: Parameters a national run sets unless given: isochrones of every hub in England are a
#: map nobody opens at that scale (pages compute one on demand).
NATIONAL_DEFAULTS: dict = {"isochrone_categories": []}


@dataclass
class TileReport:
    """What a tile did (for progress bars and benchmarks)."""

    key: str
    round: int
    origins: int
    proven: int
    nodes: int
    assets: int
    seconds: float
    cut_s: float = 0.0      # the driver's time to cut it


@dataclass
class Plan:
    """A national access computation under way."""

    p: dict
    o_xy: np.ndarray
    a_xy: np.ndarray
    group_mask: np.ndarray
    graph: WalkGraph | None
    reports: list = field(default_factory=list)
    snaps: tiles.Snaps | None = None    # every point's over the whole graph


# --- Dask ------------------------------------------------------------------------------------
def client_for(scheduler: str | None = None, workers: int | None = None, *,
               processes: bool = True):
    """A ``dask.distributed.Client``: to the scheduler at ``scheduler``, else on a new
    LocalCluster of ``workers`` processes (``settings.NATIONAL_WORKERS``; 0: one per core)
    of ``settings.NATIONAL_THREADS_PER_WORKER`` threads. The caller closes it (and its
    cluster: ``client.cluster``)."""
    import logging

    from dask.distributed import Client, LocalCluster
    logging.getLogger("distributed").setLevel(logging.WARNING)
    if scheduler:
        try:
            return Client(scheduler, timeout=f"{settings.NATIONAL_SCHEDULER_TIMEOUT_S}s")
        except (OSError, TimeoutError, ValueError) as e:
            raise InputError(f"no Dask scheduler answers at {scheduler} ({e})",
                             field="scheduler") from None
    n = int(workers if workers is not None else settings.NATIONAL_WORKERS) or \
        (os.cpu_count() or 1)
    cluster = LocalCluster(n_workers=n, threads_per_worker=settings.NATIONAL_THREADS_PER_WORKER,
                           processes=processes, dashboard_address=None)
    return Client(cluster)


def close(client) -> None:
    """Close ``client`` and the LocalCluster it made (not a remote scheduler)."""
    cluster = getattr(client, "cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()


def solve_tile(tile: tiles.Tile, p: dict):
    """On a worker: the borough's searches over the tile's graph: a first-round tile,
    :func:`.access.search` (every group and the table); a widened one, the router's
    ``nearest`` for the groups it lacks. Returns (result, proven (groups, origins),
    seconds)."""
    t = time.perf_counter()
    router = routing.router(tile.graph, max_snap_m=p["max_snap_distance_m"],
                            min_component=p["min_component_nodes"], detour=p["crow_fly_detour"])
    fb = coverage.FallbackRouter(router, tile.graph, max_snap_m=p["max_snap_distance_m"],
                                 detour=p["crow_fly_detour"])
    if tile.snaps is not None:
        _know(router, fb, *tile.snaps.points(tile.o_xy, tile.a_xy))
    cap_m, reach_m = access_mod.limits(p)
    if tile.table:
        res = access_mod.search(fb, tile.o_xy, tile.a_xy, tile.groups, p)
        if not tiles.table_proven(tile.edge_m, reach_m).all():
            raise RuntimeError("a first-round buffer narrower than the table's cut-off")
    else:
        res = (fb.nearest(tile.o_xy, [tile.a_xy[g] for g in tile.groups], cap_m), None, None,
               None)
    return res, tiles.proven(res[0], tile.edge_m, cap_m), time.perf_counter() - t


def _know(router, fb, xy, snapped, all_xy, on) -> None:
    """Tell ``router`` (over a network) and ``fb`` the snaps and coverage already made."""
    if isinstance(router, GraphRouter):
        router.know(xy, snapped)
    fb.know(all_xy, on)


def snap_all(p: dict, graph: WalkGraph | None, o_xy, a_xy) -> tiles.Snaps | None:
    """Every origin and asset snapped once over the whole graph, and whether each is on
    it (None without a graph): the tiles and the whole-graph searches look them up."""
    router = routing.router(graph, max_snap_m=p["max_snap_distance_m"],
                            min_component=p["min_component_nodes"], detour=p["crow_fly_detour"])
    if not isinstance(router, GraphRouter):
        return None
    fb = coverage.FallbackRouter(router, graph, max_snap_m=p["max_snap_distance_m"],
                                 detour=p["crow_fly_detour"])
    return tiles.Snaps(router.snap(o_xy), router.snap(a_xy), fb.covers(o_xy), fb.covers(a_xy))


# --- the tiled access step -------------------------------------------------------------------
def _make(plan: Plan, key: str, origins: np.ndarray, need, buffer_m: float,
          table: bool) -> tiles.Tile:
    t0 = time.perf_counter()
    t = tiles.make_tile(plan.graph, key, origins, plan.o_xy, plan.a_xy, buffer_m,
                        plan.p["max_snap_distance_m"], plan.snaps)
    t.need, t.table = need, table
    t.cut_s = time.perf_counter() - t0
    rows = plan.group_mask if need is None else plan.group_mask[need]
    t.groups = [np.flatnonzero(m) for m in rows[:, t.assets]]
    return t


def _serial(plan: Plan, todo: list, buffer_m: float, table: bool):
    """Tiles solved one after another in this process (no client): (tile, answer) pairs."""
    for key, idx, need in todo:
        t = _make(plan, key, idx, need, buffer_m, table)
        yield t, solve_tile(t, plan.p)


def _on_dask(client, plan: Plan, todo: list, buffer_m: float, table: bool):
    """Tiles solved on ``client``'s workers, a few in flight per worker (cut as others
    finish): (tile, answer) pairs as they finish."""
    import warnings

    from dask.distributed import as_completed
    # a tile is its own data (the cut graph): sent once, to one worker
    warnings.filterwarnings("ignore", message="Sending large graph")
    window = 2 * max(1, len(client.scheduler_info().get("workers", {})))
    queue = list(todo)
    tiles_of: dict = {}
    ac = as_completed()

    def submit():
        key, idx, need = queue.pop(0)
        t = _make(plan, key, idx, need, buffer_m, table)
        f = client.submit(solve_tile, t, plan.p, pure=False)
        tiles_of[f.key] = t
        ac.add(f)
    while queue and len(tiles_of) < window:
        submit()
    for f in ac:
        yield tiles_of.pop(f.key), f.result()
        f.release()
        if queue:
            submit()


def _round(client, plan: Plan, todo: list, buffer_m: float, rnd: int, merged,
           on_tile: Callable | None) -> list:
    """Run the tiles ``todo`` ((key, origins, groups or None)) with ``buffer_m``; keep
    proven answers in ``merged``; returns the (key, origins, groups) still to prove."""
    left = []
    done = _serial(plan, todo, buffer_m, rnd == 0) if client is None else \
        _on_dask(client, plan, todo, buffer_m, rnd == 0)
    for t, (res, ok, secs) in done:
        merged.add(t, res, ok)
        todo_o, todo_g = merged.left(t)
        if len(todo_o):
            left.append((t.key, todo_o, todo_g))
        rep = TileReport(t.key, rnd, len(t.origins), len(t.origins) - len(todo_o), t.n_nodes,
                         len(t.assets), secs, t.cut_s)
        plan.reports.append(rep)
        if on_tile:
            on_tile(rep)
    return left


NEAREST_MODES = ("whole", "tiles")


def nearest_mode(nearest: str | None, graph) -> str:
    """"whole" or "tiles" (see the module notes): ``nearest``, else
    ``settings.NATIONAL_NEAREST``; "tiles" without a street graph (nothing to search)."""
    mode = str(nearest or settings.NATIONAL_NEAREST)
    if mode not in NEAREST_MODES:
        raise InputError(f"the nearest-asset search must be 'whole' or 'tiles', not '{mode}'",
                         field="nearest")
    return mode if graph is not None and graph.n_nodes else "tiles"


def _nearest_task(ip, ix, dt, seed_node, seed_cost, q_node, q_cost, limit):
    """On a worker: one group's multi-source search over the whole graph."""
    from ..analysis import search
    return search.nearest(ip, ix, dt, np.array([0, len(seed_node)], np.int64), seed_node,
                          seed_cost, q_node, q_cost, limit)


class DaskNearest:
    """:func:`..analysis.search.nearest`'s call, run as one Dask task per group on
    ``client``'s workers: the search matrix sent to each worker once, the snapping and
    the reading of answers left to the caller. The workers then share the cores with the
    tiles in one queue, where driver threads would compete with them."""

    def __init__(self, client):
        self.client = client

    def __call__(self, ip, ix, dt, grp_ptr, seed_node, seed_cost, q_node, q_cost, limit):
        m = self.client.scatter([ip, ix, dt], broadcast=True)
        q = self.client.scatter([q_node, q_cost], broadcast=True)
        futures = [self.client.submit(_nearest_task, *m, seed_node[a:b], seed_cost[a:b], *q,
                                      limit, pure=False)
                   for a, b in zip(grp_ptr[:-1], grp_ptr[1:])]
        out = np.full((len(futures), len(q_node)), np.inf)
        for k, f in enumerate(futures):
            out[k] = f.result()[0]
            f.release()
        return out


def whole_nearest(p: dict, graph: WalkGraph, o_xy, a_xy, group_mask,
                  threads: int | None = None, client=None,
                  snaps: tiles.Snaps | None = None) -> np.ndarray:
    """(groups, origins) metres from each origin to the nearest asset of each group, inf
    beyond the cap: the borough's searches (:class:`..analysis.coverage.FallbackRouter`)
    over the whole graph: with ``client``, each group's search a task on its workers
    (:class:`DaskNearest`); else the groups shared among ``threads`` threads of this
    process (``settings.NATIONAL_NEAREST_THREADS``; the searches release the GIL).
    ``snaps``: :func:`snap_all`'s, looked up instead of snapping again."""
    cap_m, _ = access_mod.limits(p)
    o_xy = np.asarray(o_xy, float).reshape(-1, 2)
    a_xy = np.asarray(a_xy, float).reshape(-1, 2)
    group_mask = np.asarray(group_mask, bool).reshape(-1, len(a_xy))
    unions = _unions(group_mask)
    twins = {k: f for k, f in _twins(group_mask).items() if k not in unions}
    searched = [k for k in range(len(group_mask)) if k not in unions and k not in twins]
    groups = [a_xy[group_mask[k]] for k in searched]
    router = routing.router(graph, max_snap_m=p["max_snap_distance_m"],
                            min_component=p["min_component_nodes"], detour=p["crow_fly_detour"])
    fb = coverage.FallbackRouter(router, graph, max_snap_m=p["max_snap_distance_m"],
                                 detour=p["crow_fly_detour"])
    res = np.full((len(group_mask), len(o_xy)), np.inf)
    if not len(groups) or not len(o_xy):
        return res
    if snaps is not None:
        _know(router, fb, *snaps.points(o_xy, a_xy))
    # the caches every thread reads (snapping indexes, the reversed search matrix): once
    fb.covers(o_xy[:1])
    if isinstance(router, GraphRouter):
        router.snap(o_xy[:1])
    graph.arrays(reverse=True)
    if client is not None and isinstance(router, GraphRouter):
        router.nearest_kernel = DaskNearest(client)     # every group's task at once
        parts = [list(range(len(groups)))]
        outs = [fb.nearest(o_xy, groups, cap_m)]
    else:
        n = max(1, min(int(threads or settings.NATIONAL_NEAREST_THREADS), len(groups)))
        parts = [list(range(k, len(groups), n)) for k in range(n)]
        with ThreadPoolExecutor(n) as ex:
            outs = list(ex.map(lambda ks: fb.nearest(o_xy, [groups[k] for k in ks], cap_m),
                               parts))
    for ks, out in zip(parts, outs):
        res[[searched[k] for k in ks]] = out
    for k, first in twins.items():          # the same assets as an earlier group
        res[k] = res[first]
    for k, members in unions.items():       # the nearest of a union: its members' least
        res[k] = res[members].min(axis=0)
    return res


def _twins(group_mask: np.ndarray) -> dict:
    """{group: the first group with exactly its assets} (a category and a client group's
    services can be the same assets): searched once."""
    first: dict = {}
    out = {}
    for k, m in enumerate(group_mask):
        key = np.packbits(m).tobytes()
        if key in first:
            out[k] = first[key]
        else:
            first[key] = k
    return out


def _unions(group_mask: np.ndarray) -> dict:
    """{group: the other groups it is exactly the union of} (the "any social asset" group
    is its categories'): its nearest asset is the nearest of theirs, no search needed."""
    def parts(k, among):
        m = group_mask[k]
        return [h for h in among if h != k and group_mask[h].any() and
                not (group_mask[h] & ~m).any() and not (group_mask[h] == m).all()]

    def covered(k, members):
        return bool(members) and group_mask[k].any() and \
            (np.any(group_mask[members], axis=0) == group_mask[k]).all()
    everyone = range(len(group_mask))
    unions = {k for k in everyone if covered(k, parts(k, everyone))}
    # members searched, never unions themselves (theirs are, and cover as much)
    return {k: parts(k, [h for h in everyone if h not in unions]) for k in unions}


def tiled_search(client, p: dict, o_xy, keys, a_xy, group_mask, graph,
                 on_tile: Callable | None = None, on_round: Callable | None = None,
                 nearest: str | None = None):
    """What :func:`.access.search` returns for the whole graph, from tiles on ``client``
    (None: one after another in this process): (metres, table, o_on, a_on), and the
    :class:`TileReport` list. ``keys``: each origin's tile (:func:`..analysis.tiles.tile_keys`);
    ``group_mask``: (groups, assets) membership. The nearest assets as
    :func:`nearest_mode` says of ``nearest``: "whole" searches them in a thread of this
    process while the tiles run."""
    cap_m, reach_m = access_mod.limits(p)
    plan = Plan(p, np.asarray(o_xy, float), np.asarray(a_xy, float).reshape(-1, 2),
                np.asarray(group_mask, bool), graph)
    plan.snaps = snap_all(p, graph, plan.o_xy, plan.a_xy)
    merged = tiles.Merged.empty(len(group_mask), len(plan.o_xy), len(plan.a_xy))
    whole = nearest_mode(nearest, graph) == "whole"
    pending = None
    if whole:       # the tiles build the table only; every nearest answer is the thread's
        pool = ThreadPoolExecutor(1)
        pending = pool.submit(whole_nearest, p, graph, plan.o_xy, plan.a_xy, plan.group_mask,
                              None, client, plan.snaps)
        merged.done[:] = True
        first = np.zeros(0, dtype=np.int64)
        buffer_m = tiles.first_buffer(reach_m, cap_m, reach_m)
    else:
        first = None
        buffer_m = tiles.first_buffer(reach_m, cap_m, p.get("national_buffer_m"))
    todo = [(k, idx, first) for k, idx in tiles.split(keys)]
    rnd = 0
    try:
        while todo:
            if on_round:
                on_round(rnd, len(todo), buffer_m)
            todo = _round(client, plan, todo, buffer_m, rnd, merged, on_tile)
            if todo and buffer_m >= cap_m:
                raise RuntimeError("tiles at the full cap left answers unproven")  # cannot
            buffer_m, rnd = tiles.widen(buffer_m, cap_m), rnd + 1
        if pending is not None:
            merged.metres[:] = pending.result()
    finally:
        if pending is not None:
            pool.shutdown(wait=True)
    unseen = np.flatnonzero(~merged.a_seen)
    if len(unseen):          # assets near no origin: only the summary's count needs them
        merged.a_on[unseen] = coverage.on_network(graph, plan.a_xy[unseen],
                                                  p["max_snap_distance_m"])
    return merged.result(), plan.reports


class TiledAccess:
    """A stand-in for :func:`.steps.access_step` (same call) computing the searches in
    tiles on ``client`` (None: in this process); :attr:`reports` says what each tile did."""

    def __init__(self, client, on_tile: Callable | None = None,
                 on_round: Callable | None = None, nearest: str | None = None):
        self.client, self.on_tile, self.on_round = client, on_tile, on_round
        self.nearest = nearest
        self.reports: list = []

    def __call__(self, inp, p, router, graph):
        if graph is not None and graph.mode != "walk":
            raise InputError("a national run measures walking access only", field="mode")
        o_area, o_xy, o_w = access_origins(inp, p, graph)
        a_cat = inp.assets["category"].to_numpy(dtype=object)
        a_xy = _xy(inp.assets.geometry)
        _, _, groups = access_mod.groups_of(a_cat, p)
        mask = np.zeros((len(groups), len(a_cat)), dtype=bool)
        for k, g in enumerate(groups):
            mask[k, g] = True
        parent = inp.areas["parent_code"].to_numpy(dtype=object)[o_area]
        keys = tiles.tile_keys(parent, o_xy)
        searched, self.reports = tiled_search(self.client, p, o_xy, keys, a_xy, mask, graph,
                                              self.on_tile, self.on_round, self.nearest)
        return access_mod.measure(inp.codes, a_cat, o_area, o_xy, o_w, a_xy, p, router, graph,
                                  searched=searched)


def run(store, params: dict | None = None, *, client=None, scheduler: str | None = None,
        workers: int | None = None, progress: Callable | None = None,
        on_tile: Callable | None = None, on_round: Callable | None = None, save: bool = True,
        nearest: str | None = None):
    """The national run (see the module notes): ``pipeline.run`` with the access step in
    tiles on ``client`` (else one made by :func:`client_for` and closed afterwards), the
    nearest assets searched as ``nearest`` says (:func:`nearest_mode`). Returns (the
    :class:`..pipeline.Analysis`, the tile reports)."""
    from . import run as pipeline_run
    p = {**NATIONAL_DEFAULTS, **(params or {})}
    nearest_mode(nearest, None)      # a bad choice fails before the run begins
    own = client is None
    client = client or client_for(scheduler, workers)
    try:
        step = TiledAccess(client, on_tile, on_round, nearest)
        result = pipeline_run(store, p, progress, save=save, access=step)
        return result, step.reports
    finally:
        if own:
            close(client)


def tile_summary(reports: list) -> dict:
    """Tiles, rounds, and seconds a tile (median, max) of a run's :class:`TileReport` list."""
    secs = np.array([r.seconds for r in reports], float)
    return {"tiles": int(sum(r.round == 0 for r in reports)),
            "rounds": int(max((r.round for r in reports), default=-1) + 1),
            "widened": int(sum(r.round > 0 for r in reports)),
            "median_s": float(np.median(secs)) if len(secs) else 0.0,
            "max_s": float(secs.max()) if len(secs) else 0.0,
            "max_nodes": int(max((r.nodes for r in reports), default=0)),
            "cut_s": round(float(sum(r.cut_s for r in reports)), 2),
            "tile_s": round(float(secs.sum()), 2)}

"""The one routing service: compiled street graphs and the routers every consumer uses.

One cache of compiled walking graphs in this process, keyed by the OSM file's SHA-256 and
the highway types left out, backed by the on-disk cache of :mod:`.network` (compiled CSR
arrays, loaded in milliseconds). One router interface, two kinds: :class:`network.GraphRouter`
over the street network (``kind == "network"``) and :class:`network.CrowFlyRouter`, straight
lines times a detour factor (``kind == "crow-fly"``), used only where there is no network,
and always said. The pipeline (access, E2SFCA, isochrones), the pages' on-demand isochrones
and distance searches, and outreach routes all come through here; nothing else compiles a
graph or builds a router. Errors are not swallowed: a damaged cache file is recompiled, any
other failure raises.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable

import numpy as np
import shapely

from .. import settings
from . import network
from .isochrones import isochrones as network_isochrones

log = logging.getLogger(__name__)

_GRAPHS: dict[str, network.WalkGraph] = {}
_LOCK = threading.Lock()

NETWORK = "network"
STRAIGHT_LINE = "straight-line"

#: What :func:`router` gives: both kinds answer ``nearest`` and ``table`` alike.
Router = network.GraphRouter | network.CrowFlyRouter


def _key(digest: str, non_walkable) -> str:
    return f"{digest}:{','.join(sorted(non_walkable))}"


def compiled_graph(digest: str | None, read_osm: Callable[[], bytes | None], cache_dir: Path,
                   non_walkable=None) -> network.WalkGraph | None:
    """The compiled walking graph of the OSM file with SHA-256 ``digest`` (None without a
    file): from this process's memory, else the cache folder, else compiled from
    ``read_osm()`` and cached. Custom ``non_walkable`` highway sets are compiled, not cached
    on disk (the cache file is keyed by the file's hash only)."""
    if digest is None:
        return None
    non_walk = tuple(non_walkable or settings.NON_WALKABLE_HIGHWAYS)
    key = _key(digest, non_walk)
    with _LOCK:
        if key in _GRAPHS:
            return _GRAPHS[key]
    custom = sorted(non_walk) != sorted(settings.NON_WALKABLE_HIGHWAYS)
    g = None if custom else _load_cached(network.cache_path(cache_dir, digest))
    if g is None:
        data = read_osm()
        if data is None:
            return None
        g = network.graph_from_osm(data, None if custom else cache_dir, non_walkable=non_walk)
    with _LOCK:
        _GRAPHS[key] = g
    return g


def _load_cached(path: Path) -> network.WalkGraph | None:
    if not path.exists():
        return None
    try:
        return network.WalkGraph.load(path)
    except (OSError, ValueError, KeyError) as e:       # damaged cache file: compile again
        log.warning("street graph cache %s unreadable (%s); compiling again", path, e)
        return None


def clear() -> None:
    """Forget the graphs held in memory (tests; a new OSM file replaces the old)."""
    with _LOCK:
        _GRAPHS.clear()


def router(graph: network.WalkGraph | None, *, max_snap_m: float | None = None,
           min_component: int | None = None, detour: float | None = None) -> Router:
    """The router for ``graph``: over the street network, or crow-fly without a graph."""
    if graph is None or not graph.n_nodes:
        return network.CrowFlyRouter(settings.CROW_FLY_DETOUR if detour is None else detour)
    want = int(settings.MIN_COMPONENT_NODES if min_component is None else min_component)
    if graph.min_component != want:
        graph.min_component = want
        graph._snappable = None
        graph._tree = None
    return network.GraphRouter(graph, settings.MAX_SNAP_DISTANCE_M if max_snap_m is None
                               else max_snap_m)


def method_of(r) -> str:
    """How ``r`` measures: "network" or "straight-line" (what pages say)."""
    return NETWORK if r.kind == "network" else STRAIGHT_LINE


def minutes_to(r, origin_xy, points_xy, limit_min: float, speed_kmh: float | None = None
               ) -> np.ndarray:
    """Walking minutes from one point to each of ``points_xy`` (EPSG:27700), ``inf`` beyond
    ``limit_min``."""
    pts = np.asarray(points_xy, dtype=float).reshape(-1, 2)
    out = np.full(len(pts), np.inf)
    if not len(pts):
        return out
    mpm = network.metres_per_minute(speed_kmh or settings.WALK_SPEED_KMH)
    _, c, d = r.table(np.asarray([origin_xy], dtype=float), pts, limit_min * mpm)
    out[c] = d / mpm
    return out


def isochrones(r, x: float, y: float, minutes, *, speed_kmh: float | None = None,
               buffer_m: float | None = None) -> tuple[list, str]:
    """Walking isochrones (EPSG:27700) around a point, one per value of ``minutes``, and the
    method: over the network, or, where there is none or the point is off it, circles of
    the straight-line distance divided by the detour factor ("straight-line")."""
    minutes = [float(m) for m in np.atleast_1d(minutes)]
    speed = float(speed_kmh or settings.WALK_SPEED_KMH)
    if r.kind == "network":
        polys = network_isochrones(r.graph, x, y, minutes, speed, buffer_m, r.max_snap_m)
        if not all(p.is_empty for p in polys):
            return polys, NETWORK
    mpm = network.metres_per_minute(speed)
    detour = getattr(r, "detour", settings.CROW_FLY_DETOUR)
    return [shapely.Point(x, y).buffer(m * mpm / detour, quad_segs=16) for m in minutes], \
        STRAIGHT_LINE

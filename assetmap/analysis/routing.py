"""The one routing service: compiled street graphs and the routers every consumer uses.

One cache of compiled graphs in this process, keyed by the OSM file's SHA-256, the travel
mode ("walk" or "drive"; driving, a fingerprint of the drive settings too) and, walking,
the highway types left out; backed by the on-disk cache of :mod:`.network` (compiled
arrays, loaded in milliseconds). One router interface,
two kinds: :class:`network.GraphRouter` over the street network (``kind == "network"``) and
:class:`network.CrowFlyRouter`, straight lines times a detour factor (``kind ==
"crow-fly"``), used only where there is no network, and always said; both say their
``mode``. Walking routers answer in metres (the caller's walking speed makes minutes), the
driving network router in seconds; :func:`cost_per_minute` and the ``minutes_*`` helpers
turn either into minutes. The pipeline (access, E2SFCA, isochrones), the pages' on-demand
isochrones and distance searches, and outreach routes all come through here; nothing else
compiles a graph or builds a router. Errors are not swallowed: a damaged cache file is
recompiled, any other failure raises.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable

import numpy as np
import shapely

from .. import settings
from ..errors import InputError
from . import network, osmgraph
from .isochrones import isochrones as network_isochrones

log = logging.getLogger(__name__)

_GRAPHS: dict[str, network.WalkGraph] = {}
_LOCK = threading.Lock()

NETWORK = "network"
STRAIGHT_LINE = "straight-line"

#: What :func:`router` gives: both kinds answer ``nearest`` and ``table`` alike.
Router = network.GraphRouter | network.CrowFlyRouter


def check_mode(mode: str) -> str:
    if mode not in settings.TRAVEL_MODES:
        raise InputError(f"travel mode must be one of {', '.join(settings.TRAVEL_MODES)}, "
                         f"not '{mode}'", field="mode")
    return mode


def _key(digest: str, mode: str, non_walkable) -> str:
    extra = ",".join(sorted(non_walkable)) if mode == "walk" else ""
    return f"{digest}:{osmgraph.variant(mode)}:{extra}"


def compiled_graph(digest: str | None, read_osm: Callable[[], bytes | None], cache_dir: Path,
                   non_walkable=None, mode: str = "walk") -> network.WalkGraph | None:
    """The compiled ``mode`` graph of the OSM file with SHA-256 ``digest`` (None without a
    file): from this process's memory, else the cache folder, else compiled from
    ``read_osm()`` and cached. Custom ``non_walkable`` highway sets are compiled, not cached
    on disk (the cache file is keyed by the file's hash and the mode only)."""
    if digest is None:
        return None
    check_mode(mode)
    non_walk = tuple(non_walkable or settings.NON_WALKABLE_HIGHWAYS)
    key = _key(digest, mode, non_walk)
    with _LOCK:
        if key in _GRAPHS:
            return _GRAPHS[key]
    custom = mode == "walk" and sorted(non_walk) != sorted(settings.NON_WALKABLE_HIGHWAYS)
    g = None if custom else _load_cached(network.cache_path(cache_dir, digest, mode))
    if g is None:
        data = read_osm()
        if data is None:
            return None
        g = network.graph_from_osm(data, None if custom else cache_dir, non_walkable=non_walk,
                                   mode=mode)
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
           min_component: int | None = None, detour: float | None = None,
           mode: str | None = None) -> Router:
    """The router for ``graph`` (its own mode): over the street network, or crow-fly
    without a graph (for ``mode``, "walk" by default)."""
    if graph is None or not graph.n_nodes:
        return network.CrowFlyRouter(settings.CROW_FLY_DETOUR if detour is None else detour,
                                     mode=check_mode(mode or "walk"))
    graph.set_min_component(settings.MIN_COMPONENT_NODES if min_component is None
                            else min_component)
    return network.GraphRouter(graph, settings.MAX_SNAP_DISTANCE_M if max_snap_m is None
                               else max_snap_m)


def method_of(r) -> str:
    """How ``r`` measures: "network" or "straight-line" (what pages say)."""
    return NETWORK if r.kind == "network" else STRAIGHT_LINE


def cost_per_minute(r, speed_kmh: float | None = None) -> float:
    """How much of ``r``'s unit one minute buys: 60 seconds over a driving network, else
    metres per minute (at ``speed_kmh`` walking; at ``settings.DRIVE_CROW_FLY_SPEED_KMH``
    for a straight-line driving estimate)."""
    if getattr(r, "unit", "m") == "s":
        return 60.0
    if getattr(r, "mode", "walk") == "drive":
        return network.metres_per_minute(settings.DRIVE_CROW_FLY_SPEED_KMH)
    return network.metres_per_minute(speed_kmh or settings.WALK_SPEED_KMH)


def minutes_nearest(r, origins_xy, groups_xy, limit_min: float,
                    speed_kmh: float | None = None) -> np.ndarray:
    """(groups, origins) minutes from each origin to the nearest point of each group,
    ``inf`` beyond ``limit_min``."""
    per = cost_per_minute(r, speed_kmh)
    return r.nearest(origins_xy, groups_xy, limit_min * per) / per


def minutes_table(r, origins_xy, dest_xy, limit_min: float, speed_kmh: float | None = None):
    """Sparse origin x destination minutes within ``limit_min``: (rows, cols, minutes)."""
    per = cost_per_minute(r, speed_kmh)
    rows, cols, cost = r.table(origins_xy, dest_xy, limit_min * per)
    return rows, cols, cost / per


def minutes_to(r, origin_xy, points_xy, limit_min: float, speed_kmh: float | None = None
               ) -> np.ndarray:
    """Minutes from one point to each of ``points_xy`` (EPSG:27700), ``inf`` beyond
    ``limit_min``."""
    pts = np.asarray(points_xy, dtype=float).reshape(-1, 2)
    out = np.full(len(pts), np.inf)
    if not len(pts):
        return out
    _, c, m = minutes_table(r, np.asarray([origin_xy], dtype=float), pts, limit_min,
                            speed_kmh)
    out[c] = m
    return out


def isochrones(r, x: float, y: float, minutes, *, speed_kmh: float | None = None,
               buffer_m: float | None = None) -> tuple[list, str]:
    """Isochrones (EPSG:27700) around a point in ``r``'s mode, one per value of
    ``minutes``, and the method: over the network, or, where there is none or the point is
    off it, circles of the straight-line reach divided by the detour factor
    ("straight-line")."""
    minutes = [float(m) for m in np.atleast_1d(minutes)]
    speed = float(speed_kmh or settings.WALK_SPEED_KMH)
    if r.kind == "network":
        polys = network_isochrones(r.graph, x, y, minutes, speed, buffer_m, r.max_snap_m)
        if not all(p.is_empty for p in polys):
            return polys, NETWORK
    per = cost_per_minute(network.CrowFlyRouter(mode=r.mode), speed)
    detour = getattr(r, "detour", settings.CROW_FLY_DETOUR)
    return [shapely.Point(x, y).buffer(m * per / detour, quad_segs=16) for m in minutes], \
        STRAIGHT_LINE

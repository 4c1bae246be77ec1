"""Walking times on demand for pages: isochrones and point-to-assets times from the cached
compiled street graph (never a rebuild in a request), or, where the area has no street
network, straight-line distance times a detour factor (and the page says so)."""
from __future__ import annotations

import logging
import threading

import numpy as np
import shapely
import shapely.ops
from pyproj import Transformer

from .. import settings

log = logging.getLogger(__name__)

_to_bng = Transformer.from_crs(settings.STORAGE_CRS, settings.ANALYSIS_CRS, always_xy=True)
_to_wgs = Transformer.from_crs(settings.ANALYSIS_CRS, settings.STORAGE_CRS, always_xy=True)
_lock = threading.Lock()
_graphs: dict[tuple, object] = {}


def metres_per_minute(speed_kmh: float | None = None) -> float:
    return (speed_kmh or settings.WALK_SPEED_KMH) * 1000.0 / 60.0


def detour() -> float:
    return float(getattr(settings, "CROW_FLY_DETOUR", 1.3))


def walk_graph(store, analysis=None):
    """The compiled walking graph of the store's data, or None. Asks the pipeline (which
    knows where it cached the graph); loaded once per data version."""
    key = (store.url, store.data_version())
    with _lock:
        if key in _graphs:
            return _graphs[key]
    g = None
    try:
        from .. import pipeline
        g = pipeline.load_graph(store)
    except ImportError:
        pass
    except Exception as e:   # no network for this area, or a damaged cache
        log.info("no walking graph: %s", e)
    if g is None and analysis is not None:
        g = getattr(analysis, "graph", None)
    with _lock:
        for k in [k for k in _graphs if k[0] == store.url]:
            del _graphs[k]
        _graphs[key] = g
    return g


def to_bng(lon, lat):
    x, y = _to_bng.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x), np.asarray(y)


def isochrones(store, lon: float, lat: float, minutes=None, analysis=None) -> tuple[dict, str]:
    """{minutes: WGS84 polygon} around a point, and the method ("network" or "straight-line")."""
    minutes = list(minutes or settings.ISOCHRONE_MINUTES)
    x, y = (float(v) for v in to_bng(lon, lat))
    g = walk_graph(store, analysis)
    polys, method = None, "network"
    if g is not None:
        try:
            from ..analysis import network
            polys = network.isochrones(g, x, y, minutes)
            if all(p.is_empty for p in polys):
                polys = None
        except Exception as e:
            log.warning("isochrone failed: %s", e)
            polys = None
    if polys is None:
        method = "straight-line"
        mpm = metres_per_minute()
        polys = [shapely.Point(x, y).buffer(m * mpm / detour(), quad_segs=16) for m in minutes]
    out = {}
    for m, p in zip(minutes, polys):
        out[int(m)] = shapely.ops.transform(lambda a, b, z=None: _to_wgs.transform(a, b), p) \
            if not p.is_empty else p
    return out, method


def walk_minutes(store, lon: float, lat: float, points_lon, points_lat, limit_min: float,
                 analysis=None) -> tuple[np.ndarray, str]:
    """Minutes from one point to each point (inf beyond ``limit_min``) and the method."""
    px, py = to_bng(points_lon, points_lat)
    ox, oy = (float(v) for v in to_bng(lon, lat))
    n = len(px)
    res = np.full(n, np.inf)
    if n == 0:
        return res, "network"
    mpm = metres_per_minute()
    limit_m = limit_min * mpm
    g = walk_graph(store, analysis)
    if g is not None:
        try:
            from ..analysis import network
            router = network.GraphRouter(g)
            r, c, d = router.table(np.array([[ox, oy]]), np.column_stack([px, py]), limit_m)
            res[c] = d / mpm
            return res, "network"
        except Exception as e:
            log.warning("walking times failed: %s", e)
    d = np.hypot(px - ox, py - oy) * detour()
    res = np.where(d <= limit_m, d / mpm, np.inf)
    return res, "straight-line"

"""The street network of a store and on-demand questions (isochrones around a point,
walking or driving minutes to points), through the one routing service
(:mod:`..analysis.routing`). Every function takes ``mode="walk"`` (default) or
``mode="drive"``: the same OSM file gives both graphs, each cached by the file's digest and
the mode."""
from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np

from .. import settings
from ..analysis import coverage, network, routing
from ..errors import InputError, NoData
from .params import resolve_params
from .steps import _xy

log = logging.getLogger(__name__)


def graph_cache_dir(store, params: dict | None = None) -> Path:
    d = (params or {}).get("graph_cache_dir") or settings.GRAPH_CACHE_DIR
    if d:
        return Path(d)
    url = getattr(store, "url", "") or ""
    if url.startswith("sqlite:///") and url[len("sqlite:///"):] not in ("", ":memory:"):
        return Path(url[len("sqlite:///"):]).resolve().parent / "cache"
    return Path(settings.INSTANCE_DIR) / "cache"


def load_graph(store, params: dict | None = None, mode: str = "walk"
               ) -> network.WalkGraph | None:
    """The store's compiled ``mode`` graph (None without an OSM file), from
    :func:`routing.compiled_graph`'s cache."""
    def read_osm():
        blob = store.get_blob("osm")
        return None if blob is None else blob[0]
    non_walk = (params or {}).get("non_walkable_highways") or settings.NON_WALKABLE_HIGHWAYS
    return routing.compiled_graph(store.blob_hash("osm"), read_osm,
                                  graph_cache_dir(store, params), non_walk, mode=mode)


def router_for(store, params: dict | None = None, mode: str = "walk"):
    """The router every consumer of this store uses for ``mode`` ("walk" or "drive",
    ``router.mode``): over its street network, or crow-fly (``router.kind``) where it has
    none. Walking routers answer in metres, driving network routers in seconds
    (``router.unit``; :func:`routing.minutes_table` and friends give minutes)."""
    p = resolve_params(params)
    routing.check_mode(mode)
    try:
        graph = load_graph(store, p, mode)
    except InputError as e:   # an unusable stored network: pages answer in straight lines, said
        log.warning("the street network cannot be used; straight-line estimates: %s", e)
        graph = None
    return routing.router(graph, max_snap_m=p["max_snap_distance_m"],
                          min_component=p["min_component_nodes"], detour=p["crow_fly_detour"],
                          mode=mode)


def _bng(lon, lat) -> np.ndarray:
    pts = gpd.GeoSeries(gpd.points_from_xy(np.atleast_1d(lon), np.atleast_1d(lat)),
                        crs=settings.STORAGE_CRS)
    return _xy(pts)


def isochrones_at(store, lon: float, lat: float, minutes=None, *,
                  speed_kmh: float | None = None, params: dict | None = None,
                  mode: str = "walk") -> tuple[gpd.GeoDataFrame, str]:
    """Walking (or ``mode="drive"``: driving) isochrones (EPSG:4326, one row per minutes
    value, ``settings.ISOCHRONE_MINUTES`` by default) around a longitude/latitude, and the
    method: "network", or "straight-line" where the store has no street network or the
    point is off it."""
    p = resolve_params(params)
    minutes = [float(m) for m in np.atleast_1d(p["isochrone_minutes"] if minutes is None
                                               else minutes)]
    x, y = _bng(lon, lat)[0]
    polys, method = routing.isochrones(router_for(store, p, mode), x, y, minutes,
                                       speed_kmh=speed_kmh or p["walk_speed_kmh"],
                                       buffer_m=p["isochrone_buffer_m"])
    gdf = gpd.GeoDataFrame({"minutes": minutes}, geometry=[g.simplify(5.0) for g in polys],
                           crs=settings.ANALYSIS_CRS)
    return gdf.to_crs(settings.STORAGE_CRS), method


def isochrone(store, lon: float, lat: float, minutes=None, *, speed_kmh: float | None = None,
              params: dict | None = None, mode: str = "walk") -> gpd.GeoDataFrame:
    """Isochrones over the street network only (:class:`NoData` without one)."""
    if store.blob_hash("osm") is None:
        raise NoData("the store holds no street network: import an OSM file first")
    return isochrones_at(store, lon, lat, minutes, speed_kmh=speed_kmh, params=params,
                         mode=mode)[0]


def walk_minutes(store, lon: float, lat: float, points_lon, points_lat, limit_min: float,
                 params: dict | None = None, *, mode: str = "walk") -> tuple[np.ndarray, str]:
    """Walking (or ``mode="drive"``: driving) minutes from a longitude/latitude to each
    point (``inf`` beyond ``limit_min``) and the method: "network", or "straight-line" where
    the store has no street network or the point is off it (a pair with an end off the
    network is measured in a straight line, as the run measures it:
    :class:`..analysis.coverage.FallbackRouter`)."""
    p = resolve_params(params)
    r = router_for(store, p, mode)
    fb = coverage.FallbackRouter(r, getattr(r, "graph", None), max_snap_m=p["max_snap_distance_m"],
                                 detour=p["crow_fly_detour"])
    origin = _bng(lon, lat)[0]
    pts = _bng(points_lon, points_lat) if len(np.atleast_1d(points_lon)) else np.zeros((0, 2))
    mins = routing.minutes_to(fb, origin, pts, limit_min, p["walk_speed_kmh"])
    covered = r.kind == "network" and bool(fb.covers(origin[None, :])[0])
    return mins, routing.NETWORK if covered else routing.STRAIGHT_LINE

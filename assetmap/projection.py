"""Between stored coordinates (longitude and latitude, ``settings.STORAGE_CRS``) and the
analysis grid (British National Grid metres, ``settings.ANALYSIS_CRS``): the two pyproj
transformers every module uses, each made once a process, when first asked for.

PROJ takes 60-80 ms to make a transformer (it weighs every operation between the two
systems); modules and objects that made their own paid that again each time (five times in
a demo ``analyse``, and once for every area cover a page built). pyproj's transformers are
safe to share between threads.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from pyproj import Transformer

from .settings import ANALYSIS_CRS, STORAGE_CRS


@lru_cache(maxsize=None)
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def to_grid() -> Transformer:
    """Longitude/latitude to British National Grid: ``to_grid().transform(lon, lat)``."""
    return _transformer(STORAGE_CRS, ANALYSIS_CRS)


def to_lonlat() -> Transformer:
    """British National Grid to longitude/latitude: ``to_lonlat().transform(x, y)``."""
    return _transformer(ANALYSIS_CRS, STORAGE_CRS)


def _apply(transformer: Transformer, geoms):
    return shapely.transform(geoms, lambda c: np.column_stack(
        transformer.transform(c[:, 0], c[:, 1])))


def geoms_to_grid(geoms):
    """Geometries (one, or an array) in longitude/latitude moved to British National Grid."""
    return _apply(to_grid(), geoms)


def geoms_to_lonlat(geoms):
    """Geometries (one, or an array) in British National Grid moved to longitude/latitude."""
    return _apply(to_lonlat(), geoms)


def grid_xy(points) -> tuple[np.ndarray, np.ndarray]:
    """British National Grid x and y of a GeoSeries of points in stored longitude/latitude
    (no CRS: taken as stored), or in any CRS geopandas can move."""
    if points.crs is not None and points.crs != STORAGE_CRS:
        g = points.to_crs(ANALYSIS_CRS)
        return g.x.to_numpy(dtype=float), g.y.to_numpy(dtype=float)
    x, y = to_grid().transform(points.x.to_numpy(dtype=float), points.y.to_numpy(dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)

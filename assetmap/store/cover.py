"""The area the store covers, as a point test: how far (metres) a point lies outside the
stored areas. Importers use it to keep assets just across the boundary as cross-border
supply (``settings.CROSS_BORDER_BUFFER_KM``) and refuse those farther away; reads use it to
flag them (``cross_border`` in :meth:`~assetmap.store.assets.AssetsMixin.read_assets`), so
the flag always follows the stored boundary and no column can go stale.

No union of the areas is built (slow for a whole country): points are tested against the
areas through an STR-tree, and only the areas near a point outside are projected to
British National Grid to measure the distance.
"""
from __future__ import annotations

import math

import numpy as np
import shapely

from ..projection import geoms_to_grid, to_grid

#: Points this close (metres) outside the stored areas count as inside (digitising
#: differences between boundary files); the importers' ``io.common.AREA_TOLERANCE_M``.
EDGE_TOLERANCE_M = 100.0
#: Metres per degree of latitude (a little under, so candidate boxes are never too small).
_M_PER_DEG = 110_000.0


class AreaCover:
    """Stored area polygons (EPSG:4326) as a distance-to-the-boundary test."""

    def __init__(self, geometries) -> None:
        geoms = np.asarray(shapely.make_valid(np.asarray(geometries, dtype=object)))
        self.geoms = geoms
        self.tree = shapely.STRtree(geoms)
        self._projected: dict[int, object] = {}
        self.bounds = tuple(shapely.total_bounds(geoms)) if len(geoms) else None

    def _bng(self, i: int):
        g = self._projected.get(i)
        if g is None:
            g = self._projected[i] = geoms_to_grid(self.geoms[i])
        return g

    def distance_m(self, lon, lat, *, within_m: float) -> np.ndarray:
        """Metres from each point to the nearest stored area: 0 inside, ``inf`` when
        farther than ``within_m`` (only nearby areas are measured)."""
        lon = np.asarray(lon, dtype=float).reshape(-1)
        lat = np.asarray(lat, dtype=float).reshape(-1)
        out = np.full(len(lon), np.inf)
        if not len(lon) or not len(self.geoms):
            return out
        pts = shapely.points(lon, lat)
        hit = self.tree.query(pts, predicate="intersects")
        out[np.unique(hit[0])] = 0.0
        rest = np.flatnonzero(out > 0)
        if rest.size and within_m > 0:
            self._measure(out, rest, lon, lat, within_m)
        return out

    def _measure(self, out: np.ndarray, rest: np.ndarray, lon, lat, within_m: float) -> None:
        """Fill ``out[rest]`` with the distance to the nearest area within ``within_m``."""
        dlat = within_m / _M_PER_DEG
        dlon = np.array([dlat / max(0.05, math.cos(math.radians(min(89.0, abs(y) + dlat))))
                         for y in lat[rest]])
        boxes = shapely.box(lon[rest] - dlon, lat[rest] - dlat, lon[rest] + dlon,
                            lat[rest] + dlat)
        pi, gi = self.tree.query(boxes, predicate="intersects")
        if not len(pi):
            return
        x, y = to_grid().transform(lon[rest], lat[rest])
        pts = shapely.points(np.asarray(x), np.asarray(y))
        d = shapely.distance(pts[pi], np.array([self._bng(int(i)) for i in gi], dtype=object))
        best = np.full(len(rest), np.inf)
        np.minimum.at(best, pi, d)
        best[best > within_m] = np.inf
        out[rest] = best

    def outside(self, lon, lat, *, tolerance_m: float = EDGE_TOLERANCE_M) -> np.ndarray:
        """True for points more than ``tolerance_m`` outside every stored area."""
        return self.distance_m(lon, lat, within_m=tolerance_m) > tolerance_m

"""Shared helpers for layers: display-ready geometry."""
from __future__ import annotations

import geopandas as gpd
import shapely

from .. import settings


def display_frame(gdf: gpd.GeoDataFrame, columns, tolerance_m: float = settings.SIMPLIFY_TOLERANCE_M,
                  decimals: int = settings.MAP_COORD_DECIMALS) -> gpd.GeoDataFrame:
    """Simplified (topology-preserving, in metres), rounded WGS84 geometry with only
    ``columns`` kept: small pages."""
    keep = [c for c in columns if c in gdf.columns]
    out = gdf[keep + [gdf.geometry.name]].copy()
    geom = out.geometry
    if tolerance_m and geom.geom_type.isin(["Polygon", "MultiPolygon", "LineString"]).any():
        geom = geom.to_crs(settings.ANALYSIS_CRS).simplify(tolerance_m, preserve_topology=True)
        geom = geom.to_crs(settings.STORAGE_CRS)
    out = gpd.GeoDataFrame(out.drop(columns=out.geometry.name),
                           geometry=shapely.set_precision(geom.values, 10 ** -decimals),
                           crs=settings.STORAGE_CRS)
    return out

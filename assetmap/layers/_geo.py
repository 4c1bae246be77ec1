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


def polygon_layer(gdf: gpd.GeoDataFrame, *, name: str, style, tips, popups=None, show: bool = True,
                  highlight: bool = True, extra: dict | None = None):
    """A GeoJson overlay of polygons with only small properties: ``tip`` and ``pop`` (trusted,
    already escaped HTML), ``code`` and any ``extra`` columns (name -> list) used by ``style``
    (a function of the feature's properties). Returns a FeatureGroup holding it."""
    import folium
    props = gpd.GeoDataFrame({"tip": list(tips)}, geometry=gdf.geometry.values, crs=gdf.crs)
    if popups is not None:
        props["pop"] = list(popups)
    if "code" in gdf:
        props["code"] = gdf["code"].values
    for k, v in (extra or {}).items():
        props[k] = list(v)
    group = folium.FeatureGroup(name=name, show=show)
    gj = folium.GeoJson(
        props.to_json(drop_id=True),
        name=name,
        style_function=lambda f: style(f["properties"]),
        highlight_function=(lambda f: {"weight": 3, "color": "#000000"}) if highlight else None,
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
        popup=folium.GeoJsonPopup(fields=["pop"], labels=False) if popups is not None else None,
        smooth_factor=1.0,
    )
    gj.add_to(group)
    return group

"""A light vector basemap from the store's own OpenStreetMap file: streets, paths, railways,
water and green space as GeoJSON, for maps that have no tile server (offline or intranet
installs).

Ways are classed by their tags (:data:`KINDS`); closed ways of water and green space become
polygons, other ways lines. Multipolygon relations (large lakes, some parks) are left out: the
basemap is a backdrop for finding one's way, not a map of record. Geometry is simplified by
``tolerance_m`` metres and rounded to ``decimals`` places (5: about 1 m) to keep it small.
"""
from __future__ import annotations

import json

import geopandas as gpd
import shapely
from shapely.geometry import LineString, Polygon

from .. import settings
from ..errors import InputError

MAJOR = {"motorway", "trunk", "primary", "secondary", "tertiary", "motorway_link",
         "trunk_link", "primary_link", "secondary_link", "tertiary_link"}
MINOR = {"residential", "unclassified", "living_street", "service", "road"}
PATH = {"footway", "path", "cycleway", "pedestrian", "track", "steps", "bridleway"}
RAIL = {"rail", "light_rail", "tram", "narrow_gauge", "subway"}
WATERWAY = {"river", "stream", "canal", "drain"}
GREEN_LEISURE = {"park", "garden", "nature_reserve", "common", "recreation_ground"}
GREEN_LANDUSE = {"grass", "meadow", "forest", "recreation_ground", "village_green",
                 "allotments", "cemetery"}

#: Basemap feature kinds, in drawing order (first = bottom).
KINDS = ("green", "water", "waterway", "path", "minor", "major", "rail")


def kind_of(tags: dict, closed: bool) -> str | None:
    """The basemap kind of a way with ``tags`` (None: not drawn)."""
    hw = tags.get("highway")
    if hw in MAJOR:
        return "major"
    if hw in MINOR:
        return "minor"
    if hw in PATH:
        return "path"
    if tags.get("railway") in RAIL:
        return "rail"
    if closed and (tags.get("natural") == "water" or tags.get("waterway") == "riverbank"
                   or tags.get("landuse") in ("reservoir", "basin")):
        return "water"
    if tags.get("waterway") in WATERWAY:
        return "waterway"
    if closed and (tags.get("leisure") in GREEN_LEISURE or tags.get("landuse") in GREEN_LANDUSE
                   or tags.get("natural") in ("wood", "grassland", "heath")):
        return "green"
    return None


def _ways(data: bytes, fmt: str) -> list[tuple[str, object]]:
    import osmium

    out: list[tuple[str, object]] = []

    class Ways(osmium.SimpleHandler):
        def way(self, w):
            nodes = w.nodes
            if len(nodes) < 2:
                return
            closed = nodes.is_closed() and len(nodes) >= 4
            kind = kind_of({t.k: t.v for t in w.tags}, closed)
            if kind is None:
                return
            try:
                coords = [(n.lon, n.lat) for n in nodes]
            except osmium.InvalidLocationError:      # a node outside the extract
                return
            polygon = kind in ("water", "green")
            out.append((kind, Polygon(coords) if polygon else LineString(coords)))

    try:
        Ways().apply_buffer(data, fmt, locations=True)
    except RuntimeError as e:
        raise InputError(f"the stored street network could not be read for the basemap: {e}",
                         file="osm") from None
    return out


def osm_format(data: bytes) -> str:
    """pyosmium's format name for OSM bytes: bz2-compressed XML, PBF or XML."""
    if data[:3] == b"BZh":
        return "osm.bz2"
    if data.lstrip()[:1] == b"<":
        return "osm"
    return "pbf"


def basemap_geojson(data: bytes | None, *, tolerance_m: float = 3.0,
                    decimals: int = settings.MAP_COORD_DECIMALS) -> dict:
    """The basemap of OSM file bytes ``data`` as a GeoJSON FeatureCollection (empty without
    data); each feature's only property is its ``kind``."""
    if not data:
        return {"type": "FeatureCollection", "features": []}
    ways = _ways(data, osm_format(data))
    if not ways:
        return {"type": "FeatureCollection", "features": []}
    order = {k: i for i, k in enumerate(KINDS)}
    ways.sort(key=lambda kw: order[kw[0]])
    g = gpd.GeoSeries([w for _, w in ways], crs=settings.STORAGE_CRS)
    g = g.to_crs(settings.ANALYSIS_CRS).simplify(tolerance_m).to_crs(settings.STORAGE_CRS)
    geoms = shapely.set_precision(g.values, 10 ** -decimals)
    features = [{"type": "Feature", "properties": {"kind": k},
                 "geometry": json.loads(shapely.to_geojson(geom))}
                for (k, _), geom in zip(ways, geoms) if geom is not None and not geom.is_empty]
    return {"type": "FeatureCollection", "features": features}

"""Walking access: minutes to the nearest asset of a category per area (choropleth) and
walking isochrones (5/10/15 minutes), either drawn from given polygons or filled on demand in
the browser from the isochrone endpoint (see web/static/assetmap.js)."""
from __future__ import annotations

import json

import folium
import numpy as np
from branca.element import MacroElement
from folium.template import Template

from .. import settings
from ..model import ASSET_CATEGORIES
from ._geo import polygon_layer
from ._legend import add_legend, swatch_rows
from ._style import NO_DATA, esc, fmt, js_json

#: Minutes bands (upper bound, colour): short walks light, long walks dark (YlOrBr, CB safe).
MINUTE_BANDS = [(5, "#ffffd4"), (10, "#fed98e"), (15, "#fe9929"), (20, "#d95f0e"),
                (float("inf"), "#993404")]
ISOCHRONE_COLOURS = {5: "#0072B2", 10: "#56B4E9", 15: "#CCE6F4", 20: "#EEF6FB"}


def band_colour(minutes) -> str:
    try:
        v = float(minutes)
    except (TypeError, ValueError):
        return NO_DATA
    if not np.isfinite(v):
        return NO_DATA
    for upper, col in MINUTE_BANDS:
        if v <= upper:
            return col
    return MINUTE_BANDS[-1][1]


def add_to(m, areas, minutes, *, category: str, name: str | None = None, show: bool = False,
           legend: bool = True):
    """Choropleth of walking minutes to the nearest asset of ``category``; ``minutes`` is a
    sequence aligned with ``areas``."""
    label = ASSET_CATEGORIES.get(category, "social asset" if category == "social" else category)
    name = name or f"Walking minutes to nearest {label.lower()}"
    mins = list(minutes)
    tips = [f"<strong>{esc(n)}</strong><br>{fmt(v, 0)} min walk to nearest {esc(label.lower())}"
            for n, v in zip(areas["name"], mins)]
    fills = [band_colour(v) for v in mins]
    group = polygon_layer(areas, m=m, name=name, style=lambda p: {
        "fillColor": p["fill"], "color": "#666666", "weight": 0.5, "fillOpacity": 0.7},
        tips=tips, show=show, extra={"fill": fills})
    group.add_to(m)
    if legend:
        rows, lo = [], 0
        for upper, col in MINUTE_BANDS:
            rows.append((col, f"{lo}–{int(upper)} min" if np.isfinite(upper) else f"over {lo} min"))
            lo = int(upper) if np.isfinite(upper) else lo
        rows.append((NO_DATA, "Not reachable / no data"))
        add_legend(m, group, name, swatch_rows(rows) +
                   f'<div class="am-legend-note">Walking at {settings.WALK_SPEED_KMH:g} km/h from '
                   'population-weighted points.</div>', open_=False)
    return group


def isochrone_geojson(polygons, *, label: str = "", method: str = "network") -> dict:
    """GeoJSON FeatureCollection, largest first, from {minutes: shapely polygon (WGS84)} or
    an isochrones frame (minutes, geometry)."""
    import shapely
    if hasattr(polygons, "geometry"):
        polygons = dict(zip(polygons["minutes"], polygons.geometry))
    feats = []
    for minutes in sorted(polygons, reverse=True):
        geom = polygons[minutes]
        if geom is None or geom.is_empty:
            continue
        geom = shapely.set_precision(geom, 10 ** -settings.MAP_COORD_DECIMALS)
        feats.append({"type": "Feature", "geometry": shapely.geometry.mapping(geom),
                      "properties": {"minutes": int(minutes), "label": label, "method": method,
                                     "colour": ISOCHRONE_COLOURS.get(int(minutes), "#CCE6F4")}})
    return {"type": "FeatureCollection", "features": feats}


def isochrone_legend_html(note: str = "") -> str:
    rows = [(ISOCHRONE_COLOURS[mn], f"within {mn} min walk") for mn in settings.ISOCHRONE_MINUTES
            if mn in ISOCHRONE_COLOURS]
    return swatch_rows(rows) + (f'<div class="am-legend-note">{esc(note)}</div>' if note else "")


class _IsochroneGroup(MacroElement):
    """Registers the group so assetmap.js can fill it on demand."""
    _template = Template("""
        {% macro script(this, kwargs) %}
        window.assetmapLayers = window.assetmapLayers || {};
        window.assetmapLayers.isochrones = {{ this._parent.get_name() }};
        window.assetmapLayers.isochroneUrl = {{ this.url_js }};
        {% endmacro %}
    """)

    def __init__(self, url):
        super().__init__()
        self.url = url
        self.url_js = js_json(url)


def add_isochrones(m, geojson: dict | None = None, *, name: str = "Walking isochrones",
                   show: bool = False, url: str | None = None, legend: bool = True):
    """A group of walking isochrones: drawn from ``geojson`` now, and/or (with ``url``) filled
    in the browser: clicking the map while the layer is on asks ``url?lat=..&lon=..``."""
    group = folium.FeatureGroup(name=name, show=show)
    if geojson and geojson.get("features"):
        folium.GeoJson(json.dumps(geojson), style_function=lambda f: {
            "fillColor": f["properties"]["colour"], "color": "#0072B2", "weight": 1,
            "fillOpacity": 0.35}, tooltip=folium.GeoJsonTooltip(
                fields=["minutes"], aliases=["Minutes walk"])).add_to(group)
    if url:
        group.add_child(_IsochroneGroup(url))
    group.add_to(m)
    if legend:
        note = "Click the map to see how far someone can walk from there." if url else ""
        add_legend(m, group, name, isochrone_legend_html(note))
    return group

"""Walking access: minutes to the nearest asset of a category per area (choropleth banded to
three hours; walks not reached within the search cap as "more than N minutes"; areas the
street network does not cover outlined dashed, their times straight-line estimates) and
walking isochrones (5/10/15 minutes), either drawn from given polygons or filled on demand
in the browser from the isochrone endpoint (see web/static/assetmap.js)."""
from __future__ import annotations

import json

import folium
import numpy as np
from branca.element import MacroElement
from folium.template import Template

from .. import settings
from ..model import ASSET_CATEGORIES
from . import areadata
from ._legend import add_legend, swatch_rows
from ._style import NO_DATA, esc, fmt, js_json

#: "social" and "essential" rows of the access results.
CATEGORY_LABELS = {"social": "social asset",
                   "essential": "essential services (GP, pharmacy, food shop combined)"}
#: Minutes bands (upper bound, colour): short walks light, long walks dark (ColorBrewer
#: YlOrBr, 9 classes, colour-blind safe). Bands run to three hours so a 70-minute and a
#: 3-hour walk differ; walks not reached within the search cap have their own darkest class.
MINUTE_BANDS = [(5, "#ffffe5"), (10, "#fff7bc"), (15, "#fee391"), (20, "#fec44f"),
                (30, "#fe9929"), (60, "#ec7014"), (120, "#cc4c02"), (180, "#993404")]
BEYOND_COLOUR = "#662506"
ISOCHRONE_COLOURS = {5: "#0072B2", 10: "#56B4E9", 15: "#CCE6F4", 20: "#EEF6FB"}
#: Outline of an area whose walks are straight-line estimates (the street network does not
#: cover it): dashed, so it reads as an estimate on any fill.
OFF_NETWORK_DASH = "4 3"
OFF_NETWORK_TIP = "straight-line estimate: the street network does not cover this area"


def bands(cap: float | None = None) -> list[tuple[float, str]]:
    """The minutes bands up to the search cap (``settings.ACCESS_MAX_MINUTES``), the last
    ending at the cap."""
    cap = float(settings.ACCESS_MAX_MINUTES if cap is None else cap)
    out = [(u, c) for u, c in MINUTE_BANDS if u < cap]
    return out + [(cap, MINUTE_BANDS[min(len(out), len(MINUTE_BANDS) - 1)][1])]


def band_colour(minutes, beyond: bool = False, cap: float | None = None) -> str:
    """The fill of a minutes value: its band, or the "more than the cap" class when the walk
    was not reached within the cap (``beyond`` and at the cap)."""
    try:
        v = float(minutes)
    except (TypeError, ValueError):
        return NO_DATA
    if not np.isfinite(v):
        return NO_DATA
    bs = bands(cap)
    if (beyond and v >= bs[-1][0]) or v > bs[-1][0]:
        return BEYOND_COLOUR
    for upper, col in bs:
        if v <= upper:
            return col
    return BEYOND_COLOUR


def minutes_text(minutes, beyond: bool = False) -> str:
    """"12 min", or "more than 180 min" where the value counts a walk not reached within the
    cap (a lower bound, never a made-up time)."""
    text = fmt(minutes, 0)
    return f"more than {text} min" if beyond and text != "–" else f"{text} min"


def _flags(values, n: int) -> list[bool]:
    if values is None:
        return [False] * n
    return [bool(v) if v is not None and v == v else False for v in values]


def _legend_html(cap: float | None, any_off: bool) -> str:
    rows, lo = [], 0.0
    for upper, col in bands(cap):
        rows.append((col, f"{lo:g}–{upper:g} min"))
        lo = upper
    rows.append((BEYOND_COLOUR, f"more than {lo:g} min (not reached)"))
    rows.append((NO_DATA, "No data"))
    note = (f'<div class="am-legend-note">Walking at {settings.WALK_SPEED_KMH:g} km/h from '
            'population-weighted points.</div>')
    if any_off:
        note += ('<div class="am-legend-note">Dashed outline: straight-line estimate, the '
                 'street network does not cover the area.</div>')
    return swatch_rows(rows) + note


def layer_name(category: str) -> tuple[str, str]:
    """(layer name, "nearest library" or the like) for ``category``."""
    label = CATEGORY_LABELS.get(category) or ASSET_CATEGORIES.get(category, category).lower()
    to = label if category == "essential" else f"nearest {label}"
    return f"Walking minutes to {to}", to


def layer(minutes, *, category: str, name: str | None = None, beyond=None, off_network=None,
          cap: float | None = None) -> areadata.AreaLayer:
    """The access layer's data: ``minutes`` aligned with the areas, ``beyond`` (walk not
    reached within the cap ``cap``) and ``off_network`` (straight-line estimate) flags
    likewise."""
    default, to = layer_name(category)
    name = name or default
    mins = list(minutes)
    far = _flags(beyond, len(mins))
    off = _flags(off_network, len(mins))
    tips = [f"{minutes_text(v, b)} walk to {to}" + (("\n" + OFF_NETWORK_TIP) if o else "")
            for v, b, o in zip(mins, far, off)]
    fills = [band_colour(v, b, cap) for v, b in zip(mins, far)]
    lay = areadata.make_layer("access", lambda p: {
        "fillColor": p["fill"], "color": "#666666", "weight": 1.2 if p["off"] else 0.5,
        "fillOpacity": 0.7, **({"dashArray": OFF_NETWORK_DASH} if p["off"] else {})},
        tips=tips, props={"fill": fills, "off": off}, legend_title=name,
        legend=_legend_html(cap, any(off)), open_=False)
    lay.popup = False
    return lay


def add_to(m, areas, minutes, *, category: str, name: str | None = None, show: bool = False,
           legend: bool = True, beyond=None, off_network=None, cap: float | None = None,
           url: str | None = None):
    """Choropleth of walking minutes to the nearest asset of ``category`` (see
    :func:`layer`)."""
    lay = layer(minutes, category=category, name=name, beyond=beyond, off_network=off_network,
                cap=cap)
    return areadata.draw(m, areas, lay, name=lay.legend_title, show=show, link_template=None,
                         legend=legend, url=url)


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

"""Shared helpers for layers: display-ready geometry."""
from __future__ import annotations

import geopandas as gpd
import shapely
from branca.element import MacroElement
from folium.template import Template

from .. import settings
from ._style import js_json


def display_frame(gdf: gpd.GeoDataFrame, columns,
                  tolerance_m: float = settings.SIMPLIFY_TOLERANCE_M,
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


class SharedGeometry(MacroElement):
    """Polygons written into the page once (a JS variable) and drawn by any number of layers
    (needs, access, gaps, hotspots...), each carrying only its styles and texts."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = {{ this.data_js }};
        {% endmacro %}
    """)

    def __init__(self, geojson: dict):
        super().__init__()
        self._name = "SharedGeometry"
        self.data_js = js_json(geojson)


class PolygonData(MacroElement):
    """Draws SharedGeometry into its parent group with per-feature style index, tooltip and
    popup (trusted, already escaped HTML)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var styles = {{ this.styles_js }}, rows = {{ this.rows_js }};
            L.geoJson({{ this.shared.get_name() }}, {
                style: function (f) { var r = rows[f.properties.i]; return styles[r ? r[0] : 0]; },
                onEachFeature: function (f, layer) {
                    var r = rows[f.properties.i];
                    if (!r) { return; }
                    if (r[1]) { layer.bindTooltip(r[1], {sticky: true}); }
                    if (r[2]) { layer.bindPopup(r[2], {maxWidth: 320}); }
                    {% if this.highlight %}
                    layer.on('mouseover', function () {
                        layer.setStyle({weight: 3, color: '#000000'});
                    });
                    layer.on('mouseout', function () { layer.setStyle(styles[r[0]]); });
                    {% endif %}
                }
            }).addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, shared, styles, rows, highlight=True):
        super().__init__()
        self._name = "PolygonData"
        self.shared, self.highlight = shared, highlight
        self.styles_js, self.rows_js = js_json(styles), js_json(rows)


def shared_geometry(m, gdf: gpd.GeoDataFrame) -> SharedGeometry:
    """The map's SharedGeometry for these polygons (created on first use). Frames with the
    same codes share one copy."""
    import json
    reg = m.__dict__.setdefault("_am_shared", {})
    key = ("codes", tuple(gdf["code"])) if "code" in gdf else ("id", id(gdf))
    if key not in reg:
        geo = gpd.GeoDataFrame({"i": range(len(gdf))}, geometry=gdf.geometry.values, crs=gdf.crs)
        el = SharedGeometry(json.loads(geo.to_json(drop_id=True)))
        m.add_child(el)
        reg[key] = el
    return reg[key]


def polygon_layer(gdf: gpd.GeoDataFrame, *, name: str, style, tips, popups=None, show: bool = True,
                  highlight: bool = True, extra: dict | None = None, m=None):
    """An overlay of polygons carrying only small per-feature data: ``tips``/``popups``
    (trusted, already escaped HTML) and a style from ``style(props)`` where props holds the
    ``extra`` columns (name -> list). With ``m``, geometry is shared with other layers of the
    same areas on that map. Returns a FeatureGroup (not yet added to the map)."""
    import json

    import folium
    n = len(gdf)
    extra = extra or {}
    tips = list(tips)
    pops = list(popups) if popups is not None else [""] * n
    style_index: dict[str, int] = {}
    styles: list[dict] = []
    rows: list = []
    for i in range(n):
        props = {k: v[i] for k, v in extra.items()}
        st = style(props)
        key = json.dumps(st, sort_keys=True)
        if key not in style_index:
            style_index[key] = len(styles)
            styles.append(st)
        rows.append([style_index[key], tips[i], pops[i]])
    group = folium.FeatureGroup(name=name, show=show)
    if m is not None:
        shared = shared_geometry(m, gdf)
    else:                               # no map given: the geometry travels with the group
        geo = gpd.GeoDataFrame({"i": range(n)}, geometry=gdf.geometry.values, crs=gdf.crs)
        shared = SharedGeometry(json.loads(geo.to_json(drop_id=True)))
        group.add_child(shared)
    group.add_child(PolygonData(shared, styles, rows, highlight))
    return group

"""Per-area layers (needs, access, gaps, hotspots, plain areas) drawn from one compact table.

A map of areas carries each area ONCE: ``[code, name, ward]`` and its polygon, and each layer
only ``[style index, tooltip text, popup text]`` per area (plain text, lines split by
``\\n``). The browser (web/static/assetmap.js) builds tooltips and popups from those rows with
DOM text nodes, so no data is ever read as HTML, and an area's name is written once however
many layers show it.

The same payload (:func:`payload`) is either written into the page (a borough: every area)
or, for a national store (more than ``settings.MAP_INLINE_AREAS`` areas), fetched by the page
for the areas in view from ``/map/areas.json`` (``assetmap.views.areas_geo``), with geometry
simplified for the zoom and at most ``settings.MAP_AREAS_MAX`` areas per view (beyond it
their parents, aggregated: ``layers.areagg``; "zoom in to see areas" when even those are too
many or the areas have none). Both paths run the same browser code.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass

import folium
import numpy as np
import shapely
from branca.element import MacroElement
from folium.template import Template

from .. import settings
from ._legend import add_legend
from ._style import js_json


@dataclass
class AreaLayer:
    """One layer's data per area: ``cells[i] = [style index, tip, extra]`` aligned with the
    areas it was made from; ``styles`` the distinct Leaflet path styles. The popup shows
    the tip, then ``extra`` (more lines), then the area profile link."""
    id: str
    styles: list[dict]
    cells: list[list]
    legend_title: str = ""
    legend: str = ""            # trusted legend body HTML ('' = no legend)
    method: str = ""
    open_: bool = True
    popup: bool = True


def make_layer(layer_id: str, style, *, tips, extras=None, props=None, **kw) -> AreaLayer:
    """An :class:`AreaLayer` from per-area ``tips`` and ``extras`` (plain text) and a style
    from ``style(props_of_area)`` (``props``: name -> list of hashable values aligned with
    the areas; ``style`` is called once per distinct combination, not once per area)."""
    props = props or {}
    tips = list(tips)
    extras = list(extras) if extras is not None else [""] * len(tips)
    names = list(props)
    columns = [list(props[k]) for k in names]
    by_props: dict[tuple, int] = {}
    index: dict[str, int] = {}
    styles: list[dict] = []
    cells: list[list] = []
    for i, tip in enumerate(tips):
        values = tuple(c[i] for c in columns)
        at = by_props.get(values)
        if at is None:
            st = style(dict(zip(names, values)))
            key = json.dumps(st, sort_keys=True)
            if key not in index:
                index[key] = len(styles)
                styles.append(st)
            at = by_props[values] = index[key]
        cells.append([at, tip, extras[i]])
    return AreaLayer(layer_id, styles, cells, **kw)


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    s = str(value).strip()
    return "" if s.lower() == "nan" else s


def area_rows(areas) -> list[list[str]]:
    """``[code, name, ward]`` per area (ward '' where unknown)."""
    wards = areas["parent_name"] if "parent_name" in areas else [None] * len(areas)
    return [[_text(c), _text(n), _text(w)] for c, n, w in zip(areas["code"], areas["name"], wards)]


# --- payloads -----------------------------------------------------------------------------------
def payload(areas, layers, idx=None, geoms=None, *, total: int | None = None,
            decimals: int = settings.MAP_COORD_DECIMALS) -> dict:
    """What the browser draws: the areas ``idx`` (all by default) with their rows, each
    layer's cells and their polygons (``geoms``, aligned with ``areas``: the display
    geometry by default) as GeoJSON whose ``i`` indexes the rows."""
    n = len(areas)
    idx = np.arange(n) if idx is None else np.asarray(idx, dtype=int)
    geoms = areas.geometry.values if geoms is None else geoms
    rows = area_rows(areas.iloc[idx]) if len(idx) else []
    feats = []
    for j, i in enumerate(idx):
        g = geoms[i]
        if g is None or g.is_empty:
            continue
        g = shapely.set_precision(g, 10 ** -decimals)
        feats.append({"type": "Feature", "properties": {"i": j},
                      "geometry": shapely.geometry.mapping(g)})
    return {"total": n if total is None else total, "shown": len(idx), "max": None,
            "areas": rows,
            "layers": {lay.id: [lay.cells[i] for i in idx] for lay in layers},
            "geometry": {"type": "FeatureCollection", "features": feats}}


#: Zoom -> (simplification tolerance in degrees, coordinate decimals): about 1 km at a
#: national view, 100 m for a county, 20 m for a town, the display geometry (10 m) closer.
ZOOM_LEVELS = ((7, 0.01, 2), (9, 0.002, 3), (11, 0.0004, 4), (13, 0.0001, 5))


def zoom_level(zoom: float) -> tuple[float, int]:
    """(tolerance in degrees, decimals) for a map zoom."""
    for z, tol, dec in ZOOM_LEVELS:
        if zoom <= z:
            return tol, dec
    return 0.0, settings.MAP_COORD_DECIMALS


def simplified(areas, zoom: float, cache: dict | None = None):
    """The areas' polygons simplified for ``zoom`` (cached in ``cache`` per level)."""
    tol, dec = zoom_level(zoom)
    if cache is not None and (tol, dec) in cache:
        return cache[(tol, dec)]
    geoms = areas.geometry.values
    if tol:
        geoms = shapely.simplify(geoms, tol, preserve_topology=True)
    if cache is not None:
        cache[(tol, dec)] = geoms
    return geoms


def view_payload(areas, layers, bbox, zoom: float, *, cache: dict | None = None,
                 limit: int | None = None) -> dict:
    """The payload for the areas meeting ``bbox`` (minx, miny, maxx, maxy in WGS84) at
    ``zoom``: none (only the count) when more than ``limit`` (``settings.MAP_AREAS_MAX``)
    would be drawn."""
    limit = settings.MAP_AREAS_MAX if limit is None else limit
    if cache is not None and "tree" in cache:
        tree = cache["tree"]
    else:
        tree = shapely.STRtree(areas.geometry.values)
        if cache is not None:
            cache["tree"] = tree
    hits = np.sort(tree.query(shapely.box(*bbox)))
    _, dec = zoom_level(zoom)
    if len(hits) > limit:
        out = payload(areas, layers, [], total=len(hits))
    else:
        out = payload(areas, layers, hits, simplified(areas, zoom, cache), total=len(hits),
                      decimals=dec)
    out["max"] = limit
    return out


# --- on the map ---------------------------------------------------------------------------------
class AreaSource(MacroElement):
    """The areas of a map: the payload written into the page, or (``url``) fetched for the
    view. Layers register with it (:class:`AreaGroup`); assetmap.js draws them."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        window.assetmapAreaSources = window.assetmapAreaSources || [];
        window.assetmapAreaSources.push({{ this.get_name() }} = {
            map: {{ this._parent.get_name() }}, layers: {}, url: {{ this.url_js }},
            data: {{ this.data_js() }}});
        {% endmacro %}
    """)

    def __init__(self, areas, url: str | None = None):
        super().__init__()
        self._name = "AreaSource"
        self.areas = areas
        self.url = url
        self.url_js = js_json(url)
        self.layers: list[AreaLayer] = []

    def data_js(self) -> str:
        """The whole payload (a borough), or null when the page fetches it per view."""
        return "null" if self.url else js_json(payload(self.areas, self.layers))


class AreaGroup(MacroElement):
    """Registers a FeatureGroup as a layer of its source: styles, link and popups."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this.source.get_name() }}.layers[{{ this.id_js }}] = {
            group: {{ this._parent.get_name() }}, styles: {{ this.styles_js }},
            link: {{ this.link_js }}, popup: {{ this.popup_js }},
            highlight: {{ this.highlight_js }}};
        {% endmacro %}
    """)

    def __init__(self, source: AreaSource, layer: AreaLayer, link: str | None, highlight: bool):
        super().__init__()
        self._name = "AreaGroup"
        self.source = source
        self.id_js = js_json(layer.id)
        self.styles_js = js_json(layer.styles)
        self.link_js = js_json(link)
        self.popup_js = js_json(bool(layer.popup))
        self.highlight_js = js_json(bool(highlight))


def source_for(m, areas, url: str | None = None) -> AreaSource:
    """The map's :class:`AreaSource` for these areas (one per set of area codes)."""
    reg = m.__dict__.setdefault("_am_sources", {})
    key = tuple(areas["code"])
    if key not in reg:
        src = AreaSource(areas, url)
        m.add_child(src)
        reg[key] = src
    return reg[key]


def draw(m, areas, layer: AreaLayer, *, name: str, show: bool = True,
         link_template: str | None = "/areas/{code}", highlight: bool = True,
         legend: bool = True, url: str | None = None):
    """Add ``layer`` (made from ``areas``) to map ``m`` as a toggleable overlay with its
    legend; returns the FeatureGroup. ``url``: fetch the areas per view from there."""
    src = source_for(m, areas, url)
    if any(lay.id == layer.id for lay in src.layers):
        raise ValueError(f"layer id {layer.id!r} is already on this map")
    src.layers.append(layer)
    group = folium.FeatureGroup(name=name, show=show)
    group.add_child(AreaGroup(src, layer, link_template, highlight))
    group.add_to(m)
    if legend and layer.legend:
        add_legend(m, group, layer.legend_title or name, layer.legend, open_=layer.open_,
                   method=layer.method)
    return group

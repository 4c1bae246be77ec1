"""Folium maps from stored data: tiles, layers, legends, LayerControl; rendered for
embedding in a page (no iframe) and cached per data version."""
from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass

import folium
from branca.element import Element, Figure, MacroElement
from folium.template import Template

from . import model, settings
from .gapview import (  # noqa: F401 - the pages read them as maps.<name>
    gap_choices,
    gap_fallback_note,
    gap_rows,
    gap_title,
    gap_units,
    has_gap_pairs,
    rows_title,
)
from .layers import access as access_layer
from .layers import areadata
from .layers import areas as areas_layer
from .layers import assets as assets_layer
from .layers import basemap as basemap_layer
from .layers import moderation as moderation_layer
from .layers import networks as networks_layer
from .layers import providers as providers_layer
from .mapdata import (  # noqa: F401 - the pages read them as maps.<name>
    AREA_LINK,
    CATEGORY_LABELS,
    RESULT_MEASURES,
    access_minutes,
    default_measure,
    gap_layers,
    hotspot_layers,
    measure_values,
    measures,
    overview_layers,
)


@dataclass(frozen=True)
class MapParts:
    """A rendered map split for a Jinja page: goes in <head>, in <body>, and last."""
    header: str
    html: str
    script: str

    @property
    def size(self) -> int:
        return len(self.header) + len(self.html) + len(self.script)


#: Browser libraries folium links from CDNs, served from our own static folder instead (npm
#: packages installed by scripts/_setup.sh), so maps work offline. URL file name -> local
#: path under settings.VENDOR_URL; None drops the link (not needed by our layers).
LOCAL_ASSETS = {
    "leaflet.js": "leaflet/dist/leaflet.js",
    "leaflet.css": "leaflet/dist/leaflet.css",
    "jquery-3.7.1.min.js": "jquery/dist/jquery.min.js",
    "bootstrap.bundle.min.js": "bootstrap/dist/js/bootstrap.bundle.min.js",
    "bootstrap.min.css": "bootstrap/dist/css/bootstrap.min.css",
    "bootstrap-glyphicons.css": None,
    "all.min.css": "@fortawesome/fontawesome-free/css/all.min.css",
    "leaflet.awesome-markers.js":
        "drmonty-leaflet-awesome-markers/js/leaflet.awesome-markers.min.js",
    "leaflet.awesome-markers.css":
        "drmonty-leaflet-awesome-markers/css/leaflet.awesome-markers.css",
    "leaflet.awesome.rotate.min.css": None,
    "leaflet.markercluster.js": "leaflet.markercluster/dist/leaflet.markercluster.js",
    "MarkerCluster.css": "leaflet.markercluster/dist/MarkerCluster.css",
    "MarkerCluster.Default.css": "leaflet.markercluster/dist/MarkerCluster.Default.css",
    "leaflet.draw.js": "leaflet-draw/dist/leaflet.draw.js",
    "leaflet.draw.css": "leaflet-draw/dist/leaflet.draw.css",
}
_LINK_RE = re.compile(r'<(script|link)[^>]+(?:src|href)="(https?://[^"]+)"[^>]*>(?:</script>)?')


def localise_assets(header: str, base: str = settings.VENDOR_URL) -> str:
    """Point CDN script/stylesheet links at the locally served copies."""
    def repl(m):
        name = m.group(2).rsplit("/", 1)[-1]
        if name not in LOCAL_ASSETS:
            return m.group(0)
        local = LOCAL_ASSETS[name]
        return "" if local is None else m.group(0).replace(m.group(2), base + local)
    return _LINK_RE.sub(repl, header)


_cache: dict[tuple, MapParts] = {}
_lock = threading.Lock()


class _Expose(MacroElement):
    """``window.assetmapMap``: the Leaflet map, for the page's own small scripts, and
    ``window.assetmapBounds``: the first view's bounds (assetmap.js fits them beside the
    map's right-hand controls and legends)."""
    _template = Template("""
        {% macro script(this, kwargs) %}
        window.assetmapMap = {{ this._parent.get_name() }};
        window.assetmapBounds = {{ this.bounds_js }};
        {% endmacro %}
    """)

    def __init__(self, bounds=None):
        super().__init__()
        self.bounds_js = json.dumps(bounds)


class _Note(MacroElement):
    """A short fixed note in a map's corner (e.g. that area shapes are approximate)."""
    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var note = L.control({position: 'bottomleft'});
            note.onAdd = function () {
                var div = L.DomUtil.create('div', 'am-legend am-map-note leaflet-bar');
                div.textContent = {{ this.text_js }};
                return div;
            };
            note.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, text: str):
        super().__init__()
        self._name = "MapNote"
        self.text_js = json.dumps(text)


#: What a map of areas drawn from centroids says (issue 17, model.AREA_COLUMNS).
APPROXIMATE_NOTE = ("Area shapes are approximate: drawn around each area's centroid, not its "
                    "published boundary.")


def note_if_approximate(m, areas) -> None:
    """Say so on the map when any area shape shown is approximate."""
    if len(areas) and "approximate_geometry" in areas and \
            areas["approximate_geometry"].fillna(False).astype(bool).any():
        m.add_child(_Note(APPROXIMATE_NOTE))


def new_map(bounds=None, tiles: str | None = None, *, scroll_zoom: bool = True) -> folium.Map:
    """An empty map with the configured tiles (``settings.TILES``; "none" for no tiles). The
    page stays usable without tiles: layers and legends are drawn by the page itself."""
    tiles = settings.TILES if tiles is None else tiles
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=True, scrollWheelZoom=scroll_zoom)
    m.options["maxZoom"] = settings.MAP_MAX_ZOOM      # folium gives max_zoom to tiles only
    if not tiles or tiles.lower() == "none":
        basemap_layer.add_to(m)
    else:
        folium.TileLayer(tiles, name="Base map", attr=settings.TILES_ATTRIBUTION,
                         control=False).add_to(m)
    fit = None
    if bounds is not None and len(bounds) == 4 and all(b == b for b in bounds):
        minx, miny, maxx, maxy = (float(b) for b in bounds)
        fit = [[miny, minx], [maxy, maxx]]
        m.fit_bounds(fit)
    m.__dict__["_am_expose"] = expose = _Expose(fit)
    m.add_child(expose)
    return m


def render_parts(m: folium.Map) -> MapParts:
    """The map's head, body and script HTML, each element rendered exactly once.

    branca's ``MacroElement.render`` (and folium's ``Popup.render``) wrap what they have
    rendered in ``Element(text)``, which compiles that text as a new Jinja template, and
    ``Figure.render`` renders it again: any ``{{ ... }}`` in a name typed by a user would
    then run on the server. Here the children are rendered once and the wrapped output is
    joined verbatim (``Element._template_str``), never rendered a second time."""
    root = m.get_root()
    assert isinstance(root, Figure), "a folium Map always sits in a branca Figure"
    for child in list(root._children.values()):    # what Figure.render does first
        child.render()
    header = _VIEWPORT_RE.sub("", localise_assets(_verbatim(root.header)))
    return MapParts(header=header, html=_verbatim(root.html), script=_verbatim(root.script))


#: folium's own viewport tag forbids zooming; base.html's stays (WCAG 1.4.4, 1.4.10).
_VIEWPORT_RE = re.compile(r"<meta\s+name=[\"']viewport[\"'][^>]*>\s*", re.I)


def _verbatim(section: Element) -> str:
    """A figure section's children joined as branca's default template joins them, taking
    the already-rendered text of plain ``Element`` wrappers as it is."""
    out = []
    for child in section._children.values():
        if type(child) is Element and child._template_str is not None:
            out.append(child._template_str)
        else:                                   # links and other elements with own templates
            out.append(child.render())
    return "".join("\n    " + part for part in out)


def cached_map(store, name: str, build, key: tuple = ()) -> MapParts:
    """Map HTML for ``name`` + ``key``, rebuilt only when the store's data version (or latest
    analysis run) changes."""
    run = store.latest_run()
    full_key = (store.url, name, key, store.data_version(), run["id"] if run else None)
    with _lock:
        hit = _cache.get(full_key)
    if hit is not None:
        return hit
    parts = render_parts(build())
    with _lock:
        stale = [k for k in _cache if k[:2] == full_key[:2] and k[3:] != full_key[3:]]
        for k in stale:
            del _cache[k]
        if len(_cache) > 256:      # bounded: many picker combinations
            _cache.clear()
        _cache[full_key] = parts
    return parts


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _control(m) -> None:
    folium.LayerControl(collapsed=False, position="topright").add_to(m)


def _url(wd, areas_url: str | None) -> str | None:
    """``areas_url`` when the map has too many areas to carry them all in the page."""
    return areas_url if len(wd.areas) > settings.MAP_INLINE_AREAS else None


def _draw(m, wd, layers, lid, url) -> None:
    if lid in layers:
        lay, how = layers[lid]
        kw = {"link_template": AREA_LINK, **how}
        areadata.draw(m, wd.areas, lay, url=url, **kw)


def build_overview_map(wd, *, measure: str | None = None, scheme: str = "quantiles", k: int = 5,
                       access_category: str = "community_centre", service_type: str | None = None,
                       client_group: str | None = None, isochrone_url: str | None = None,
                       areas_url: str | None = None):
    """Every layer, each toggleable with its own legend. With more areas than
    ``settings.MAP_INLINE_AREAS`` the page fetches the areas in view from ``areas_url``."""
    m = new_map(wd.areas.total_bounds if len(wd.areas) else None)
    layers = overview_layers(wd, measure=measure, scheme=scheme, k=k,
                             access_category=access_category, service_type=service_type,
                             client_group=client_group)
    url = _url(wd, areas_url)
    _draw(m, wd, layers, "needs", url)
    _draw(m, wd, layers, "areas", url)
    if len(wd.networks):
        hubs = dict(zip(wd.assets["id"], wd.assets["name"])) if len(wd.assets) else {}
        networks_layer.add_to(m, wd.networks, show=False, hub_names=hubs)
    for lid in ("access", "gaps", "gi"):
        _draw(m, wd, layers, lid, url)
    community = wd.assets[~wd.assets["is_provider"]] if "is_provider" in wd.assets else wd.assets
    if len(community):
        assets_layer.add_to(m, community, show=True, footprints=getattr(wd, "footprints", None))
    if len(wd.providers):
        providers_layer.add_to(m, wd.providers, show=True)
    if isochrone_url:
        access_layer.add_isochrones(m, None, show=False, url=isochrone_url)
    note_if_approximate(m, wd.areas)
    _control(m)
    return m


def build_gap_map(wd, service_type: str, client_group: str, unit: str | None = None, *,
                  areas_url: str | None = None):
    """The 3x3 gap map for one service type, client group and unit (areas fetched per view
    from ``areas_url`` beyond ``settings.MAP_INLINE_AREAS``)."""
    m = new_map(wd.areas.total_bounds if len(wd.areas) else None)
    _draw(m, wd, gap_layers(wd, service_type, client_group, unit), "gaps", _url(wd, areas_url))
    prov = wd.providers
    if len(prov):
        sel = prov
        if service_type:
            sel = sel[sel["service_types"].fillna("")
                      .map(lambda x: service_type in model.split_list(x))]
        if client_group:
            sel = sel[sel["client_groups"].fillna("")
                      .map(lambda x: client_group in model.split_list(x))]
        providers_layer.add_to(m, sel, name="Providers of this service", show=False)
    if len(wd.networks):
        networks_layer.add_to(m, wd.networks, show=False)
    note_if_approximate(m, wd.areas)
    _control(m)
    return m


def build_hotspot_map(wd, *, areas_url: str | None = None):
    m = new_map(wd.areas.total_bounds if len(wd.areas) else None)
    layers = hotspot_layers(wd)
    for kind in ("gi", "lisa"):
        _draw(m, wd, layers, kind, _url(wd, areas_url))
    social = wd.assets[wd.assets["category"].isin(settings.SOCIAL_CATEGORIES)] \
        if len(wd.assets) else wd.assets
    if len(social):
        assets_layer.add_to(m, social, name="Social assets", show=False)
    note_if_approximate(m, wd.areas)
    _control(m)
    return m


def build_area_map(wd, code: str, *, isochrone: dict | None = None, nearby=None):
    """A small map of one area: its boundary, neighbours faint, an isochrone from its
    population-weighted centre and the assets and providers within reach."""
    area = wd.areas[wd.areas["code"] == code]
    minx, miny, maxx, maxy = area.total_bounds
    pad = 0.006
    m = new_map((minx - pad, miny - pad, maxx + pad, maxy + pad), scroll_zoom=False)
    if isochrone and isochrone.get("features"):
        access_layer.add_isochrones(m, isochrone, name="Walking isochrones", show=True)
    frame = area[["code", "name", area.geometry.name]]
    areas_layer.add_to(m, frame, name="This area", color="#12355b")
    if nearby is not None and len(nearby):
        com = nearby[~nearby["is_provider"]] if "is_provider" in nearby else nearby
        if len(com):
            assets_layer.add_to(m, com, name="Assets within reach", show=True)
        prov = nearby[nearby["is_provider"]] if "is_provider" in nearby else nearby.iloc[0:0]
        if len(prov):
            providers_layer.add_to(m, prov, name="Providers within reach", show=True)
    note_if_approximate(m, area)
    _control(m)
    return m


def build_directory_map(results, *, centre=None, isochrone: dict | None = None):
    """Markers for the directory's current results (a filtered subset: built per request)."""
    if len(results):
        b = results.total_bounds
        if centre is not None:
            b = (min(b[0], centre[0]), min(b[1], centre[1]),
                 max(b[2], centre[0]), max(b[3], centre[1]))
        pad = 0.004
        bounds = (b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad)
    elif centre is not None:
        bounds = (centre[0] - 0.01, centre[1] - 0.01, centre[0] + 0.01, centre[1] + 0.01)
    else:
        bounds = None
    m = new_map(bounds)
    if isochrone and isochrone.get("features"):
        access_layer.add_isochrones(m, isochrone, show=True)
    prov = results[results["is_provider"]] if "is_provider" in results else results.iloc[0:0]
    com = results[~results["is_provider"]] if "is_provider" in results else results
    if len(prov):
        providers_layer.add_to(m, prov, name="Providers", show=True)
    if len(com):
        assets_layer.add_to(m, com, name="Community assets", show=True)
    if centre is not None:
        folium.CircleMarker([centre[1], centre[0]], radius=7, color="#000", weight=3,
                            fill=True, fill_color="#F0E442", fill_opacity=1,
                            tooltip="Search point").add_to(m)
    _control(m)
    return m


def build_moderation_map(areas, points, *, focus=None) -> folium.Map:
    """The moderation map: the borough outline and the submissions at their shown points
    (``layers.moderation``), zoomed to ``focus`` (lon, lat) when given."""
    m = new_map(areas.total_bounds if len(areas) else None)
    if len(areas):
        areas_layer.add_to(m, areas, name="Area covered", show=True)
    moderation_layer.add_to(m, points)
    if focus is not None:
        fit = [[focus[1] - 0.004, focus[0] - 0.006], [focus[1] + 0.004, focus[0] + 0.006]]
        m.fit_bounds(fit)
        m.__dict__["_am_expose"].bounds_js = json.dumps(fit)
    folium.LayerControl(collapsed=True).add_to(m)
    return m

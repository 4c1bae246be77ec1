"""Folium maps from stored data: tiles, layers, legends, LayerControl; rendered for
embedding in a page (no iframe) and cached per data version."""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import folium

from . import settings
from .layers import areas as areas_layer
from .layers import assets as assets_layer
from .privacy import public_assets


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
    "leaflet.awesome-markers.js": "drmonty-leaflet-awesome-markers/js/leaflet.awesome-markers.min.js",
    "leaflet.awesome-markers.css": "drmonty-leaflet-awesome-markers/css/leaflet.awesome-markers.css",
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


def new_map(bounds=None, tiles: str | None = None) -> folium.Map:
    tiles = tiles or settings.TILES
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=True)
    if tiles and tiles.lower() != "none":
        folium.TileLayer(tiles, name="Base map", attr=settings.TILES_ATTRIBUTION,
                         control=False).add_to(m)
    if bounds is not None:
        minx, miny, maxx, maxy = bounds
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def render_parts(m: folium.Map) -> MapParts:
    root = m.get_root()
    root.render()
    return MapParts(header=localise_assets(root.header.render()), html=root.html.render(),
                    script=root.script.render())


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
        for k in [k for k in _cache if k[:3] == full_key[:3]]:
            del _cache[k]
        _cache[full_key] = parts
    return parts


def build_home_map(store) -> folium.Map:
    areas = store.read_areas("lsoa")
    assets = public_assets(store.read_assets())
    bounds = areas.total_bounds if len(areas) else None
    m = new_map(bounds)
    if len(areas):
        areas_layer.add_to(m, areas)
    if len(assets):
        assets_layer.add_to(m, assets)
    folium.LayerControl(collapsed=False).add_to(m)
    return m

"""Folium maps from stored data: tiles, layers, legends, LayerControl; rendered for
embedding in a page (no iframe) and cached per data version."""
from __future__ import annotations

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
    return MapParts(header=root.header.render(), html=root.html.render(),
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

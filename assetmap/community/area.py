"""The area the store covers: contributed locations must fall inside it."""
from __future__ import annotations

import threading

import shapely

_area_cache: dict = {}
_area_lock = threading.Lock()


def borough_shape(store):
    """The union of the stored areas (prepared for fast point tests), cached per area set;
    None when no areas are loaded."""
    sig = store.areas_signature()
    key = (store.url, sig)
    with _area_lock:
        hit = _area_cache.get(key)
    if hit is not None:
        return hit[0]
    areas = store.read_areas(level=None)
    shape = None
    if len(areas):
        shape = shapely.union_all(shapely.make_valid(areas.geometry.values))
        shapely.prepare(shape)
    with _area_lock:
        for k in [k for k in _area_cache if k[0] == store.url]:
            del _area_cache[k]
        _area_cache[key] = (shape,)
    return shape

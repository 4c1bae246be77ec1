"""``/map/areas.json``: a map's areas in the current view, for maps too big to carry every
area in the page (a region or all of England; ``settings.MAP_INLINE_AREAS``).

``?bbox=minx,miny,maxx,maxy`` (WGS84) and ``zoom`` pick the areas and how simplified their
polygons are; ``view`` the map (``overview``, the default; ``gaps`` with ``service_type``,
``client_group``, ``unit``; ``hotspots``), and the overview's own choices ``indicator``,
``scheme``, ``k`` and ``access`` (the page's URL carries them). The answer is
``layers.areadata.payload``: each area's ``[code, name, ward]`` once, each layer's
``[style, tip, extra]`` per area, and GeoJSON. More than ``settings.MAP_AREAS_MAX`` areas
in view give the areas' parents instead (their local authorities or wards, aggregated:
``layers.areagg``; ``aggregate`` says so), or only the count (``total``) when they have none
or even those are too many, and the page says "zoom in to see areas". Layers
and classes are made once per data version (``mapdata``), geometry per zoom level likewise."""
from __future__ import annotations

import hashlib
import json
import math

from flask import Blueprint, current_app, jsonify, request

from .. import mapdata, maps, settings
from ..layers import areadata, areagg
from .main import choice, overview_choices, web_data

bp = Blueprint("areas_geo", __name__)


def _bbox(wd):
    """The requested bounding box, the areas' own bounds without one; None if malformed."""
    raw = request.args.get("bbox")
    if not raw:
        return tuple(float(b) for b in wd.areas.total_bounds)
    try:
        box = tuple(float(p) for p in raw.split(","))
    except ValueError:
        return None
    if len(box) != 4 or not all(math.isfinite(b) for b in box) or box[0] > box[2] \
            or box[1] > box[3]:
        return None
    return box


def _zoom() -> float | None:
    try:
        z = float(request.args.get("zoom", settings.MAP_MAX_ZOOM))
    except ValueError:
        return None
    return min(max(z, 0.0), float(settings.MAP_MAX_ZOOM)) if math.isfinite(z) else None


def _layers(wd, view: str) -> dict:
    """The area layers of map ``view``, as its page draws them (none for an unknown map)."""
    if view == "gaps" and len(wd.gaps):
        sts, cgs = maps.gap_choices(wd)
        st = choice(request.args.get("service_type"), sts, sts[0] if sts else None)
        cg = choice(request.args.get("client_group"), cgs, cgs[0] if cgs else None)
        units = maps.gap_units(wd, st, cg)
        unit = choice(request.args.get("unit"), units, units[0] if units else None)
        return maps.gap_layers(wd, st, cg, unit)
    if view == "hotspots" and len(wd.hotspots):
        return maps.hotspot_layers(wd)
    if view != "overview":
        return {}
    ch = overview_choices(wd)
    return maps.overview_layers(wd, measure=ch["measure"], scheme=ch["scheme"], k=ch["k"],
                                access_category=ch["category"] or "community_centre")


def _choices(wd, view: str) -> dict:
    """The overview's choices the aggregates need (measure, scheme, k, access category)."""
    if view != "overview":
        return {}
    ch = overview_choices(wd)
    return {"measure": ch["measure"], "scheme": ch["scheme"], "k": ch["k"],
            "category": ch["category"] or "community_centre"}


def _payload(wd, layers: dict, view: str, box, zoom) -> dict:
    """The areas in view, or, when more than ``settings.MAP_AREAS_MAX``, their parents
    (local authorities or wards: ``layers.areagg``) when the areas have them."""
    cache = wd.memoise(("area-geometry",), dict)
    out = areadata.view_payload(wd.areas, [lay for lay, _ in layers.values()], box, zoom,
                                cache=cache)
    if out["total"] <= out["max"] or not layers:
        return out
    agg = mapdata.aggregate_layers(wd, layers, _choices(wd, view))
    if agg is None:
        return out
    groups, agg_layers = agg
    return areagg.view(groups, agg_layers, box, zoom, areas_total=out["total"],
                       cache=wd.memoise(("aggregate-geometry",), dict))


@bp.get("/map/areas.json")
def areas():
    wd = web_data()
    box, zoom = _bbox(wd), _zoom()
    if box is None or zoom is None:
        resp = jsonify(error="bbox must be minx,miny,maxx,maxy (WGS84) and zoom a number",
                       status=400)
        resp.status_code = 400
        return resp
    view = request.args.get("view", "overview")
    body = json.dumps(_payload(wd, _layers(wd, view), view, box, zoom),
                      separators=(",", ":")).encode()
    resp = current_app.response_class(body, mimetype="application/json")
    resp.set_etag(hashlib.sha256(repr((wd.key(), request.query_string,
                                       settings.MAP_AREAS_MAX)).encode()).hexdigest())
    resp.cache_control.private = True
    resp.cache_control.max_age = 300
    return resp.make_conditional(request)

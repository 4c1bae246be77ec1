"""Overview map (every layer), health check, and the on-demand isochrone endpoint used by
the overview's "walking isochrones" layer."""
from __future__ import annotations

import json

from flask import Blueprint, current_app, jsonify, render_template, request, url_for

from .. import __version__, maps
from ..io import basemap as basemap_io
from ..layers.needs import SCHEMES
from . import _params, get_store
from . import data as webdata

bp = Blueprint("main", __name__)


def web_data():
    """The page data for the current store (cached per data version and analysis run)."""
    return webdata.load(get_store(), current_app.config.get("ANALYSIS_LOADER"))


def choice(value, allowed, default):
    return value if value in allowed else default


_BASEMAPS: dict = {}


@bp.get("/basemap.geojson")
def basemap():
    """The store's streets, water and green space as light GeoJSON (built once per OSM
    file, keyed by its hash; cacheable, since the same hash always gives the same bytes)."""
    store = get_store()
    digest = store.blob_hash("osm") or "none"
    body = _BASEMAPS.get(digest)
    if body is None:
        blob = store.get_blob("osm")
        body = json.dumps(basemap_io.basemap_geojson(blob[0] if blob else None),
                          separators=(",", ":")).encode()
        _BASEMAPS.clear()                      # one store per app: keep only the current file
        _BASEMAPS[digest] = body
    resp = current_app.response_class(body, mimetype="application/geo+json")
    resp.set_etag(digest)
    resp.cache_control.public = True
    resp.cache_control.max_age = 3600
    return resp.make_conditional(request)


@bp.get("/healthz")
def healthz():
    store = get_store()
    return jsonify(status="ok", version=__version__, data_version=store.data_version())


def overview_choices(wd) -> dict:
    """What the overview shows, from the query string (unknown values fall back)."""
    ms = maps.measures(wd)
    cats = sorted(set(wd.access["category"])) if len(wd.access) else []
    return {
        "measure": choice(request.args.get("indicator"), ms, maps.default_measure(wd)),
        "scheme": choice(request.args.get("scheme"), SCHEMES, "quantiles"),
        "k": _params.lenient(request.args.get("k"), "k", default=5, lo=3, hi=7, integer=True,
                             clamp=True),
        "category": choice(request.args.get("access"), cats,
                           "community_centre" if "community_centre" in cats
                           else (cats[0] if cats else None)),
        "categories": cats}


@bp.get("/")
def home():
    store = get_store()
    wd = web_data()
    ch = overview_choices(wd)
    measure, scheme, k, category = ch["measure"], ch["scheme"], ch["k"], ch["category"]
    iso_url = url_for("api.isochrone")
    areas_url = url_for("areas_geo.areas", indicator=measure, scheme=scheme, k=k,
                        access=category)
    page = maps.cached_map(store, "overview", lambda: maps.build_overview_map(
        wd, measure=measure, scheme=scheme, k=k, access_category=category or "community_centre",
        isochrone_url=iso_url, areas_url=areas_url), key=(measure, scheme, k, category))
    return render_template("home.html", map=page, wd=wd, measures=maps.measures(wd),
                           measure=measure, schemes=SCHEMES, scheme=scheme, k=k,
                           categories=ch["categories"], category=category,
                           category_labels=maps.CATEGORY_LABELS,
                           area_name=wd.area_name, **_asset_counts(wd.assets))


def _asset_counts(a) -> dict:
    """Community assets and providers inside the area, and those just outside it
    (cross-border supply, counted apart)."""
    out = a["cross_border"].fillna(False).astype(bool).to_numpy() if "cross_border" in a \
        else [False] * len(a)
    prov = a["is_provider"].fillna(False).astype(bool).to_numpy() if "is_provider" in a \
        else [False] * len(a)
    n_out = int(sum(out))
    n_prov = int(sum(p and not o for p, o in zip(prov, out)))
    return {"n_assets": len(a) - n_out - n_prov, "n_providers": n_prov, "n_outside": n_out}

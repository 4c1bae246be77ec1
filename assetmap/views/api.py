"""The JSON API (``/api/v1/``; GeoJSON where there is geometry; documented by the OpenAPI
file it serves) and the Open Referral UK compatible ``/openreferral/services`` feed.

Every failure under ``/api/`` answers JSON ``{"error": ..., "status": ...}`` with its status
(a route that does not exist, a method not allowed, a bad parameter, an unexpected error), as
the OpenAPI document says; paging parameters out of range are refused (400), never
silently clamped."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
from flask import Blueprint, Response, abort, request, url_for
from werkzeug.exceptions import HTTPException, InternalServerError

from .. import __version__, model, pipeline, settings
from ..errors import InputError
from ..io.export import DESCRIPTIONS
from ..io.export_dictionary import dictionary
from ..io.provenance import geojson_metadata
from ..layers.access import isochrone_geojson
from . import _params, get_store
from ._hosts import fill_root, public_root
from .downloads import LAYERS, dictionary_link, export_frame, filter_area, provenance, to_geojson
from .main import web_data

bp = Blueprint("api", __name__)

OPENAPI_FILE = settings.STATIC_DIR / "openapi.json"
MAX_PAGE = 500


#: Largest offset or page number accepted (far beyond any real feed).
MAX_OFFSET = 10 ** 9


#: Where failures answer JSON (the API's own paths).
JSON_ERROR_PREFIXES = ("/api/",)


def _int_arg(name: str, default: int, lo: int, hi: int, *, clamp: bool = True) -> int:
    """A whole-number query parameter within lo..hi (clamped with ``clamp``, else refused,
    and then a blank value is refused too); not a whole number: 400."""
    if not clamp and name in request.args and not request.args[name].strip():
        abort(400, f"{name} must be a whole number from {lo} to {hi}, not blank")
    try:
        return _params.number(request.args.get(name), name, default=default, lo=lo, hi=hi,
                              integer=True, clamp=clamp)
    except InputError as e:
        abort(400, f"{name} must be a whole number from {lo} to {hi} ({e.message})")


def _page_args(default=100):
    return (_int_arg("limit", default, 1, MAX_PAGE, clamp=False),
            _int_arg("offset", 0, 0, MAX_OFFSET, clamp=False))


def _format_arg() -> str:
    """``format``: json (the default) or geojson; anything else: 400."""
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "geojson"):
        abort(400, "format must be json or geojson")
    return fmt


def _error(status: int, message: str, headers=None) -> Response:
    r = _resp({"error": message, "status": status})
    r.status_code = status
    for k, v in (headers or []):
        if k.lower() not in ("content-type", "content-length"):
            r.headers[k] = v
    return r


def _json_records(df: pd.DataFrame) -> list[dict]:
    return json.loads(pd.DataFrame(df).to_json(orient="records", date_format="iso"))


#: Query parameters that page an API answer rather than choose what it holds.
_PAGING = ("limit", "offset", "format")


def _geo(frame, total=None, limit=None, offset=None, layer: str | None = None) -> Response:
    """A FeatureCollection answer with its provenance (issue 12): the run, data version,
    date made, licence and each property's unit as the ``metadata`` foreign member (RFC 7946
    section 6.1), the same in headers, and the ``Link`` to the layer's dictionary."""
    filters = {k: v for k, v in request.args.items() if k not in _PAGING}
    link = dictionary_link("downloads.data_dictionary", layer=layer, **filters) \
        if layer in LAYERS else None
    prov = provenance(DESCRIPTIONS.get(layer or "", LAYERS.get(layer or "", request.path)),
                      filters, link.split(">")[0].lstrip("<") if link else None)
    body = json.loads(to_geojson(frame))
    if total is not None:
        body["total"] = total
        body["limit"] = limit
        body["offset"] = offset
    body["metadata"] = geojson_metadata(prov, dictionary(layer or "", frame))
    r = _resp(body, "application/geo+json")
    r.headers.update(prov.headers())
    if link:
        r.headers["Link"] = link
    return r


def _memo_response(build, mime="application/json") -> Response:
    """A GET response whose body depends only on the URL and the data version: built once
    (with the provenance headers it was built with)."""
    wd = web_data()
    key = ("api", request.full_path)
    status, body, mimetype, headers = wd.memoise(key, lambda: _freeze(build()))
    return Response(fill_root(body), status=status, mimetype=mimetype,
                    headers={"Access-Control-Allow-Origin": "*", **headers})


def _freeze(resp: Response):
    kept = {k: v for k, v in resp.headers.items() if k.startswith("X-AssetMap-") or k == "Link"}
    return resp.status_code, resp.get_data(), resp.mimetype, kept


def _sanitise(o):
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, np.generic):
        return _sanitise(o.item())
    if isinstance(o, dict):
        return {k: _sanitise(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_sanitise(v) for v in o]
    return o


def _resp(obj, mime="application/json") -> Response:
    r = Response(json.dumps(_sanitise(obj), allow_nan=False, default=str), mimetype=mime)
    r.headers["Access-Control-Allow-Origin"] = "*"
    return r


@bp.app_errorhandler(HTTPException)
def http_error(e: HTTPException):
    """A JSON body for every HTTP error under the API's paths (other pages keep theirs)."""
    if not request.path.startswith(JSON_ERROR_PREFIXES):
        return e
    return _error(e.code or 500, str(e.description or e.name), e.get_headers())


@bp.app_errorhandler(InternalServerError)
def server_error(e: InternalServerError):
    if not request.path.startswith(JSON_ERROR_PREFIXES):
        return e
    return _error(500, "internal error: the request could not be answered; it has been "
                       "logged")


@bp.get("/api/v1/")
def index():
    wd = web_data()
    return _resp({
        "name": "AssetMap API", "version": __version__, "data_version": wd.data_version,
        "analysis_run": None if wd.run is None else {
            k: wd.run.get(k) for k in ("id", "created_at", "data_version")},
        "area_name": wd.area_name,
        "openapi": url_for("api.openapi"),
        "endpoints": [url_for("api.areas"), url_for("api.indicators"), url_for("api.assets"),
                      url_for("api.providers"), url_for("api.networks"), url_for("api.analysis"),
                      url_for("api.isochrone"), url_for("openreferral.index")],
        "counts": {"areas": len(wd.areas), "assets": len(wd.assets),
                   "providers": len(wd.providers)},
    })


@bp.get("/api/v1/openapi.json")
def openapi():
    doc = json.loads(Path(OPENAPI_FILE).read_text())
    doc["info"]["version"] = __version__
    doc["servers"] = [{"url": public_root()}]
    return _resp(doc)


@bp.get("/api/v1/areas")
def areas():
    return _memo_response(lambda: _geo(export_frame(web_data(), "areas"), layer="areas"))


@bp.get("/api/v1/areas/<code>")
def area(code):
    wd = web_data()
    frame = export_frame(wd, "areas")
    one = frame[frame["code"] == code]
    if one.empty:
        abort(404, f"no area with code '{code}'")
    feat = json.loads(to_geojson(one))["features"][0]
    vals = wd.values[wd.values["area_code"] == code]
    feat["properties"]["indicators"] = _json_records(vals.drop(columns=["area_code"]))
    if len(wd.access):
        acc = wd.access[wd.access["area_code"] == code].drop(columns=["area_code"])
        feat["properties"]["access"] = _json_records(acc)
    if len(wd.gaps):
        g = wd.gaps[(wd.gaps["area_code"] == code) & wd.gaps["is_gap"]]
        cols = ["service_type", "client_group", "unit", "need", "population",
                "population_label", "supply", "supply_per_100", "shortfall", "gap_rank"]
        rows = _json_records(g[[c for c in cols if c in g]])
        for r, raw in zip(rows, g.to_dict("records")):
            unit = raw.get("unit") or "hours"
            r["supply_per_100_unit"] = pipeline.match.per_100_words(unit)
            r["shortfall_unit"] = pipeline.match.unit_words(unit)
            r["words"] = pipeline.match.gap_words(raw)
        feat["properties"]["gaps"] = rows
    if len(wd.hotspots):
        h = wd.hotspots[wd.hotspots["area_code"] == code].drop(columns=["area_code"])
        feat["properties"]["hotspot"] = _json_records(h)[0] if len(h) else None
    return _resp(feat, "application/geo+json")


@bp.get("/api/v1/indicators")
def indicators():
    wd = web_data()
    ind = wd.indicators.merge(wd.benchmarks, left_on="id", right_on="indicator_id", how="left") \
        .drop(columns=["indicator_id"], errors="ignore") if len(wd.benchmarks) else wd.indicators
    return _resp({"indicators": _json_records(ind)})


@bp.get("/api/v1/indicators/<indicator_id>/values")
def indicator_values(indicator_id):
    wd = web_data()
    fmt = _format_arg()
    if indicator_id not in set(wd.indicators["id"]):
        abort(404, f"no indicator '{indicator_id}'")
    v = wd.values[wd.values["indicator_id"] == indicator_id]
    if fmt == "geojson":
        return _geo(export_frame(wd, "indicators", {"indicator": indicator_id}),
                    layer="indicators")
    return _resp({"indicator_id": indicator_id, "values": _json_records(v)})


def _paged_points(layer):
    wd = web_data()
    frame = export_frame(wd, layer)
    if request.args.get("category") and "category" in frame:
        frame = frame[frame["category"] == request.args["category"]]
    if layer == "providers":
        for key, col in (("service_type", "service_types"), ("client_group", "client_groups")):
            v = request.args.get(key)
            if v:
                keep = frame[col].fillna("").map(lambda s: v in model.split_list(s))
                frame = frame.loc[keep.astype(bool)]   # an empty mask must stay a mask
    limit, offset = _page_args()
    total = len(frame)
    return _geo(frame.iloc[offset:offset + limit], total, limit, offset, layer=layer)


@bp.get("/api/v1/assets")
def assets():
    return _memo_response(lambda: _paged_points("assets"))


@bp.get("/api/v1/providers")
def providers():
    return _memo_response(lambda: _paged_points("providers"))


@bp.get("/api/v1/networks")
def networks():
    return _memo_response(lambda: _geo(export_frame(web_data(), "networks"), layer="networks"))


@bp.get("/api/v1/analysis")
def analysis():
    wd = web_data()
    return _resp({
        "run": wd.run, "notes": wd.notes,
        "results": {k: url_for("api.analysis_result", name=k)
                    for k in ("need", "access", "gaps", "hotspots")},
    })


@bp.get("/api/v1/analysis/<name>")
def analysis_result(name):
    fmt = _format_arg()
    if name not in ("need", "access", "gaps", "hotspots"):
        abort(404, f"no result called '{name}' (need, access, gaps or hotspots)")
    wd = web_data()
    frame = filter_area(export_frame(wd, name, request.args), request.args.get("area"))
    if fmt == "geojson":
        return _geo(frame, layer=name)
    df = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return _resp({"run": None if wd.run is None else wd.run.get("id"), "rows": _json_records(df)})


@bp.get("/api/v1/isochrone")
def isochrone():
    """Walking isochrones around a point (GeoJSON), from the cached street graph."""
    try:
        lat = _params.number(request.args.get("lat"), "lat", lo=-90, hi=90)
        lon = _params.number(request.args.get("lon"), "lon", lo=-180, hi=180)
        minutes = _params.integers(request.args.get("minutes"), "minutes", lo=1, hi=60,
                                   max_items=4)
    except InputError as e:
        abort(400, f"{e.field}: {e.message}")
    mode = request.args.get("mode") or "walk"
    if mode not in ("walk", "drive"):
        abort(400, "mode: must be walk or drive")
    if lat is None or lon is None:
        abort(400, "lat and lon are required numbers")
    store = get_store()
    wd = web_data()
    def build():
        polys, method = pipeline.isochrones_at(store, lon, lat, minutes, mode=mode)
        body = isochrone_geojson(polys, method=method)
        body["method"], body["mode"] = method, mode
        return json.dumps(_sanitise(body))
    body = wd.memoise(("isochrone", round(lat, 5), round(lon, 5), tuple(minutes or ()), mode),
                      build)
    r = Response(body, mimetype="application/geo+json")
    r.headers["Access-Control-Allow-Origin"] = "*"
    return r


# --- referral evidence (issue 11) ---------------------------------------------------------------
@bp.get("/api/v1/referral-evidence")
def referral_evidence():
    """Referrals made, accepted, declined and turned away per service type, client group and
    area (small numbers suppressed); see ``views.referral_evidence.api_payload``."""
    from .referral_evidence import api_payload
    period = request.args.get("period")
    if period and period not in settings.REFERRAL_PERIODS:
        abort(400, "period: must be one of " + ", ".join(settings.REFERRAL_PERIODS))
    return _resp(api_payload(get_store(), request.args))

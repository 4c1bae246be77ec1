"""The Open Referral UK API (``/openreferral/``): every path of the UK profile's
``openapi.json`` and HSDS 3.0's, read from the stored data (approved assets, public
fields only), with their query parameters checked: an unknown parameter, a bad value,
an unknown path or record, a wrong method and any failure answer JSON
(``{"error": ..., "status": ...}``), never an HTML page.

Bodies are built once per URL and data version, with a placeholder where the site's
root goes (filled per response from the trusted root: :mod:`._hosts`)."""
from __future__ import annotations

import json
import math

import numpy as np
from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from ..errors import AssetMapError, InputError
from ..io.openreferral import apidoc, query
from ..io.openreferral.feed import Feed
from ..io.openreferral.terms import Context
from . import get_store
from ._hosts import PLACEHOLDER_ROOT, fill_root
from .main import web_data

bp = Blueprint("openreferral", __name__, url_prefix="/openreferral")   # PREFIX

#: List path -> (Feed method for the list, Feed method for one record).
PATHS = {
    "services": ("services", "service"),
    "service_at_locations": ("service_at_locations", "service_at_location"),
    "organizations": ("organizations", "organization"),
    "locations": ("locations", "location"),
    "taxonomies": ("taxonomies", "taxonomy"),
    "taxonomy_terms": ("taxonomy_terms", "taxonomy_term"),
}
HEADERS = {"Access-Control-Allow-Origin": "*"}


def _error(status: int, message: str, **extra) -> Response:
    body = {"error": message, "status": status, **{k: v for k, v in extra.items() if v}}
    return Response(json.dumps(body), status=status, mimetype="application/json",
                    headers=HEADERS)


@bp.errorhandler(InputError)
def _bad_input(e: InputError):
    return _error(400, e.message, parameter=e.field)


@bp.errorhandler(HTTPException)
def _http_error(e: HTTPException):
    return _error(e.code or 500, e.description or e.name)


@bp.errorhandler(Exception)
def _failure(e: Exception):   # any other failure: JSON, never an HTML page (logged)
    from flask import current_app
    current_app.logger.exception("Open Referral API failure")
    msg = str(e) if isinstance(e, AssetMapError) else "internal error"
    return _error(500, msg)


def _clean(o):
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, np.generic):
        return _clean(o.item())
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    return o


def feed() -> Feed:
    """The Feed of this data version (built once, links under the placeholder root)."""
    wd = web_data()
    return wd.memoise(("openreferral", "feed"), lambda: Feed(
        wd.assets, Context(root=PLACEHOLDER_ROOT, area_name=wd.area_name), public=True))


def _respond(build, mimetype="application/json") -> Response:
    """A body built once per URL and data version, the site's root filled in."""
    wd = web_data()
    key = ("openreferral", request.full_path)

    def make():
        out = build()
        if isinstance(out, Response):
            return out.status_code, out.get_data(), out.mimetype
        data = out if isinstance(out, bytes) else json.dumps(
            _clean(out), allow_nan=False, default=str).encode()
        return 200, data, mimetype
    status, body, mime = wd.memoise(key, make)
    return Response(fill_root(body), status=status, mimetype=mime, headers=HEADERS)


def _point(q: query.Query) -> None:
    """The postcode's point (and the area codes it is in) from the stored lookup."""
    if not q.postcode:
        return
    from .. import model
    pc = model.normalise_postcode(q.postcode)
    if not pc or not model.POSTCODE_RE.match(pc):
        raise InputError(f"'{q.postcode}' is not a postcode", field="postcode")
    found = get_store().lookup_postcodes([pc])
    if found.empty:
        raise InputError(f"postcode {pc} is not in the stored postcode lookup",
                         field="postcode")
    row = found.iloc[0]
    codes = [str(row["area_code"])] if row.get("area_code") else []
    areas = web_data().areas
    if codes and "parent_code" in areas:
        parent = areas.loc[areas["code"] == codes[0], "parent_code"].dropna()
        codes += [str(p) for p in parent]
    q.point = (float(row["lon"]), float(row["lat"]), codes)


@bp.get("/")
def index():
    """``/``: the HSDS version and the profile (what a validator reads first)."""
    return _respond(lambda: feed().root_document(
        f"{PLACEHOLDER_ROOT}/openreferral/openapi.json"))


@bp.get("/openapi.json")
def openapi():
    """This API's OpenAPI document."""
    return _respond(lambda: apidoc.document(f"{PLACEHOLDER_ROOT}/openreferral"))


def _list(path: str):
    q = query.parse(path, request.args)
    _point(q)
    if q.format == "ndjson":
        q.page, q.per_page = 1, 10 ** 9
        items = getattr(feed(), PATHS[path][0])(q)["contents"]
        return _respond(lambda: "".join(json.dumps(_clean(i), default=str) + "\n"
                                        for i in items).encode(), "application/x-ndjson")
    return _respond(lambda: getattr(feed(), PATHS[path][0])(q))


def _one(path: str, record_id: str):
    q = query.parse(path, request.args, one=True)
    method = getattr(feed(), PATHS[path][1])
    rec = method(record_id, q.full_service) if path == "organizations" else method(record_id)
    if rec is None:
        return _error(404, f"no {path.rstrip('s').replace('taxonomie', 'taxonomy')} "
                           f"with id '{record_id[:100]}'")
    return _respond(lambda: rec)


def _register(path: str) -> None:
    bp.add_url_rule(f"/{path}", f"list_{path}", lambda: _list(path), methods=["GET"])
    bp.add_url_rule(f"/{path}/<record_id>", f"one_{path}",
                    lambda record_id: _one(path, record_id), methods=["GET"])


for _path in PATHS:
    _register(_path)


@bp.get("/<path:rest>")
def unknown(rest):
    """Any other path: 404, as JSON."""
    return _error(404, f"no such Open Referral path: /openreferral/{rest[:200]}")


PREFIX = "/openreferral"


def _is_ours() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def init_errors(app) -> None:
    """JSON for a wrong method on the API's paths. A 405 is raised while routing, before
    any blueprint is known, so its handler is the app's: for other paths this one hands
    over to the handler that was registered before it, or to Flask's own page (register
    it after every other blueprint)."""
    spec = app.error_handler_spec.get(None, {})
    before = spec.get(405, {}).get(MethodNotAllowed) or \
        spec.get(None, {}).get(HTTPException)         # e.g. the JSON API's handler

    def method_not_allowed(e):
        if _is_ours():
            return _error(405, f"{request.path} answers GET only")
        return before(e) if before else e
    app.register_error_handler(405, method_not_allowed)

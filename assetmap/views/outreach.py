"""Outreach plans for local area coordinators (and planners).

/outreach                      choose a patch: wards, areas, a neighbourhood network, or draw one
/outreach/plan?…               the plan for the chosen patch (map, ranked areas, suggestions,
                               missing, route, commissioning gaps); GET so it can be bookmarked
/outreach/plan/print?…         one printable page (static SVG map + lists, print CSS)
/outreach/plan.csv|.gpx|.geojson?…   the lists (CSV) and the route (GPX, GeoJSON)
/outreach/plans                saved plans (POST: save the plan described by the form)
/outreach/plans/<id>           a saved plan reopened exactly as saved; /print, .csv, .gpx,
                               .geojson as above; /compare: what changed since; /delete (POST)
"""
from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict

import pandas as pd
from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for

from .. import maps, model, outreach, settings
from ..accounts import CAN_MODERATE, CAN_SEE_EXACT_COUNTS
from ..errors import InputError, NoData, NotFound, PermissionDenied
from ..io.csvsafe import write_csv
from ..io.export_dictionary import dictionary
from ..io.filenames import download_name
from ..io.provenance import Provenance, geojson_metadata, with_provenance
from ..layers import hotspots as hotspots_layer
from ..layers import outreach as outreach_layer
from . import _params, downloads, get_store
from ._hosts import external_url
from .access import has_role, require_role
from .main import web_data

bp = Blueprint("outreach", __name__, url_prefix="/outreach")
try:                                   # the accounts blueprint's shared error pages
    from .auth import register_error_pages
    register_error_pages(bp)
except ImportError:                    # pragma: no cover - accounts not installed
    pass

#: Roles that plan outreach.
ROLES = ("coordinator", "planner")
allowed = require_role(*ROLES)

_plans: "OrderedDict[tuple, dict]" = OrderedDict()
_plans_lock = threading.Lock()
_MAX_CACHED_PLANS = 64


# --- request -> parameters -> plan ---------------------------------------------------------------
def params_from_args(args) -> outreach.PlanParams:
    """PlanParams from a query string or form (the chooser's field names or ``ids``)."""
    patch = args.get("patch") or "wards"
    ids = args.getlist("ids")
    if not ids:
        field = {"wards": "ward", "areas": "area", "network": "network",
                 "walk": "venue"}.get(patch)
        ids = [v for v in args.getlist(field) if v] if field else []
    polygon = _params.json_value(args.get("polygon"), "polygon",   # finite, not too deep
                                 message="the drawn patch is not valid GeoJSON") \
        if patch == "polygon" else None
    d = {"patch": patch, "ids": ids, "polygon": polygon,
         "client_group": args.get("client_group") or "older_people",
         "service_type": args.get("service_type") or "",
         # finite numbers here (1e309, nan: a clear 400); PlanParams checks the ranges
         "walk_minutes": _params.number(args.get("walk_minutes"), "walk_minutes",
                                        default=settings.OUTREACH_WALK_MINUTES),
         "speed_kmh": _params.number(args.get("speed_kmh"), "speed_kmh",
                                     default=settings.WALK_SPEED_KMH),
         "top": _params.number(args.get("top"), "top", default=settings.OUTREACH_TOP_AREAS),
         "stops": _params.number(args.get("stops"), "stops",
                                 default=settings.OUTREACH_ROUTE_STOPS),
         "closed": args.get("closed", "1"),
         "stop_ids": [s for s in args.getlist("stop") if s]}
    return outreach.PlanParams.from_dict(d)


def query_args(params: outreach.PlanParams) -> dict:
    """The canonical query string of a plan (for links and forms)."""
    q = {"patch": params.patch, "client_group": params.client_group,
         "service_type": params.service_type, "walk_minutes": f"{params.walk_minutes:g}",
         "speed_kmh": f"{params.speed_kmh:g}", "top": params.top, "stops": params.stops,
         "closed": "1" if params.closed else "0"}
    if params.patch == "polygon":
        q["polygon"] = json.dumps(params.polygon, separators=(",", ":"))
    else:
        q["ids"] = list(params.ids)
    if params.stop_ids:
        q["stop"] = list(params.stop_ids)
    return q


def current_plan(params: outreach.PlanParams) -> dict:
    """The plan for ``params`` on the store's current data (cached per data version/run)."""
    store = get_store()
    run = store.latest_run()
    key = (store.url, store.data_version(), run["id"] if run else None, params.key())
    with _plans_lock:
        hit = _plans.get(key)
        if hit is not None:
            _plans.move_to_end(key)
            return hit
    plan = outreach.make_plan(store, params, observed=False)
    with _plans_lock:
        _plans[key] = plan
        while len(_plans) > _MAX_CACHED_PLANS:
            _plans.popitem(last=False)
    return plan


def _choices():
    return {"client_groups": model.CLIENT_GROUPS, "service_types": model.SERVICE_TYPES,
            "group_phrases": outreach.GROUP_PHRASES, "service_phrases": outreach.SERVICE_PHRASES}


def _areas_frame():
    wd = web_data()
    return wd.areas[["code", "name", wd.areas.geometry.name]]


def _plan_map(plan: dict) -> maps.MapParts:
    def build():
        b = plan["patch"]["bounds"]
        pad = 0.004
        m = maps.new_map((b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad))
        outreach_layer.add_to(m, plan, _areas_frame())
        maps._control(m)
        return m
    key = ("plan", json.dumps(plan["params"], sort_keys=True), plan.get("run_id"),
           plan.get("data_version"), (plan.get("saved") or {}).get("id"))
    return maps.cached_map(get_store(), "outreach-plan", build, key=key)


def _links(base: str, **kw) -> dict:
    """URLs of a plan's other views (``base`` "plan" for a live plan, "saved" for a saved one)."""
    if base == "saved":
        pid = kw["plan_id"]
        return {"page": url_for("outreach.saved_plan", plan_id=pid),
                "print": url_for("outreach.saved_print", plan_id=pid),
                "csv": url_for("outreach.saved_download", plan_id=pid, fmt="csv"),
                "gpx": url_for("outreach.saved_download", plan_id=pid, fmt="gpx"),
                "geojson": url_for("outreach.saved_download", plan_id=pid, fmt="geojson"),
                "zip": url_for("outreach.saved_download", plan_id=pid, fmt="zip"),
                "compare": url_for("outreach.compare", plan_id=pid)}
    q = kw["query"]
    return {"page": url_for("outreach.plan", **q),
            "print": url_for("outreach.plan_print", **q),
            "csv": url_for("outreach.plan_download", fmt="csv", **q),
            "gpx": url_for("outreach.plan_download", fmt="gpx", **q),
            "geojson": url_for("outreach.plan_download", fmt="geojson", **q),
            "zip": url_for("outreach.plan_download", fmt="zip", **q)}


#: The plan's download formats: the lists (CSV; zip: with notes), the route (GPX, GeoJSON).
DOWNLOAD_FORMATS = ("csv", "gpx", "geojson", downloads.BUNDLE)


def _plan_provenance(plan: dict, dictionary_url: str | None = None):
    """Where a plan's download comes from: the run and data version the plan was made on
    (a saved plan's own), its choices, the licence setting."""
    store = get_store()
    run = None
    if plan.get("run_id") is not None:
        try:
            run = store.get_run(plan["run_id"])
        except NotFound:                  # the run was pruned since: its id is still known
            run = {"id": plan["run_id"]}
    p = plan["params"]
    filters = {"patch": plan["patch"]["label"], "client_group": p.get("client_group"),
               "service_type": p.get("service_type"),
               "saved_plan": (plan.get("saved") or {}).get("id")}
    return Provenance.of(f"Outreach plan: {plan['patch']['label']}", run,
                         plan.get("data_version"), filters, dictionary_url=dictionary_url,
                         method_url=external_url("method.index", relative_if_untrusted=True))


def _file_name(plan: dict, fmt: str) -> str:
    """``outreach-<patch>-<client group>-<service type>-<digest>[-route].<fmt>`` (the digest
    of the plan's parameters: two plans never share a name)."""
    p = plan["params"]
    key = json.dumps(p, sort_keys=True) + str((plan.get("saved") or {}).get("id") or "")
    digest = hashlib.sha256(key.encode()).hexdigest()[:8]
    parts = [p.get("client_group"), p.get("service_type"), digest,
             "route" if fmt in ("gpx", "geojson") else ""]
    return download_name("outreach-" + plan["patch"]["label"][:40], parts,
                         "csv" if fmt == downloads.BUNDLE else fmt, keep_unicode=True)


def plan_dictionary(plan: dict):
    """The data dictionary of the plan's CSV and of its route GeoJSON's properties."""
    csv_frame = pd.DataFrame(outreach.csv_rows(plan), columns=outreach.CSV_COLUMNS)
    props = pd.DataFrame([f["properties"] for f in outreach.route_geojson(plan)["features"]])
    dic = pd.concat([dictionary("outreach", csv_frame), dictionary("outreach", props)],
                    ignore_index=True)
    return dic.drop_duplicates("column").reset_index(drop=True)


def _download(plan: dict, fmt: str, dictionary_url: str) -> Response:
    if fmt not in DOWNLOAD_FORMATS:
        abort(404)
    prov = _plan_provenance(plan, dictionary_url)
    link = f'<{dictionary_url}>; rel="describedby"; type="text/csv"'
    name = _file_name(plan, fmt)
    if fmt in ("csv", downloads.BUNDLE):
        body = outreach.to_csv(plan).encode("utf-8")
        if fmt == downloads.BUNDLE:
            return downloads.bundle_response(name, body, plan_dictionary(plan), prov, link)
        return downloads.attachment(body, "text/csv; charset=utf-8", name, prov, link)
    if fmt == "gpx":
        return downloads.attachment(outreach.route_gpx(plan, prov.citation(), prov.made),
                                    "application/gpx+xml", name, prov, link)
    meta = geojson_metadata(prov, plan_dictionary(plan))
    return downloads.attachment(json.dumps(outreach.route_geojson(plan, meta)),
                                "application/geo+json", name, prov, link)


# --- pages ---------------------------------------------------------------------------------------
@bp.get("")
@bp.get("/")
@allowed
def index(error: str | None = None, status: int = 200):
    store = get_store()
    try:
        ctx = outreach.context(store)
    except NoData as e:
        return render_template("outreach.html", empty=str(e), map=None, **_choices()), 200
    wd = web_data()

    def build():
        m = maps.new_map(wd.areas.total_bounds if len(wd.areas) else None)
        if len(wd.hotspots):
            hotspots_layer.add_to(m, wd.areas, wd.hotspots, kind="gi", show=True)
        outreach_layer.add_draw_control(m, "patch-polygon")
        maps._control(m)
        return m
    page = maps.cached_map(store, "outreach-chooser", build)
    opts = outreach.patch_options(ctx)
    form = request.args
    return render_template("outreach.html", map=page, options=opts, form=form, error=error,
                           notes=ctx.notes, saved=store.list_outreach_plans().head(10)
                           .to_dict("records"), **_choices()), status


def _live_plan(args, exact: bool | None = None):
    """(params, plan) for a request's arguments, with the referrals turned away for lack of
    capacity as they are now (exact counts for planners unless ``exact`` is False); or (None,
    the chooser page saying what is wrong) when the arguments are bad or the store holds
    nothing to plan with."""
    try:
        params = params_from_args(args)
        show_exact = has_role(*CAN_SEE_EXACT_COUNTS) if exact is None else exact
        return params, outreach.with_observed(get_store(), current_plan(params),
                                              exact=show_exact)
    except (InputError, NoData) as e:
        return None, index(error=getattr(e, "message", None) or str(e), status=400)


@bp.get("/plan")
@allowed
def plan():
    params, p = _live_plan(request.args)
    if params is None:
        return p
    q = query_args(params)
    return render_template("outreach_plan.html", plan=p, map=_plan_map(p),
                           links=_links("plan", query=q), query=q, saved=None,
                           save_fields=_save_fields(q), **_choices())


@bp.get("/plan/print")
@allowed
def plan_print():
    params, p = _live_plan(request.args)
    if params is None:
        return p
    q = query_args(params)
    return _print_page(p, _links("plan", query=q))


@bp.get("/plan.<fmt>")
@allowed
def plan_download(fmt):
    params, p = _live_plan(request.args)
    if params is None:
        return p
    return _download(p, fmt, url_for("outreach.plan_data_dictionary", **query_args(params)))


@bp.get("/plan/dictionary.csv")
@allowed
def plan_data_dictionary():
    """What each column of the plan's CSV (and its route's GeoJSON properties) holds."""
    params, p = _live_plan(request.args)
    if params is None:
        return p
    prov = _plan_provenance(p, request.path)
    return downloads.attachment(write_csv(with_provenance(plan_dictionary(p), prov)),
                                "text/csv; charset=utf-8",
                                _file_name(p, "dictionary.csv"), prov)


def _print_page(p: dict, links: dict):
    svg = outreach_layer.svg_map(p, _areas_frame())
    return render_template("outreach_print.html", plan=p, svg=svg, links=links, **_choices())


def _save_fields(q: dict) -> list[tuple[str, str]]:
    out = []
    for k, v in q.items():
        for item in (v if isinstance(v, list) else [v]):
            out.append((k, str(item)))
    return out


# --- saved plans ---------------------------------------------------------------------------------
@bp.get("/plans")
@allowed
def saved_plans():
    plans = get_store().list_outreach_plans().to_dict("records")
    return render_template("outreach_saved.html", plans=plans)


@bp.post("/plans")
@allowed
def save_plan():
    params, p = _live_plan(request.form, exact=False)   # saved plans are shared: suppressed
    if params is None:
        return p
    name = (request.form.get("name") or "").strip()[:200]
    user = getattr(g, "user", None)
    pid = outreach.save(get_store(), p, name=name, created_by=user["name"] if user else None)
    return redirect(url_for("outreach.saved_plan", plan_id=pid), code=303)


@bp.get("/plans/<int:plan_id>")
@allowed
def saved_plan(plan_id):
    p = outreach.reopen(get_store(), plan_id)
    q = query_args(outreach.PlanParams.from_dict(p["params"]))
    return render_template("outreach_plan.html", plan=p, map=_plan_map(p),
                           links=_links("saved", plan_id=plan_id), query=q, saved=p["saved"],
                           save_fields=_save_fields(q), live_link=url_for("outreach.plan", **q),
                           **_choices())


@bp.get("/plans/<int:plan_id>/print")
@allowed
def saved_print(plan_id):
    p = outreach.reopen(get_store(), plan_id)
    return _print_page(p, _links("saved", plan_id=plan_id))


@bp.get("/plans/<int:plan_id>.<fmt>")
@allowed
def saved_download(plan_id, fmt):
    p = outreach.reopen(get_store(), plan_id)
    q = query_args(outreach.PlanParams.from_dict(p["params"]))
    return _download(p, fmt, url_for("outreach.plan_data_dictionary", **q))


@bp.get("/plans/<int:plan_id>/compare")
@allowed
def compare(plan_id):
    store = get_store()
    p = outreach.reopen(store, plan_id)
    diff = outreach.compare(store, p)
    return render_template("outreach_compare.html", plan=p, diff=diff,
                           links=_links("saved", plan_id=plan_id))


@bp.post("/plans/<int:plan_id>/delete")
@allowed
def delete_plan(plan_id):
    """The plan's author may delete it; anyone else's only a planner."""
    store = get_store()
    owner = store.get_outreach_plan(plan_id)["created_by"]
    if owner != g.user["name"] and g.user["role"] not in CAN_MODERATE:
        raise PermissionDenied(f"this plan was saved by {owner or 'someone else'}; only they "
                               "or a planner may delete it")
    store.delete_outreach_plan(plan_id)
    return redirect(url_for("outreach.saved_plans"), code=303)

"""The provider directory (filters, list and map beside it, distance from a postcode, a
clicked point or an area) and the referral view (place + need + budget -> who can help,
known vacancies first, printable).

From a place, a provider is listed when it can reach the person (``pipeline.match``, the
analysis' reach rule): it comes to people and its area served covers the place, or people
travel to it and it is within the walk. Vacancies count only when recently confirmed
(``settings.VACANCY_STALE_DAYS``)."""
from __future__ import annotations

import secrets

import numpy as np
import pandas as pd
from flask import Blueprint, render_template, request

from .. import maps, model, pipeline, settings
from ..layers.access import isochrone_geojson
from ..layers.providers import QUALITY_LABELS
from . import _params, get_store
from .main import web_data

bp = Blueprint("directory", __name__)

QUALITY_ORDER = {"gold": 3, "silver": 2, "bronze": 1, "none": 0}
MAX_LIST = settings.DIRECTORY_MAX_RESULTS


def _float(v):
    """An optional number filter: None when blank or not a finite number."""
    return _params.lenient(v)


def _flag(args, name) -> bool:
    return str(args.get(name, "")).lower() in ("1", "on", "true", "yes")


def parse_filters(args) -> dict:
    f = {
        "q": (args.get("q") or "").strip()[:100],
        "kind": (args.get("kind") if args.get("kind") in ("providers", "assets", "all")
                 else "providers"),
        "service_type": (args.get("service_type")
                         if args.get("service_type") in model.SERVICE_TYPES else ""),
        "client_group": (args.get("client_group")
                         if args.get("client_group") in model.CLIENT_GROUPS else ""),
        "category": args.get("category") if args.get("category") in model.ASSET_CATEGORIES else "",
        "quality": args.get("quality") if args.get("quality") in QUALITY_ORDER else "",
        "price_min": _float(args.get("price_min")), "price_max": _float(args.get("price_max")),
        "direct_payments": _flag(args, "direct_payments"), "cqc": _flag(args, "cqc"),
        "vacancies": _flag(args, "vacancies"),
        "focus": (args.get("focus") or "").strip()[:60],
        "postcode": (args.get("postcode") or "").strip()[:10],
        "area": (args.get("area") or "").strip().upper()[:12],
        "lat": _float(args.get("lat")), "lon": _float(args.get("lon")),
        "within": _float(args.get("within")),
    }
    if f["within"] is not None:
        f["within"] = min(max(f["within"], 1.0), 120.0)
    return f


def locate(store, f, wd=None) -> tuple[tuple[float, float] | None, str | None]:
    """The search point (lon, lat) from a postcode, a clicked point or an area (its
    population-weighted centre), and an error message."""
    if f["postcode"]:
        pc = model.normalise_postcode(f["postcode"])
        hit = store.lookup_postcodes([pc])
        if hit.empty:
            return None, f"Postcode {pc} is not in the postcode lookup."
        return (float(hit["lon"].iloc[0]), float(hit["lat"].iloc[0])), None
    if f["lat"] is not None and f["lon"] is not None:
        if -90 <= f["lat"] <= 90 and -180 <= f["lon"] <= 180:
            return (f["lon"], f["lat"]), None
        return None, "That point is not a longitude/latitude."
    if f.get("area") and wd is not None:
        a = wd.area(f["area"])
        if a is None:
            return None, "That area is not in this borough."
        lon, lat = a.get("pwc_lon"), a.get("pwc_lat")
        if lon is None or lat is None or lon != lon or lat != lat:
            c = a["geometry"].representative_point()
            lon, lat = c.x, c.y
        return (float(lon), float(lat)), None
    return None, None


def _area_hit(wd, origin):
    """The area (row) holding the point, or None."""
    if origin is None or not len(wd.areas):
        return None
    import shapely
    hit = wd.areas[wd.areas.geometry.contains(shapely.Point(origin))]
    return None if hit.empty else hit.iloc[0]


def _area_names(wd) -> dict:
    """Area and ward codes -> names (for "comes to you: Eastgate, ...")."""
    names = dict(zip(wd.areas["code"], wd.areas["name"]))
    if "parent_code" in wd.areas:
        names.update({k: v for k, v in zip(wd.areas["parent_code"], wd.areas["parent_name"])
                      if k and v})
    return names


def need_context(wd, origin) -> dict | None:
    """The area holding the search point, with its need rank and gaps (need context)."""
    a = _area_hit(wd, origin)
    if a is None:
        return None
    n_gaps = 0
    if len(wd.gaps):           # provider groups (a group in hours and in places counts once)
        g = wd.gaps[(wd.gaps["area_code"] == a["code"]) & wd.gaps["is_gap"]]
        n_gaps = int(g[["group_kind", "group"]].drop_duplicates().shape[0])
    rank = a.get("need_rank")
    return {"code": a["code"], "name": a["name"], "n_areas": len(wd.areas),
            "need_rank": None if rank is None or rank != rank else int(rank),
            "loneliness": a.get("loneliness_risk"), "n_gaps": n_gaps}


def _has(series, item):
    return series.fillna("").map(lambda s: item in model.split_list(s))


def search(wd, f, store=None, origin=None) -> tuple[pd.DataFrame, str | None]:
    """Assets/providers matching the filters (public view), with walking minutes from
    ``origin`` when given; and the walking-time method used."""
    a = wd.assets
    if f["kind"] == "providers":
        a = a[a["is_provider"]]
    elif f["kind"] == "assets":
        a = a[~a["is_provider"]]
    if f["category"]:
        a = a[a["category"] == f["category"]]
    if f["q"]:
        q = f["q"].lower()
        text = (a["name"].fillna("") + " " + a["description"].fillna("")).str.lower()
        a = a[text.str.contains(q, regex=False)]
    a = _provider_filters(a, f)
    return _nearest_first(a, f, store, origin, wd)


def _provider_filters(a: pd.DataFrame, f) -> pd.DataFrame:
    """The filters only providers can meet (any of them set keeps providers only)."""
    prov_filter = any([f["service_type"], f["client_group"], f["quality"],
                       f["price_min"] is not None, f["price_max"] is not None,
                       f["direct_payments"], f["cqc"], f["vacancies"], f["focus"]])
    if prov_filter:
        a = a[a["is_provider"]]
    if f["service_type"]:
        a = a[_has(a["service_types"], f["service_type"])]
    if f["client_group"]:
        a = a[_has(a["client_groups"], f["client_group"])]
    if f["quality"]:
        want = QUALITY_ORDER[f["quality"]]
        a = a[a["quality_mark"].fillna("none").map(QUALITY_ORDER).fillna(0) >= want]
    if f["price_min"] is not None:
        a = a[a["hourly_price"] >= f["price_min"]]
    if f["price_max"] is not None:
        a = a[a["hourly_price"] <= f["price_max"]]
    if f["direct_payments"]:
        a = a[a["direct_payments"].fillna(False).astype(bool)]
    if f["cqc"]:
        a = a[a["cqc_registered"].fillna(False).astype(bool)]
    if f["vacancies"]:                  # only vacancies confirmed recently count
        a = a[pipeline.match.vacancy_columns(a)["has_vacancy"].to_numpy(dtype=bool)]
    if f["focus"]:
        a = a[a["community_focus"].fillna("").str.lower()
              .str.contains(f["focus"].lower(), regex=False)]
    return a


def _nearest_first(a: pd.DataFrame, f, store, origin, wd=None
                   ) -> tuple[pd.DataFrame, str | None]:
    """With ``origin``: those that reach it (providers that come to people whose area
    served covers it; venues within ``within`` minutes' walk, an hour by default), those
    that come to the person first, then nearest, with ``walk_min``, and the walking-time
    method; else all by name. Either way with the vacancy columns (``pipeline.match``)."""
    method = None
    if origin is not None and len(a):
        limit = f["within"] or 60.0
        mins, method = pipeline.walk_minutes(store, origin[0], origin[1], a.geometry.x.to_numpy(),
                                             a.geometry.y.to_numpy(), limit)
        hit = _area_hit(wd, origin) if wd is not None else None
        a = pipeline.match.reach_at(
            a, origin[0], origin[1], None if hit is None else hit["code"],
            None if hit is None else hit.get("parent_code"), mins,
            default_km=pipeline.match.default_radius_km(wd.run if wd is not None else None),
            area_names=_area_names(wd) if wd is not None else None)
        a = a[a["reaches"].to_numpy(dtype=bool)].sort_values(["reach_min", "name"])
    else:
        a = a.assign(walk_min=np.nan, comes_to_you=False)
        a = a.sort_values("name") if "name" in a else a   # a place with no providers at all
    return pipeline.match.vacancy_columns(a), method


@bp.get("/directory")
def directory():
    store = get_store()
    wd = web_data()
    f = parse_filters(request.args)
    origin, error = locate(store, f, wd)
    key = tuple(sorted((k, str(v)) for k, v in f.items()))
    results, method = wd.memoise(("search", key), lambda: search(wd, f, store, origin))
    if origin is None:       # no place to measure from: a fresh fair order for each search
        results = pipeline.match.fair_order(results, secrets.randbits(32))
        shown = results.head(MAX_LIST)
        page = maps.render_parts(maps.build_directory_map(shown, centre=origin))
    else:
        shown = results.head(MAX_LIST)
        page = maps.cached_map(store, "directory",
                               lambda: maps.build_directory_map(shown, centre=origin), key=key)
    ctx = wd.memoise(("context", origin), lambda: need_context(wd, origin))
    return render_template("directory.html", map=page, wd=wd, f=f, results=shown.to_dict("records"),
                           context=ctx,
                           total=len(results), origin=origin, error=error, method=method,
                           st_labels=model.SERVICE_TYPES, cg_labels=model.CLIENT_GROUPS,
                           cat_labels=model.ASSET_CATEGORIES, q_labels=QUALITY_LABELS,
                           max_list=MAX_LIST)


def _referral(wd, store, f, budget, origin):
    """Providers that reach ``origin`` (known vacancies first, then those that come to the
    person or nearer, then quality mark: ``pipeline.match.rank``) and social assets within
    the walk, and the map with the walking isochrones."""
    pf = dict(f, kind="providers", price_max=budget)
    providers, method = search(wd, pf, store, origin)
    providers = pipeline.match.rank(providers)
    af = parse_filters({})
    af.update(kind="assets", within=f["within"], category=f["category"])
    assets, _ = search(wd, af, store, origin)
    if not f["category"]:
        assets = assets[assets["category"].isin(tuple(settings.SOCIAL_CATEGORIES) +
                                                ("gp_practice", "pharmacy"))]
    minutes = [m for m in settings.ISOCHRONE_MINUTES if m <= f["within"]] or [f["within"]]
    iso, imethod = pipeline.isochrones_at(store, origin[0], origin[1], minutes)
    providers = providers.head(settings.REFERRAL_MAX_PROVIDERS)
    assets = assets.head(settings.REFERRAL_MAX_ASSETS)
    # (an empty part may have lost its geometry column: concatenating it would too)
    parts = [x for x in (providers, assets) if len(x)]
    shown = pd.concat(parts) if parts else assets
    page = maps.render_parts(maps.build_directory_map(
        shown, centre=origin, isochrone=isochrone_geojson(iso, method=imethod)))
    return providers, assets, method, page


@bp.get("/referral")
def referral():
    store = get_store()
    wd = web_data()
    f = parse_filters(request.args)
    f["kind"] = "all"
    f["within"] = f["within"] or float(settings.REFERRAL_WALK_MINUTES)
    budget = _float(request.args.get("budget"))
    origin, error = locate(store, f, wd)
    providers = assets = page = None
    method = None
    if origin is not None:
        key = ("referral", tuple(sorted((k, str(v)) for k, v in f.items())), budget, origin)
        providers, assets, method, page = wd.memoise(
            key, lambda: _referral(wd, store, f, budget, origin))
        # equal providers (same vacancy state, minutes and quality mark) in a fresh draw for
        # each search, so none is always first by name
        providers = pipeline.match.rank(providers, seed=secrets.randbits(32))
    ctx = wd.memoise(("context", origin), lambda: need_context(wd, origin))
    return render_template("referral.html", map=page, wd=wd, f=f, budget=budget, origin=origin,
                           context=ctx,
                           error=error, method=method,
                           providers=[] if providers is None else providers.to_dict("records"),
                           assets=[] if assets is None else assets.to_dict("records"),
                           st_labels=model.SERVICE_TYPES, cg_labels=model.CLIENT_GROUPS,
                           cat_labels=model.ASSET_CATEGORIES, q_labels=QUALITY_LABELS,
                           area_choices=_area_choices(wd))


def _area_choices(wd) -> list[tuple[str, str]]:
    """(code, "name (ward)") of every area, by name: the referral form's area picker."""
    if not len(wd.areas):
        return []
    a = wd.areas.sort_values("name")
    wards = a["parent_name"] if "parent_name" in a else [None] * len(a)
    return [(c, f"{n} ({w})" if w else str(n)) for c, n, w in zip(a["code"], a["name"], wards)]

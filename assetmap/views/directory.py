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

from .. import accounts, focus, maps, model, pipeline, settings, trust
from ..layers.access import isochrone_geojson
from ..layers.providers import QUALITY_LABELS
from . import _params, get_store
from .access import has_role
from .main import web_data

bp = Blueprint("directory", __name__)

QUALITY_ORDER = {"gold": 3, "silver": 2, "bronze": 1, "none": 0}
MAX_LIST = settings.DIRECTORY_MAX_RESULTS


@bp.app_template_filter("focus_label")
def _focus_label(term_id) -> str:
    """'urdu' -> 'Urdu' in any template (record pages list a provider's focus terms)."""
    return focus.label(term_id)


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
        "cqc_rating": args.get("cqc_rating") if args.get("cqc_rating") in trust.CQC_FILTERS
        else "",
        "verified": _flag(args, "verified"),
        # only where the council publishes its list (else the filter would reveal it)
        "preferred": _flag(args, "preferred") and settings.PUBLISH_PREFERRED_LIST,
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
                       f["direct_payments"], f["cqc"], f["vacancies"], f["focus"],
                       f.get("cqc_rating"), f.get("verified"), f.get("preferred")])
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
    return _trust_filters(a, f)


def _col(a: pd.DataFrame, name: str) -> list:
    return a[name].tolist() if name in a else [None] * len(a)


def _trust_filters(a: pd.DataFrame, f) -> pd.DataFrame:
    """Community focus (the vocabulary's terms the words mean, or the free text), a
    minimum CQC rating (unrated providers stay unless one is asked for), council-verified
    quality marks only, and the preferred list (where published)."""
    if f["focus"]:
        a = a[np.array([focus.matches(t, x, f["focus"]) for t, x in
                        zip(_col(a, "community_tags"), _col(a, "community_focus"))], dtype=bool)]
    if f.get("cqc_rating"):
        a = a[np.array([trust.cqc_meets(r, f["cqc_rating"]) for r in _col(a, "cqc_rating")],
                       dtype=bool)]
    if f.get("verified"):
        a = a[np.array([trust.is_verified(m, b) for m, b in
                        zip(_col(a, "quality_mark"), _col(a, "quality_mark_by"))], dtype=bool)]
    if f.get("preferred"):
        a = a[np.array([v is True or v == 1 for v in _col(a, "preferred_list")], dtype=bool)]
    return a


def staff() -> bool:
    """Signed-in staff (planners, coordinators, referrers): they see the preferred list."""
    return has_role(*accounts.CAN_SEE_PREFERRED)


def _preferred_ids(wd, store) -> set | None:
    """For staff where the list is not published: the ids on it (read from the store, once
    per data version); None otherwise (the public frame holds the flag, or nobody sees it)."""
    if settings.PUBLISH_PREFERRED_LIST or not staff():
        return None

    def read():
        a = store.read_assets(statuses=("approved",))
        return set(a.loc[a["preferred_list"].fillna(False).astype(bool), "id"]) \
            if "preferred_list" in a else set()
    return wd.memoise(("preferred-ids",), read)


def trust_rows(rows: list[dict], preferred_ids: set | None = None) -> list[dict]:
    """Each result row with its trust signals in words (``assetmap.trust``): the quality
    mark and who awarded it, the CQC rating, the price against the council's rate, the
    community focus terms, and the preferred-list flag where this viewer may see it."""
    show_pref = trust.preferred_visible(staff())
    for r in rows:
        r["quality_text"] = trust.quality_text(r.get("quality_mark"), r.get("quality_mark_by"))
        r["verified"] = trust.is_verified(r.get("quality_mark"), r.get("quality_mark_by"))
        r["cqc_text"] = trust.cqc_text(r.get("cqc_rating"))
        r["rate_text"] = trust.price_against_rate(r.get("hourly_price"))
        r["focus_labels"] = focus.labels_text(r.get("community_tags"))
        pref = r.get("preferred_list") if preferred_ids is None else r.get("id") in preferred_ids
        r["preferred_text"] = trust.PREFERRED_TEXT if show_pref and r.get("is_provider") and \
            (pref is True or pref == 1) else ""
    return rows


def trust_choices() -> dict:
    """What the filter forms offer for the trust signals."""
    return {"cqc_choices": [(k, v[0]) for k, v in trust.CQC_FILTERS.items()],
            "can_filter_preferred": settings.PUBLISH_PREFERRED_LIST,
            "council_rate": trust.council_rate()}


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
    rows = trust_rows(shown.to_dict("records"), _preferred_ids(wd, store))
    return render_template("directory.html", map=page, wd=wd, f=f, results=rows,
                           context=ctx, **trust_choices(),
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
                           providers=[] if providers is None else trust_rows(
                               providers.to_dict("records"), _preferred_ids(wd, store)),
                           assets=[] if assets is None else assets.to_dict("records"),
                           **trust_choices(),
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

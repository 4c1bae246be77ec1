"""Area profiles (JSNA style): indicators against the borough with CIs and a spine chart,
loneliness risk, walking minutes to the nearest asset of each type, assets and providers
within 15 minutes, a small map with the walking isochrone; a printable one-page summary."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from flask import Blueprint, abort, render_template, request

from .. import maps, model, pipeline, settings
from ..layers.access import isochrone_geojson
from . import get_store, referral_evidence, wards
from .main import web_data

bp = Blueprint("areas", __name__)

REACH_MIN = settings.PROFILE_REACH_MINUTES
FLAG_CLASS = {"better": "better", "worse": "worse", "similar": "similar", "higher": "higher",
              "lower": "lower", "not compared": "nc"}


def _num(v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def spine(values: pd.Series, area_value, borough, polarity: str) -> dict | None:
    """Positions (0..1) for a Fingertips-style spine chart centred on the borough value:
    the range of areas, its middle half, and this area; worse to the left when polarity
    says which way is worse."""
    v = values.dropna().to_numpy(dtype=float)
    if len(v) < 2 or borough is None or area_value is None:
        return None
    lo, hi = float(v.min()), float(v.max())

    def pos(x):
        if x <= borough:
            p = 0.5 - 0.5 * (borough - x) / (borough - lo) if borough > lo else 0.5
        else:
            p = 0.5 + 0.5 * (x - borough) / (hi - borough) if hi > borough else 0.5
        p = min(1.0, max(0.0, p))
        return 1 - p if polarity == "high_bad" else p

    q25, q75 = np.percentile(v, [25, 75])
    a, b = sorted((pos(q25), pos(q75)))
    return {"q_left": a, "q_width": max(b - a, 0.005), "area": pos(area_value),
            "lo": lo, "hi": hi}


def profile(wd, code: str, store) -> dict:
    area = wd.area(code)
    if area is None:
        abort(404)
    nearby, method, lon, lat = _within_reach(wd, area, store)
    return {
        "visiting": _visiting(wd, area, lon, lat), "supply": _supply_all(area),
        "area": {k: v for k, v in area.items() if k != "geometry"}, "code": code,
        "n_areas": len(wd.areas), "indicators": _indicator_rows(wd, code),
        "access": _access_rows(wd, code),
        "gaps": _gap_rows(wd, code), "hot": _hotspot(wd, code), "nearby": nearby,
        "method": method, "lon": lon, "lat": lat,
        "need_index": _num(area.get("need_index")), "need_rank": _num(area.get("need_rank")),
        "need_decile": _num(area.get("need_decile")),
        "loneliness": _num(area.get("loneliness_risk")),
        "loneliness_rank": _rank(wd.areas, "loneliness_risk", code),
        **_isolation(wd, area, code),
        "population": _num(area.get("population")), "pop65": _num(area.get("pop_65_plus")),
    }


def _indicator_rows(wd, code: str) -> list[dict]:
    """The area's indicators: value and interval, benchmarks, comparison flag and spine."""
    ind = wd.indicators.set_index("id")
    bench = wd.benchmarks.set_index("indicator_id") if len(wd.benchmarks) else pd.DataFrame()
    rows = []
    for r in wd.values[wd.values["area_code"] == code].to_dict("records"):
        iid = r["indicator_id"]
        if iid not in ind.index:
            continue
        meta = ind.loc[iid]
        b = bench.loc[iid] if iid in bench.index else {}
        allv = wd.values[wd.values["indicator_id"] == iid]["value"]
        rows.append({
            "id": iid, "title": meta["title"], "unit": meta["unit"], "polarity": meta["polarity"],
            "value": _num(r["value"]), "lower": _num(r.get("lower_ci")),
            "upper": _num(r.get("upper_ci")),
            "count": _num(r.get("count")), "borough": _num(b.get("borough")) if len(b) else None,
            "england": _num(b.get("england")) if len(b) else None,
            "flag": r.get("comparison") or "not compared",
            "flag_class": FLAG_CLASS.get(r.get("comparison") or "not compared", "nc"),
            "spine": spine(allv, _num(r["value"]), _num(b.get("borough")) if len(b) else None,
                           meta["polarity"]),
            "source": meta.get("source"), "period": meta.get("period"),
        })
    return rows


def _minutes_text(minutes, beyond) -> str:
    """"12", or "more than 180" where the walk was not reached within the search cap."""
    m = _num(minutes)
    if m is None:
        return "–"
    return f"more than {m:.0f}" if bool(beyond) else f"{m:.0f}"


def _access_rows(wd, code: str) -> list[dict]:
    """Walking minutes to the nearest asset of each category, nearest first (essential
    services, combined, first of all)."""
    access: list[dict] = []
    if len(wd.access):
        a = wd.access[wd.access["area_code"] == code]
        for r in a.to_dict("records"):
            access.append(dict(r, label=maps.CATEGORY_LABELS.get(r["category"], r["category"]),
                               text=_minutes_text(r["minutes"], r.get("beyond_cap"))))
        access.sort(key=lambda r: (r["category"] != "essential",
                                   r["minutes"] if _num(r["minutes"]) is not None else 1e9))
    return access


def _isolation(wd, area, code: str) -> dict:
    """The isolation score and its rank, the walk to essential services, and whether the
    area's walks are straight-line estimates (the street network does not cover it)."""
    ess = [r for r in _access_rows(wd, code) if r["category"] == "essential"]
    return {"isolation": _num(area.get("isolation")),
            "isolation_rank": _rank(wd.areas, "isolation", code),
            "essential_text": ess[0]["text"] if ess else None,
            "off_network": isinstance(area.get("off_network"), (bool, np.bool_))
            and bool(area.get("off_network")),
            "no_network": ((wd.run or {}).get("summary") or {}).get("router") == "crow-fly"}


def _gap_rows(wd, code: str) -> list[dict]:
    """The area's gaps (high need, low supply), each with its title."""
    if not len(wd.gaps):
        return []
    g = wd.gaps[(wd.gaps["area_code"] == code) & wd.gaps["is_gap"]]
    return [dict(r, title=maps.gap_title(r.get("service_type") or "",
                                         r.get("client_group") or ""),
                 words=pipeline.match.gap_words(r))
            for r in g.to_dict("records")]


def _visiting(wd, area, lon, lat) -> list[dict]:
    """Providers that come to people whose area served covers this area (the analysis'
    reach rule at the area's population-weighted centre, as the gap map counts them), known
    vacancies first."""
    prov = wd.providers
    if not len(prov) or lon is None or lat is None:
        return []
    m = pipeline.match.reach_at(prov, lon, lat, area["code"], area.get("parent_code"),
                                np.full(len(prov), np.nan),
                                default_km=pipeline.match.default_radius_km(wd.run))
    m = pipeline.match.rank(pipeline.match.vacancy_columns(m[m["comes_to_you"].to_numpy(bool)]))
    return m.drop(columns=[m.geometry.name]).to_dict("records")


def _supply_all(area) -> str | None:
    """All providers' supply here, with its unit ('1.1 hours a week per 100 people in
    need'), or None without a run."""
    v = _num(area.get("supply_all_per_100"))
    if v is None:
        return None
    return pipeline.match.supply_text(v, str(area.get("supply_all_unit") or "hours"))


def _hotspot(wd, code: str) -> dict | None:
    if not len(wd.hotspots):
        return None
    h = wd.hotspots[wd.hotspots["area_code"] == code]
    return h.iloc[0].to_dict() if len(h) else None


def _within_reach(wd, area, store):
    """Assets within REACH_MIN minutes' walk of the area's population-weighted centre,
    nearest first: on demand from the cached graph (or straight line when there is none).
    Returns (assets with ``walk_min``, "network" or the fallback's method, lon, lat)."""
    lon, lat = _num(area.get("pwc_lon")), _num(area.get("pwc_lat"))
    if lon is None or lat is None:
        c = area["geometry"].representative_point()
        lon, lat = c.x, c.y
    nearby = wd.assets.iloc[0:0]
    method = "network"
    if len(wd.assets):
        mins, method = pipeline.walk_minutes(store, lon, lat, wd.assets.geometry.x.to_numpy(),
                                             wd.assets.geometry.y.to_numpy(), REACH_MIN)
        nearby = wd.assets.assign(walk_min=mins)
        nearby = nearby[np.isfinite(nearby["walk_min"])].sort_values("walk_min")
    return nearby, method, lon, lat


def _rank(areas, col, code):
    if col not in areas or areas[col].isna().all():
        return None
    r = areas.set_index("code")[col].rank(ascending=False, method="min")
    v = r.get(code)
    return None if v is None or v != v else int(v)


@bp.get("/areas")
def index():
    wd = web_data()
    a = wd.areas.drop(columns=wd.areas.geometry.name)
    a = a.sort_values(["need_rank", "name"] if a["need_rank"].notna().any() else ["name"])
    return render_template("areas.html", wd=wd, areas=a.to_dict("records"))


@bp.get("/areas/<code>")
def area(code):
    store = get_store()
    wd = web_data()
    if wards.is_ward(wd, code):
        return wards.ward_profile(code)
    p = wd.memoise(("profile", code), lambda: profile(wd, code, store))
    mode = "drive" if request.args.get("mode") == "drive" else "walk"

    def iso():
        polys, method = pipeline.isochrones_at(store, p["lon"], p["lat"], mode=mode)
        return isochrone_geojson(polys, label="from the area's population-weighted centre",
                                 method=method), method
    gj, method = wd.memoise(("area-isochrone", code, mode), iso)
    page = maps.cached_map(store, "area", lambda: maps.build_area_map(
        wd, code, isochrone=gj, nearby=p["nearby"]), key=(code, mode))
    return render_template("area.html", map=page, wd=wd, p=p, iso_method=method, mode=mode,
                           st_labels=model.SERVICE_TYPES, cg_labels=model.CLIENT_GROUPS,
                           cat_labels=model.ASSET_CATEGORIES, reach=REACH_MIN,
                           speed=settings.WALK_SPEED_KMH,
                           observed=referral_evidence.area_panel(store, wd, code))


@bp.get("/areas/<code>/summary")
def summary(code):
    store = get_store()
    wd = web_data()
    p = wd.memoise(("profile", code), lambda: profile(wd, code, store))
    return render_template("area_summary.html", wd=wd, p=p, reach=REACH_MIN,
                           cat_labels=model.ASSET_CATEGORIES, speed=settings.WALK_SPEED_KMH)

"""Building an outreach plan: the patch (wards, areas, a network's catchment, a venue's walk
or a drawn polygon), every area's priority score, the snapshots a later comparison diffs
against, and :func:`build_plan` / :func:`make_plan`, which put the plan together (see
:mod:`assetmap.outreach`; why each area ranks where it does is worded in :mod:`.why`)."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import shapely
import shapely.errors
from shapely.geometry import mapping, shape

from .. import model, settings
from ..errors import InputError
from ..projection import geoms_to_grid, geoms_to_lonlat
from .commissioning import _missing, _origins, all_gaps, missing_text, venue_gaps
from .context import Context, _wgs, _xy, context
from .params import PlanParams, _mpm, _num
from .route import _knock_first, _route
from .visits import cover, reached, vacancy_fields, walked_to
from .why import _patch_indicators, _why

PLAN_FORMAT = 1

#: Venues whose walking catchment can be a patch ("walk").
CATCHMENT_CATEGORIES = ("neighbourhood_hub", "community_centre", "library")

_QUALITY_ORDER = {"gold": 0, "silver": 1, "bronze": 2, "none": 3}


def make_plan(store, params: PlanParams | dict, run_id: int | None = None, *,
              observed: bool = True) -> dict:
    """Build a plan from the store's latest (or a given) analysis run; with ``observed``,
    referrals turned away for lack of capacity worded into its commissioning items
    (suppressed counts; :func:`.observed.with_observed`)."""
    from .observed import with_observed
    if isinstance(params, dict):
        params = PlanParams.from_dict(params)
    plan = build_plan(context(store, run_id), params)
    return with_observed(store, plan) if observed else plan


def build_plan(ctx: Context, params: PlanParams) -> dict:
    """The outreach plan for ``params`` on ``ctx`` (a JSON-ready dict; see module notes)."""
    params.check()
    idx, patch_geom, label = select_patch(ctx, params)
    patch = _ranked_patch(ctx, params, idx)
    arows = ctx.assets.to_dict("records") if len(ctx.assets) else []
    area_rows, used_assets = _area_rows(ctx, params, patch.head(params.top), arows)
    plan = {
        "format": PLAN_FORMAT, "params": params.to_dict(), "run_id": ctx.run_id,
        "data_version": ctx.data_version, "area_name": ctx.area_name,
        "router": ctx.router_kind, "notes": list(ctx.notes),
        "patch": _patch_summary(ctx, idx, patch_geom, label, patch),
        "areas": area_rows, "assets": used_assets,
    }
    plan["route"] = _route(ctx, params, plan)
    gaps = all_gaps(ctx, params, idx, arows)
    plan["gaps"] = [g for g in gaps if g["kind"] == "service"]   # only what was chosen
    plan["venue_gaps"] = venue_gaps(gaps)
    plan["reach"] = _reach_snapshot(ctx, params, idx, arows)
    plan["need"] = _need_snapshot(ctx, patch)
    return json.loads(json.dumps(plan, default=_json_default))


def _ranked_patch(ctx: Context, params: PlanParams, idx: np.ndarray) -> pd.DataFrame:
    """The patch's areas with their scores, highest first (ties by code), with ``rank`` and
    ``i`` (the row in ``ctx.areas``)."""
    patch = _scores(ctx, params).iloc[idx].copy()
    patch["i"] = idx
    patch = patch.sort_values(["score", "code"], ascending=[False, True])
    patch["rank"] = np.arange(1, len(patch) + 1)
    return patch


def _area_rows(ctx: Context, params: PlanParams, top: pd.DataFrame,
               arows: list) -> tuple[list[dict], dict[str, dict]]:
    """A row per top-ranked area (why, what to connect people to, what is missing, where to
    knock first), and the assets those rows suggest, by id."""
    a = ctx.areas
    mpm = _mpm(params)
    axy = _xy(ctx.assets)
    social_idx = np.flatnonzero(
        ctx.assets["category"].isin(settings.SOCIAL_CATEGORIES).to_numpy()) \
        if len(ctx.assets) else np.zeros(0, int)
    top_i = top["i"].to_numpy()
    oxy = np.column_stack([a["x"].to_numpy()[top_i], a["y"].to_numpy()[top_i]])
    minutes, nearest_social = _walks(ctx, params, oxy, axy, social_idx)
    knock = _knock_first(ctx, top["code"].tolist(), axy[social_idx], mpm)
    pct_iso = pd.to_numeric(a["isolation"], errors="coerce").rank(pct=True).to_numpy()
    matching = {i for i, r in enumerate(arows) if _matches(r, params)}
    meet_idx = np.flatnonzero(
        ctx.assets["category"].isin(settings.OUTREACH_MEETING_CATEGORIES).to_numpy()) \
        if len(ctx.assets) else np.zeros(0, int)
    social = set(meet_idx.tolist())         # venues suggested: social ones and GP, pharmacy...
    used_assets: dict[str, dict] = {}
    rows = []
    covering = cover(ctx, top_i)             # providers that come to each area's people
    venue = walked_to(ctx)
    for k, row in enumerate(top.itertuples()):
        near = reached(minutes.get(k, {}), np.flatnonzero(covering[:, k]), venue)
        sugg = _suggestions(arows, near, matching, social, used_assets,
                            set(np.flatnonzero(covering[:, k]).tolist()))
        nearest = float(nearest_social[k]) if len(nearest_social) else None
        rows.append(_area_row(ctx, params, row, arows, near, sugg, pct_iso[row.i], nearest,
                              knock.get(row.code, [])))
    return rows, used_assets


def _walks(ctx: Context, params: PlanParams, oxy: np.ndarray, axy: np.ndarray,
           social_idx: np.ndarray) -> tuple[dict, np.ndarray]:
    """For each origin (by position): {asset row: minutes} for the assets within the plan's
    walk; and the minutes to its nearest community venue (inf beyond an hour)."""
    mpm = _mpm(params)
    limit_m = params.walk_minutes * mpm
    r, c, m = ctx.router.table(oxy, axy, limit_m) if len(axy) else (np.zeros(0, int),) * 2 + (
        np.zeros(0),)
    minutes: dict[int, dict[int, float]] = {}
    for ri, ci, mi in zip(r, c, m):
        minutes.setdefault(int(ri), {})[int(ci)] = float(mi) / mpm
    nearest_social = ctx.router.nearest(oxy, [axy[social_idx]], 60 * mpm)[0] / mpm \
        if len(social_idx) else np.full(len(oxy), np.inf)
    return minutes, nearest_social


def _suggestions(arows: list, near: dict, matching: set, social: set,
                 used_assets: dict, comes: set | None = None) -> list[dict]:
    """What to connect an area's people to: matching providers that reach it (those with
    recently confirmed vacancies first, then those that come to people (``comes``: rows)
    or nearer, then better quality), then community venues (nearer first); each suggested
    asset is added to ``used_assets``."""
    comes = comes or set()
    provs = sorted(
        [j for j in near if j in matching],
        key=lambda j: (-(1 if (vacancy_fields(arows[j])["vacancies_known"] or 0) > 0 else 0),
                       round(near[j], 1),
                       _QUALITY_ORDER.get(arows[j].get("quality_mark") or "none", 3),
                       str(arows[j]["id"])))
    venues = sorted([j for j in near if j in social],
                    key=lambda j: (round(near[j], 1), str(arows[j]["id"])))
    sugg = []
    for kind, chosen in (("provider", provs), ("venue", venues)):
        for j in chosen[:settings.OUTREACH_MAX_SUGGESTIONS]:
            used_assets.setdefault(str(arows[j]["id"]), _asset_dict(arows[j]))
            sugg.append({"id": str(arows[j]["id"]), "minutes": round(near[j], 1),
                         "kind": kind, "comes_to_you": j in comes})
    return sugg


def _area_row(ctx: Context, params: PlanParams, row, arows: list, near: dict, sugg: list,
              pct_iso: float, nearest_social: float | None, postcodes: list) -> dict:
    """One ranked area of the plan (``row``: its line of :func:`_ranked_patch`)."""
    arow = ctx.areas.iloc[row.i]
    miss_s, miss_v = _missing(arows, near, params)
    lon, lat = _wgs([arow["x"]], [arow["y"]])
    why, why_short = _why(ctx, row.code, arow, pct_iso, nearest_social, params)
    return {
        "rank": int(row.rank), "code": row.code, "name": arow["name"],
        "ward": arow.get("parent_name") or "", "score": round(float(row.score), 3),
        "isolation": _num(arow.get("isolation")), "need_index": _num(arow.get("need_index")),
        "isolation_z": round(float(row.isolation_z), 2), "need_z": round(float(row.need_z), 2),
        "unmet_z": round(float(row.unmet_z), 2),
        "hotspot": arow.get("gi_class") or "", "cluster": arow.get("lisa_class") or "",
        "pop_65_plus": int(round(float(arow["pop_65_plus"] or 0))),
        "lon": float(lon[0]), "lat": float(lat[0]),
        "why": why, "why_short": why_short,
        "suggestions": sugg, "missing_services": miss_s, "missing_venues": miss_v,
        "missing": missing_text(miss_s, miss_v, params.client_group), "postcodes": postcodes,
    }


def _need_snapshot(ctx: Context, patch: pd.DataFrame) -> dict:
    """Each of the patch's areas' rank, score, isolation and need (what a later comparison
    diffs against)."""
    a = ctx.areas
    return {r.code: {"rank": int(r.rank), "score": round(float(r.score), 3),
                     "isolation_z": round(float(r.isolation_z), 3),
                     "need_z": round(float(r.need_z), 3),
                     "hotspot": a.iloc[r.i].get("gi_class") or ""}
            for r in patch.itertuples()}


# --- the patch ---------------------------------------------------------------------------------
def patch_options(ctx: Context) -> dict:
    """Wards, areas and networks a coordinator can choose from (for forms)."""
    a = ctx.areas
    wards = a.dropna(subset=["parent_code"]).groupby(["parent_code"], sort=True)["parent_name"] \
        .first().reset_index()
    return {
        "wards": [{"id": r.parent_code, "name": r.parent_name or r.parent_code}
                  for r in wards.itertuples()],
        "areas": [{"id": r.code, "name": r.name, "ward": r.parent_name or ""}
                  for r in a.sort_values("name").itertuples()],
        "networks": [{"id": r.id, "name": r.name} for r in ctx.networks.itertuples()]
        if len(ctx.networks) else [],
        "venues": [{"id": str(r.id), "name": r.name,
                    "category": model.ASSET_CATEGORIES.get(r.category, r.category)}
                   for r in ctx.assets[ctx.assets["category"].isin(CATCHMENT_CATEGORIES)]
                   .sort_values(["category", "name"]).itertuples()] if len(ctx.assets) else [],
    }


def _polygon_from_geojson(gj) -> shapely.Geometry:
    if isinstance(gj, str):
        gj = json.loads(gj)
    if not isinstance(gj, dict):
        raise InputError("the drawn patch is not GeoJSON", field="polygon")
    if gj.get("type") == "FeatureCollection":
        geoms = [g for g in (_polygon_from_geojson(f) for f in gj.get("features") or [])]
        if not geoms:
            raise InputError("draw a patch on the map first", field="polygon")
        return shapely.union_all(geoms)
    if gj.get("type") == "Feature":
        gj = gj.get("geometry") or {}
    try:
        g = shape(gj)
    except (ValueError, TypeError, KeyError, AttributeError, shapely.errors.GEOSException) as e:
        raise InputError(f"the drawn patch is not a valid shape ({e})", field="polygon") from e
    if g.geom_type not in ("Polygon", "MultiPolygon"):
        raise InputError("the patch must be a polygon (draw a shape, not a line or point)",
                         field="polygon")
    if len(shapely.get_coordinates(g)) > 5000:
        raise InputError("the drawn patch has too many points (at most 5,000)", field="polygon")
    x0, y0, x1, y1 = g.bounds
    if not (-180 <= x0 <= 180 and -90 <= y0 <= 90 and -180 <= x1 <= 180 and -90 <= y1 <= 90):
        raise InputError("the patch is not in longitude/latitude", field="polygon")
    if not g.is_valid:
        g = shapely.make_valid(g)
        g = shapely.union_all([p for p in getattr(g, "geoms", [g])
                               if p.geom_type in ("Polygon", "MultiPolygon")])
    return geoms_to_grid(g)


def select_patch(ctx: Context, params: PlanParams) -> tuple[np.ndarray, shapely.Geometry, str]:
    """(row indices into ctx.areas, patch polygon in EPSG:27700, a label)."""
    a = ctx.areas
    if params.patch == "wards":
        wanted = set(params.ids)
        sel = a["parent_code"].isin(wanted) | a["parent_name"].isin(wanted)
        idx = np.flatnonzero(sel.to_numpy())
        names = sorted(set(a.loc[sel, "parent_name"].dropna()))
        label = ", ".join(names) or ", ".join(params.ids)
        if not len(idx):
            raise InputError("no such ward", field="ids")
        geom = shapely.union_all(a.geometry.iloc[idx].to_numpy())
        return idx, geom, label
    if params.patch == "areas":
        sel = a["code"].isin(set(params.ids))
        idx = np.flatnonzero(sel.to_numpy())
        if not len(idx):
            raise InputError("no such area", field="ids")
        names = list(a["name"].iloc[idx])
        label = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        return idx, shapely.union_all(a.geometry.iloc[idx].to_numpy()), label
    if params.patch == "network":
        nets = ctx.networks
        hit = nets[nets["id"] == params.ids[0]] if len(nets) else nets
        if hit is None or not len(hit):
            raise InputError("no such neighbourhood network", field="ids")
        geom = hit.geometry.iloc[0]
        label = f"{hit['name'].iloc[0]} (neighbourhood network)"
    elif params.patch == "walk":
        geom, label = _walk_catchment(ctx, params)
    else:
        geom = _polygon_from_geojson(params.polygon)
        label = "Drawn patch"
    if geom.is_empty or geom.area < 1.0:
        raise InputError("the patch is empty", field="polygon")
    if geom.area > 4 * a.unary_union.area + 1e6:
        raise InputError("the patch is much larger than the whole area; draw a smaller one",
                         field="polygon")
    inside = shapely.contains_xy(geom, a["x"].to_numpy(), a["y"].to_numpy())
    overlap = shapely.area(shapely.intersection(a.geometry.to_numpy(), geom)) / \
        np.maximum(shapely.area(a.geometry.to_numpy()), 1.0)
    idx = np.flatnonzero(inside | (overlap >= 0.5))
    if not len(idx):
        raise InputError("the patch holds no area's population centre: draw a larger patch "
                         "or cover more of an area", field="polygon")
    return idx, geom, label


def _walk_catchment(ctx: Context, params: PlanParams):
    """The streets within ``params.walk_minutes`` of a venue (its walking isochrone), or a
    circle of the same walk where there is no street network."""
    from ..analysis.isochrones import isochrones
    a = ctx.assets
    hit = a[a["id"].astype(str) == str(params.ids[0])] if len(a) else a
    if not len(hit):
        raise InputError("no such venue", field="ids")
    row = hit.iloc[0]
    x, y = row.geometry.x, row.geometry.y
    metres = params.walk_minutes * _mpm(params)
    geom = None
    if ctx.graph is not None:
        geom = isochrones(ctx.graph, x, y, [params.walk_minutes], params.speed_kmh)[0]
    if geom is None or geom.is_empty:
        geom = shapely.Point(x, y).buffer(metres / settings.CROW_FLY_DETOUR)
    return geom, f"{row['name']}: {params.walk_minutes:g} minutes' walk"


# --- scores -------------------------------------------------------------------------------------
def _z(series: pd.Series) -> pd.Series:
    s = pd.to_numeric(series, errors="coerce")
    sd = s.std(ddof=0)
    if not np.isfinite(sd) or sd == 0:
        return pd.Series(0.0, index=s.index)
    return ((s - s.mean()) / sd).fillna(0.0)


def _scores(ctx: Context, params: PlanParams) -> pd.DataFrame:
    """Priority of every area of the borough (z-scores are borough-wide)."""
    a = ctx.areas
    out = pd.DataFrame({"code": a["code"]})
    out["isolation_z"] = _z(a["isolation"]).to_numpy()
    out["need_z"] = _z(a["need_index"]).to_numpy()
    supply_z = pd.Series(0.0, index=a.index)
    sub = _group_rows(ctx.gaps, params.client_group, params.service_type)
    if sub is not None and len(sub):
        if "unit" in sub and sub["unit"].nunique() > 1:     # one unit: never mix them
            sub = sub[sub["unit"] == ("hours" if (sub["unit"] == "hours").any() else
                                      sub["unit"].iloc[0])]
        col = "access" if "access" in sub else "supply"
        s = sub.groupby("area_code")[col].mean().reindex(a["code"]).to_numpy()
        supply_z = _z(pd.Series(s, index=a.index))
    out["supply_z"] = supply_z.to_numpy()
    out["unmet_z"] = out["need_z"] - 0.5 * out["supply_z"]
    w = settings.OUTREACH_ISOLATION_WEIGHT
    hot = (a["gi_class"] == "hot").to_numpy()
    out["hotspot"] = hot
    out["score"] = w * out["isolation_z"] + (1 - w) * out["unmet_z"] + \
        settings.OUTREACH_HOTSPOT_BONUS * hot
    return out


def _group_rows(g: pd.DataFrame, client_group: str, service_type: str = "",
                which: str = "both") -> pd.DataFrame | None:
    """Gap rows for a client group and/or service type, from either shape of gaps frame:
    the pipeline's long one (group_kind, group, access, gap) or one row per service type x
    client group (service_type, client_group, supply, is_gap)."""
    if g is None or not len(g) or "area_code" not in g:
        return None
    if {"group_kind", "group"} <= set(g.columns):
        sel = pd.Series(False, index=g.index)
        if which in ("both", "client_group"):
            sel |= (g["group_kind"] == "client_group") & (g["group"] == client_group)
        if service_type and which in ("both", "service_type"):
            sel |= (g["group_kind"] == "service_type") & (g["group"] == service_type)
        return g[sel]
    if "client_group" in g:
        sub = g[g["client_group"] == client_group] if which != "service_type" else g
        if service_type and "service_type" in sub:
            sub = sub[sub["service_type"] == service_type]
        return sub
    return None


# --- what the plan says about each area and the patch ------------------------------------------
def _matches(row: dict, params: PlanParams) -> bool:
    if not row.get("is_provider"):
        return False
    if params.client_group not in model.split_list(row.get("client_groups")):
        return False
    if params.service_type and params.service_type not in model.split_list(
            row.get("service_types")):
        return False
    return True


def _asset_dict(row: dict) -> dict:
    g = row["geometry"]
    lon, lat = _wgs([g.x], [g.y])
    prov = bool(row.get("is_provider"))
    cat = row.get("category")
    d = {
        "id": str(row["id"]), "name": row.get("name") or "", "category": cat,
        "category_label": model.ASSET_CATEGORIES.get(cat, cat) if cat else cat,
        "lon": float(lon[0]), "lat": float(lat[0]), "is_provider": prov,
        "address": row.get("address"), "postcode": row.get("postcode"),
        "opening_hours": row.get("opening_hours"), "contact": row.get("contact"),
        "home_based": bool(row.get("home_based")), "version": int(row.get("version") or 1),
        "location_note": row.get("location_note") or "",
    }
    if prov:
        d.update({
            "service_types": model.split_list(row.get("service_types")),
            "client_groups": model.split_list(row.get("client_groups")),
            "vacancies": _num(row.get("vacancies"), 1),
            **vacancy_fields(row),
            "quality_mark": row.get("quality_mark") or "none",
            "hourly_price": _num(row.get("hourly_price"), 2),
            "direct_payments": bool(row.get("direct_payments")),
            "community_focus": row.get("community_focus"),
        })
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in d.items()}


def _patch_summary(ctx, idx, geom, label, ranked) -> dict:
    a = ctx.areas
    g = geoms_to_lonlat(shapely.simplify(geom, 5.0))
    g = shapely.set_precision(g, 1e-6)
    return {
        "kind": "", "label": label, "geometry": mapping(g),
        "area_codes": [str(c) for c in a["code"].iloc[idx]],
        "area_names": {str(c): str(n) for c, n in zip(a["code"].iloc[idx], a["name"].iloc[idx])},
        "population": int(round(float(a["population"].iloc[idx].sum()))),
        "pop_65_plus": int(round(float(a["pop_65_plus"].iloc[idx].sum()))),
        "hotspot_areas": [str(c) for c in a["code"].iloc[idx][
            (a["gi_class"].iloc[idx] == "hot").to_numpy()]],
        "indicators": _patch_indicators(ctx, idx),
        "ranked": [str(c) for c in ranked["code"]],
        "bounds": [round(float(v), 6) for v in g.bounds],
    }


def _reach_snapshot(ctx: Context, params: PlanParams, idx: np.ndarray, arows) -> dict:
    """Every approved asset within the walk of any of the patch's origins, with its version
    (what a later comparison diffs against)."""
    if not arows:
        return {"assets": {}, "walk_minutes": params.walk_minutes}
    _, oxy, _ = _origins(ctx, idx)
    limit = params.walk_minutes * _mpm(params)
    _, c, _ = ctx.router.table(oxy, _xy(ctx.assets), limit)
    inside = shapely.contains_xy(shapely.buffer(shapely.union_all(
        ctx.areas.geometry.iloc[idx].to_numpy()), 1.0), ctx.assets.geometry.x.to_numpy(),
        ctx.assets.geometry.y.to_numpy())
    keep = sorted(set(int(j) for j in c) | set(np.flatnonzero(inside).tolist()))
    snap = {}
    for j in keep:
        r = arows[j]
        snap[str(r["id"])] = {"name": r.get("name") or "", "category": r.get("category"),
                              "version": int(r.get("version") or 1),
                              "is_provider": bool(r.get("is_provider")),
                              "vacancies": _num(r.get("vacancies"), 1)}
    return {"assets": snap, "walk_minutes": params.walk_minutes}


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(type(o))


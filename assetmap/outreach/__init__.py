"""Outreach plans for local area coordinators (no Flask, no SQL beyond the store's methods).

A coordinator chooses a *patch* (wards, areas, a neighbourhood network's catchment or a
polygon drawn on the map); :func:`build_plan` turns the stored analysis into a plan they can
carry:

* **where first**: the patch's areas ranked by priority =
  ``OUTREACH_ISOLATION_WEIGHT x isolation z + (1 - weight) x unmet need z`` (+
  ``OUTREACH_HOTSPOT_BONUS`` inside a significant Gi* isolation hotspot), z-scores taken over
  the whole borough; unmet need = need index z minus half the supply z for the chosen client
  group (E2SFCA supply from the analysis gaps, where the run has it). Each area says *why*:
  its hotspot class, its strongest indicators (polarity-aware z-scores against the borough)
  and its walk to the nearest community venue; where the store holds postcodes, the area's
  postcodes farthest from a community venue are listed as the streets to knock on first;
* **what to connect people to**: micro-providers within ``walk_minutes`` of the area's
  population-weighted centre that serve the chosen client group (and service type), those
  with vacancies first, then community venues; and what is missing within that walk;
* **a route**: a walking tour through the top areas (each stop at a community venue near the
  area's centre where there is one), optimal up to 12 stops (Held-Karp) and a 2-opt/Or-opt
  heuristic beyond, over walking times on the street network, with the path geometry;
* **commissioning gaps**: sentences such as "No day activities for people with learning
  disabilities within 20 minutes' walk of 1,200 people aged 65+".

A plan is a plain JSON-ready dict (saved by ``Store.save_outreach_plan``), carrying its
parameters, the analysis run and data version it came from, and snapshots of the assets in
reach and of each area's need, so :func:`compare` can say later what changed.

Home-based providers only ever appear at their approximate (grid-cell) location
(:mod:`assetmap.privacy`); walking times to them use that location too.
"""
from __future__ import annotations

import json
import logging
import math
import threading
from dataclasses import asdict, dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import mapping, shape
from shapely.ops import transform as _transform

from .. import model, settings
from ..errors import InputError, NoData
from .tour import best_tour, tour_length
from ..privacy import public_assets

log = logging.getLogger(__name__)

PLAN_FORMAT = 1
PATCH_KINDS = ("wards", "areas", "network", "walk", "polygon")
#: Venues whose walking catchment can be a patch ("walk").
CATCHMENT_CATEGORIES = ("neighbourhood_hub", "community_centre", "library")
_TO_WGS = Transformer.from_crs(settings.ANALYSIS_CRS, settings.STORAGE_CRS, always_xy=True)
_TO_BNG = Transformer.from_crs(settings.STORAGE_CRS, settings.ANALYSIS_CRS, always_xy=True)

#: How each client group and service type reads inside a sentence.
GROUP_PHRASES = {
    "older_people": "older people",
    "learning_disability": "people with learning disabilities",
    "autism": "autistic people",
    "physical_disability": "people with physical disabilities",
    "mental_health": "people with mental health needs",
    "dementia": "people living with dementia",
    "carers": "carers",
}
SERVICE_PHRASES = {
    "home_support": "support in the home",
    "domiciliary_care": "domiciliary care",
    "day_activities": "day activities",
    "accommodation": "accommodation",
    "befriending": "befriending",
    "transport": "community transport",
    "other": "other services",
}
CATEGORY_PHRASES = {
    "community_centre": "community centre", "library": "library", "faith_venue": "faith venue",
    "cafe_pub": "cafe or pub", "park": "park or green space",
    "sport_leisure": "sport or leisure venue", "neighbourhood_hub": "neighbourhood network hub",
}


def _r(v, nd=5):
    return None if v is None or not np.isfinite(v) else round(float(v), nd)


def _num(v, nd=3):
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return round(f, nd) if math.isfinite(f) else None


def _wgs(x, y):
    lon, lat = _TO_WGS.transform(np.asarray(x, float), np.asarray(y, float))
    return np.round(lon, 6), np.round(lat, 6)


def people(n: float) -> str:
    """1234 -> '1,230' (to the nearest 10 from 100 up)."""
    n = float(n)
    if n >= 100:
        n = round(n, -1)
    return f"{int(round(n)):,}"


# --- parameters -----------------------------------------------------------------------------------
@dataclass
class PlanParams:
    """What a coordinator asked for; everything a plan is rebuilt from."""

    patch: str = "wards"
    ids: list = field(default_factory=list)          # ward codes, area codes or a network id
    polygon: dict | None = None                      # GeoJSON geometry (WGS84) for "polygon"
    client_group: str = "older_people"
    service_type: str = ""                           # "" = any service type
    walk_minutes: float = settings.OUTREACH_WALK_MINUTES
    speed_kmh: float = settings.WALK_SPEED_KMH
    top: int = settings.OUTREACH_TOP_AREAS
    stops: int = settings.OUTREACH_ROUTE_STOPS
    closed: bool = True                              # route returns to its start
    stop_ids: list = field(default_factory=list)     # chosen stops: "area:CODE" / "asset:ID"

    def to_dict(self) -> dict:
        return json.loads(json.dumps(asdict(self)))

    @classmethod
    def from_dict(cls, d: dict) -> "PlanParams":
        d = dict(d or {})
        ids = d.get("ids") or []
        if isinstance(ids, str):
            ids = [i for i in ids.replace(",", " ").split() if i]
        poly = d.get("polygon")
        if isinstance(poly, str):
            poly = poly.strip()
            try:
                poly = json.loads(poly) if poly else None
            except ValueError as e:
                raise InputError("the drawn patch is not valid GeoJSON", field="polygon") from e
        stop_ids = d.get("stop_ids") or []
        if isinstance(stop_ids, str):
            stop_ids = [s for s in stop_ids.split(",") if s]

        def num(key, lo, hi, kind=float):
            v = d.get(key, getattr(cls, key))
            if v in (None, ""):
                v = getattr(cls, key)
            try:
                v = kind(float(v))
            except (TypeError, ValueError) as e:
                raise InputError(f"'{v}' is not a number", field=key) from e
            if not lo <= v <= hi:
                raise InputError(f"must be between {lo} and {hi}", field=key)
            return v

        closed = d.get("closed", True)
        if isinstance(closed, str):
            closed = closed.lower() not in ("0", "false", "no", "off", "open")
        p = cls(patch=str(d.get("patch") or "wards"), ids=[str(i) for i in ids], polygon=poly,
                client_group=str(d.get("client_group") or "older_people"),
                service_type=str(d.get("service_type") or ""),
                walk_minutes=num("walk_minutes", 1, 60), speed_kmh=num("speed_kmh", 1, 8),
                top=num("top", 1, 50, int), stops=num("stops", 2, 30, int),
                closed=bool(closed), stop_ids=[str(s) for s in stop_ids][:30])
        p.check()
        return p

    def check(self) -> None:
        if self.patch not in PATCH_KINDS:
            raise InputError(f"patch must be one of {', '.join(PATCH_KINDS)}", field="patch")
        if self.client_group not in model.CLIENT_GROUPS:
            raise InputError(f"'{self.client_group}' is not a client group", field="client_group")
        if self.service_type and self.service_type not in model.SERVICE_TYPES:
            raise InputError(f"'{self.service_type}' is not a service type", field="service_type")
        if self.patch == "polygon":
            if not self.polygon:
                raise InputError("draw a patch on the map first", field="polygon")
        elif not self.ids:
            what = {"wards": "a ward", "areas": "an area", "network": "a neighbourhood network",
                    "walk": "a venue for the walking catchment"}
            raise InputError(f"choose {what[self.patch]}", field="ids")

    def key(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


# --- what a plan is built from -------------------------------------------------------------------
@dataclass
class Context:
    """The stored data and analysis a plan reads, in EPSG:27700, loaded once per data
    version and analysis run (:func:`context`)."""

    data_version: int
    run_id: int | None
    area_name: str
    areas: gpd.GeoDataFrame      # code, name, parent_code, parent_name, pop_65_plus, population,
    #                              x, y (population-weighted centre), need/isolation/hotspot cols
    zscores: pd.DataFrame        # area code x indicator id, polarity-aware (high = more need)
    values: pd.DataFrame         # area code x indicator id, raw values
    borough: dict                # indicator id -> borough value (population-weighted mean)
    indicators: pd.DataFrame
    assets: gpd.GeoDataFrame     # approved, public view (home-based approximated), EPSG:27700
    networks: gpd.GeoDataFrame   # EPSG:27700
    gaps: pd.DataFrame           # analysis gaps (area_code, service_type, client_group, ...)
    router: object               # analysis.network GraphRouter or CrowFlyRouter
    graph: object = None         # analysis.network.WalkGraph when there is a street network
    notes: list = field(default_factory=list)
    postcodes: pd.DataFrame = None  # postcode, x, y, area_code (EPSG:27700), inside the areas

    @property
    def router_kind(self) -> str:
        return getattr(self.router, "kind", "crow-fly")


_ctx_cache: dict[tuple, Context] = {}
_ctx_lock = threading.Lock()


def context(store, run_id: int | None = None) -> Context:
    """The :class:`Context` for the store's data version and ``run_id`` (latest if None)."""
    run = store.get_run(run_id) if run_id is not None else store.latest_run()
    key = (store.url, store.data_version(), run["id"] if run else None)
    with _ctx_lock:
        hit = _ctx_cache.get(key)
    if hit is not None:
        return hit
    ctx = _load_context(store, run)
    with _ctx_lock:
        for k in [k for k in _ctx_cache if k[0] == store.url and k[1] != key[1]]:
            del _ctx_cache[k]
        if len(_ctx_cache) > 8:
            _ctx_cache.clear()
        _ctx_cache[key] = ctx
    return ctx


def clear_cache() -> None:
    with _ctx_lock:
        _ctx_cache.clear()


def _get(obj, key):
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)


def _rename(df: pd.DataFrame, mapping: dict) -> pd.DataFrame:
    return df.rename(columns={k: v for k, v in mapping.items() if k in df and v not in df})


def _analysis_frames(store, run) -> tuple[pd.DataFrame | None, pd.DataFrame, object, list]:
    """(areas results, gaps, the Analysis object, notes) from the pipeline's stored run."""
    notes = []
    if run is None:
        notes.append("No analysis run yet: areas are ranked on their indicators only.")
        return None, pd.DataFrame(), None, notes
    try:
        from .. import pipeline
        analysis = pipeline.load(store, run_id=run["id"])
    except Exception as e:  # noqa: BLE001 - an unreadable run must not stop a plan
        log.warning("outreach: could not load analysis run %s: %s", run.get("id"), e)
        notes.append(f"The analysis run {run.get('id')} could not be read; areas are ranked "
                     "on their indicators only.")
        return None, pd.DataFrame(), None, notes
    res = _get(analysis, "areas")
    if res is None:
        res = _get(analysis, "need")
    if res is not None:
        res = pd.DataFrame(res).copy()
        if "code" not in res and res.index.name in ("code", "area_code"):
            res = res.reset_index()
        res = _rename(res, {"area_code": "code", "need_score": "need_index",
                            "isolation_score": "isolation", "loneliness": "loneliness_risk",
                            "loneliness_prob": "loneliness_risk", "hotspot_class": "gi_class"})
        if "geometry" in res:
            res = pd.DataFrame(res.drop(columns="geometry"))
    hot = _get(analysis, "hotspots")
    if hot is not None and res is not None:
        hot = _rename(pd.DataFrame(hot).copy(), {"area_code": "code", "hotspot_class": "gi_class",
                                                  "isolation_score": "isolation"})
        if "code" in hot:
            extra = [c for c in ("gi_z", "gi_q", "gi_class", "lisa_class", "isolation")
                     if c in hot and c not in res]
            if extra:
                res = res.merge(hot[["code"] + extra], on="code", how="left")
    gaps = _get(analysis, "gaps")
    gaps = _rename(pd.DataFrame(gaps).copy(), {"code": "area_code"}) if gaps is not None \
        else pd.DataFrame()
    return res, gaps, analysis, notes


def _router(store, analysis):
    """The walking router (street network if there is one) and its graph."""
    from ..analysis import network
    for name in ("router", "walk_router"):
        r = _get(analysis, name)
        if r is not None and hasattr(r, "table"):
            return r, getattr(r, "graph", None)
    graph = None
    for name in ("graph", "walk_graph"):
        g = _get(analysis, name)
        if g is not None and hasattr(g, "csr"):
            graph = g
    if graph is None:
        try:
            from .. import pipeline
            for name in ("load_graph", "walk_graph", "graph_for"):
                fn = getattr(pipeline, name, None)
                if callable(fn):
                    graph = fn(store)
                    break
        except Exception as e:  # noqa: BLE001
            log.warning("outreach: no street graph from the pipeline: %s", e)
    if graph is not None and getattr(graph, "n_nodes", 0):
        params = _get(analysis, "params") or {}
        return network.GraphRouter(graph, params.get("max_snap_distance_m")), graph
    return network.CrowFlyRouter(), None


def _load_context(store, run) -> Context:
    areas = store.read_areas("lsoa")
    if areas.empty:
        areas = store.read_areas(None)
    if areas.empty:
        raise NoData("the store holds no areas yet: import boundaries or build the demo")
    areas = areas.to_crs(settings.ANALYSIS_CRS)
    areas["pop_65_plus"] = areas[["pop_65_74", "pop_75_84", "pop_85_plus"]].sum(
        axis=1, min_count=1).fillna(0.0)
    areas["population"] = areas[list(model.AGE_BANDS)].sum(axis=1, min_count=1).fillna(0.0)
    has = areas["pwc_lon"].notna() & areas["pwc_lat"].notna()
    x, y = _TO_BNG.transform(areas["pwc_lon"].fillna(0).to_numpy(),
                             areas["pwc_lat"].fillna(0).to_numpy())
    rp = areas.geometry.representative_point()
    inside = np.array([has.iloc[i] and areas.geometry.iloc[i].buffer(50).contains(
        shapely.Point(x[i], y[i])) for i in range(len(areas))])
    areas["x"] = np.where(inside, x, rp.x)
    areas["y"] = np.where(inside, y, rp.y)

    indicators = store.read_indicators()
    vals = store.read_values()
    wide = vals.pivot(index="area_code", columns="indicator_id", values="value") \
        if len(vals) else pd.DataFrame(index=pd.Index([], name="area_code"))
    wide = wide.reindex(areas["code"])
    pol = dict(zip(indicators["id"], indicators["polarity"])) if len(indicators) else {}
    z = (wide - wide.mean()) / wide.std(ddof=0).replace(0, np.nan)
    for c in z.columns:
        if pol.get(c) == "high_good":
            z[c] = -z[c]
    pop = areas.set_index("code")["population"].reindex(wide.index).fillna(0)
    borough = {}
    for c in wide.columns:
        v = wide[c]
        ok = v.notna()
        w = pop[ok] if pop[ok].sum() > 0 else None
        borough[c] = float(np.average(v[ok], weights=w)) if ok.any() else float("nan")

    res, gaps, analysis, notes = _analysis_frames(store, run)
    if res is not None and "code" in res:
        cols = [c for c in res.columns if c != "code" and c not in areas.columns]
        areas = areas.merge(res[["code"] + cols], on="code", how="left")
    for c in ("need_index", "isolation", "loneliness_risk", "gi_z"):
        if c not in areas:
            areas[c] = np.nan
    for c in ("gi_class", "lisa_class"):
        if c not in areas:
            areas[c] = None
    # Fall back on the indicators where the run lacks a column.
    if areas["need_index"].isna().all() and len(z.columns):
        w = {k: v for k, v in settings.NEED_WEIGHTS.items() if k in z}
        if w:
            areas["need_index"] = sum(z[k].fillna(0).to_numpy() * v for k, v in w.items()) / sum(
                w.values())
    if areas["loneliness_risk"].isna().all() and "loneliness_risk" in wide:
        areas["loneliness_risk"] = wide["loneliness_risk"].to_numpy()
    if areas["isolation"].isna().all():
        areas["isolation"] = areas["loneliness_risk"]

    assets = public_assets(store.read_assets(), private_ok=True)
    assets = assets.to_crs(settings.ANALYSIS_CRS) if len(assets) else assets.set_crs(
        settings.STORAGE_CRS, allow_override=True).to_crs(settings.ANALYSIS_CRS)
    if "is_provider" not in assets:
        assets["is_provider"] = False
    networks = store.read_networks()
    networks = networks.to_crs(settings.ANALYSIS_CRS) if len(networks) else networks
    router, graph = _router(store, analysis)
    postcodes = _postcodes(store, areas)
    if graph is None:
        notes.append("No street network: walking times are straight-line distances x "
                     f"{settings.CROW_FLY_DETOUR}.")
    return Context(data_version=store.data_version(), run_id=run["id"] if run else None,
                   area_name=store.get_meta("area_name") or settings.DEMO_LA_NAME,
                   areas=areas.reset_index(drop=True), zscores=z, values=wide, borough=borough,
                   indicators=indicators, assets=assets.reset_index(drop=True),
                   networks=networks, gaps=gaps, router=router, graph=graph, notes=notes,
                   postcodes=postcodes)


def _postcodes(store, areas) -> pd.DataFrame:
    """The store's postcodes inside the areas (each given the area holding its point)."""
    cols = ["postcode", "x", "y", "area_code"]
    fn = getattr(store, "postcodes_within", None)
    if fn is None:
        return pd.DataFrame(columns=cols)
    pc = fn(areas.to_crs(settings.STORAGE_CRS).total_bounds)
    if pc.empty:
        return pd.DataFrame(columns=cols)
    x, y = _TO_BNG.transform(pc["lon"].to_numpy(float), pc["lat"].to_numpy(float))
    tree = shapely.STRtree(areas.geometry.to_numpy())
    pi, ai = tree.query(shapely.points(x, y), predicate="within")
    code = np.full(len(pc), None, dtype=object)
    code[pi] = areas["code"].to_numpy()[ai]
    out = pd.DataFrame({"postcode": pc["postcode"], "x": x, "y": y, "area_code": code})
    return out[out["area_code"].notna()].reset_index(drop=True)


# --- the patch -------------------------------------------------------------------------------------
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
    except Exception as e:  # noqa: BLE001
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
    return _transform(_TO_BNG.transform, g)


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
    from ..analysis.network import isochrones
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


# --- the plan -------------------------------------------------------------------------------------
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


def _gap_areas(g: pd.DataFrame, codes, service_type: str, client_group: str) -> int:
    """How many of ``codes`` the analysis classes as gaps (high need, low supply) for this
    service type (pipeline frame: the service type's own gaps)."""
    if g is None or not len(g):
        return 0
    flag = "gap" if "gap" in g else ("is_gap" if "is_gap" in g else None)
    if flag is None:
        return 0
    if {"group_kind", "group"} <= set(g.columns):
        sub = g[(g["group_kind"] == "service_type") & (g["group"] == service_type)]
    elif {"service_type", "client_group"} <= set(g.columns):
        sub = g[(g["service_type"] == service_type) & (g["client_group"] == client_group)]
    else:
        return 0
    sub = sub[sub["area_code"].isin(set(codes))]
    return int(sub.loc[sub[flag].fillna(False).astype(bool), "area_code"].nunique())


def _mpm(params) -> float:
    return params.speed_kmh * 1000.0 / 60.0


def _xy(gdf) -> np.ndarray:
    return np.column_stack([gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()]) \
        if len(gdf) else np.zeros((0, 2))


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
    d = {
        "id": str(row["id"]), "name": row.get("name") or "", "category": row.get("category"),
        "category_label": model.ASSET_CATEGORIES.get(row.get("category"), row.get("category")),
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
            "quality_mark": row.get("quality_mark") or "none",
            "hourly_price": _num(row.get("hourly_price"), 2),
            "direct_payments": bool(row.get("direct_payments")),
            "community_focus": row.get("community_focus"),
        })
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in d.items()}


_QUALITY_ORDER = {"gold": 0, "silver": 1, "bronze": 2, "none": 3}


def _fmt_unit(unit: str):
    if unit == "%":
        return lambda t: f"{t:.1f}%"
    if unit == "decile":
        return lambda t: f"{t:.1f}".removesuffix(".0")
    return lambda t: f"{t:.3g}"


def _patch_indicators(ctx: Context, idx: np.ndarray) -> list[dict]:
    """Each indicator in the patch (population-weighted mean of its areas) beside the
    borough's, most elevated first."""
    if ctx.values.empty or not len(ctx.indicators):
        return []
    codes = ctx.areas["code"].iloc[idx].to_numpy()
    pop = ctx.areas["population"].iloc[idx].to_numpy(float)
    meta = ctx.indicators.set_index("id")
    out = []
    for ind in ctx.values.columns:
        if ind not in meta.index:
            continue
        v = ctx.values.loc[codes, ind].to_numpy(float)
        ok = np.isfinite(v)
        if not ok.any():
            continue
        w = pop[ok] if pop[ok].sum() > 0 else None
        val = float(np.average(v[ok], weights=w))
        b = ctx.borough.get(ind, float("nan"))
        z = ctx.zscores.loc[codes, ind].to_numpy(float)
        zm = float(np.nanmean(z)) if np.isfinite(z).any() else 0.0
        fmt = _fmt_unit(meta.loc[ind, "unit"])
        out.append({"id": ind, "title": str(meta.loc[ind, "title"]), "unit": meta.loc[ind, "unit"],
                    "polarity": meta.loc[ind, "polarity"], "patch": round(val, 3),
                    "borough": round(b, 3) if np.isfinite(b) else None,
                    "patch_text": fmt(val), "borough_text": fmt(b) if np.isfinite(b) else "",
                    "z": round(zm, 2)})
    out.sort(key=lambda r: (r["polarity"] == "neutral", -r["z"]))
    return out


def _why(ctx: Context, code: str, row, pct_iso: float, nearest_social: float | None,
         params: PlanParams) -> tuple[list[str], list[str]]:
    """Why an area comes where it does: (sentences, short phrases for paper)."""
    out, short = [], []
    if row.get("gi_class") == "hot":
        out.append("In an isolation hotspot (Getis-Ord Gi*, significant after the false "
                   "discovery rate correction)")
        short.append("isolation hotspot")
    elif row.get("lisa_class") == "HH":
        out.append("In a cluster of high isolation (local Moran's I, high-high)")
        short.append("high-isolation cluster")
    if np.isfinite(pct_iso):
        top = max(1, int(round(100 * (1 - pct_iso))))
        if top <= 50:
            out.append(f"Isolation score among the highest {top}% of {ctx.area_name}'s areas")
            short.append(f"isolation top {top}%")
    if code in ctx.zscores.index:
        z = ctx.zscores.loc[code].dropna()
        meta = ctx.indicators.set_index("id") if len(ctx.indicators) else None
        z = z[[c for c in z.index if meta is None or c not in meta.index
               or meta.loc[c, "polarity"] != "neutral"]]
        n = 0
        for ind, zv in z.sort_values(ascending=False).items():
            if zv < 0.5 or n >= 3:
                break
            n += 1
            title, unit = ind, ""
            if meta is not None and ind in meta.index:
                title, unit = meta.loc[ind, "title"], meta.loc[ind, "unit"]
            v = ctx.values.loc[code, ind]
            b = ctx.borough.get(ind, float("nan"))
            fmt = _fmt_unit(unit)
            bit = f"{title}: {fmt(v)}"
            if np.isfinite(b):
                bit += f" against {fmt(b)} across the borough"
            out.append(f"{bit} (z = {zv:+.1f})")
            brief = str(title).split(" (")[0]
            short.append(f"{brief} {fmt(v)}" + (f" (borough {fmt(b)})" if np.isfinite(b) else ""))
    if nearest_social is not None:
        if np.isfinite(nearest_social):
            if nearest_social > params.walk_minutes:
                out.append(f"The nearest community venue is {nearest_social:.0f} minutes' walk")
                short.append(f"nearest venue {nearest_social:.0f} min")
        else:
            out.append("No community venue within an hour's walk")
            short.append("no venue within an hour")
    if not out:
        out.append("No indicator well above the borough average; in the patch for coverage")
        short.append("no indicator well above average")
    return out, short


def build_plan(ctx: Context, params: PlanParams) -> dict:
    """The outreach plan for ``params`` on ``ctx`` (a JSON-ready dict; see module notes)."""
    params.check()
    idx, patch_geom, label = select_patch(ctx, params)
    a = ctx.areas
    scores = _scores(ctx, params)
    pct_iso = pd.to_numeric(a["isolation"], errors="coerce").rank(pct=True).to_numpy()
    patch = scores.iloc[idx].copy()
    patch["i"] = idx
    patch = patch.sort_values(["score", "code"], ascending=[False, True])
    patch["rank"] = np.arange(1, len(patch) + 1)
    mpm = _mpm(params)
    limit_m = params.walk_minutes * mpm
    assets = ctx.assets
    axy = _xy(assets)
    arows = assets.to_dict("records") if len(assets) else []
    social_idx = np.flatnonzero(assets["category"].isin(settings.SOCIAL_CATEGORIES).to_numpy()) \
        if len(assets) else np.zeros(0, int)
    match_idx = np.array([i for i, r in enumerate(arows) if _matches(r, params)], dtype=int)

    top = patch.head(params.top)
    top_i = top["i"].to_numpy()
    oxy = np.column_stack([a["x"].to_numpy()[top_i], a["y"].to_numpy()[top_i]])
    r, c, m = ctx.router.table(oxy, axy, limit_m) if len(axy) else (np.zeros(0, int),) * 2 + (
        np.zeros(0),)
    minutes = {}
    for ri, ci, mi in zip(r, c, m):
        minutes.setdefault(int(ri), {})[int(ci)] = float(mi) / mpm
    nearest_social = ctx.router.nearest(oxy, [axy[social_idx]], 60 * mpm)[0] / mpm \
        if len(social_idx) else np.full(len(oxy), np.inf)

    knock = _knock_first(ctx, top["code"].tolist(), axy[social_idx], mpm)
    used_assets: dict[str, dict] = {}
    area_rows = []
    for k, row in enumerate(top.itertuples()):
        arow = a.iloc[row.i]
        near = minutes.get(k, {})
        provs = sorted(
            [j for j in near if j in set(match_idx.tolist())],
            key=lambda j: (-(1 if (arows[j].get("vacancies") or 0) > 0 else 0),
                           round(near[j], 1),
                           _QUALITY_ORDER.get(arows[j].get("quality_mark") or "none", 3),
                           str(arows[j]["id"])))
        venues = sorted([j for j in near if j in set(social_idx.tolist())],
                        key=lambda j: (round(near[j], 1), str(arows[j]["id"])))
        sugg = []
        for j in provs[:settings.OUTREACH_MAX_SUGGESTIONS]:
            used_assets.setdefault(str(arows[j]["id"]), _asset_dict(arows[j]))
            sugg.append({"id": str(arows[j]["id"]), "minutes": round(near[j], 1),
                         "kind": "provider"})
        for j in venues[:settings.OUTREACH_MAX_SUGGESTIONS]:
            used_assets.setdefault(str(arows[j]["id"]), _asset_dict(arows[j]))
            sugg.append({"id": str(arows[j]["id"]), "minutes": round(near[j], 1),
                         "kind": "venue"})
        miss_s, miss_v = _missing(arows, near, params)
        lon, lat = _wgs([arow["x"]], [arow["y"]])
        why, why_short = _why(ctx, row.code, arow, pct_iso[row.i],
                              float(nearest_social[k]) if len(nearest_social) else None, params)
        area_rows.append({
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
            "missing": missing_text(miss_s, miss_v, params.client_group), "postcodes": knock.get(row.code, []),
        })
    plan = {
        "format": PLAN_FORMAT, "params": params.to_dict(), "run_id": ctx.run_id,
        "data_version": ctx.data_version, "area_name": ctx.area_name,
        "router": ctx.router_kind, "notes": list(ctx.notes),
        "patch": _patch_summary(ctx, idx, patch_geom, label, patch),
        "areas": area_rows, "assets": used_assets,
    }
    plan["route"] = _route(ctx, params, plan)
    plan["gaps"] = commissioning_gaps(ctx, params, idx, arows)
    plan["reach"] = _reach_snapshot(ctx, params, idx, arows)
    plan["need"] = {r.code: {"rank": int(r.rank), "score": round(float(r.score), 3),
                             "isolation_z": round(float(r.isolation_z), 3),
                             "need_z": round(float(r.need_z), 3),
                             "hotspot": a.iloc[r.i].get("gi_class") or ""}
                    for r in patch.itertuples()}
    return json.loads(json.dumps(plan, default=_json_default))


def _knock_first(ctx: Context, codes: list, venues_xy: np.ndarray, mpm: float) -> dict:
    """Per area, its postcodes farthest (walking) from any community venue: where to knock
    first."""
    pc = ctx.postcodes
    if pc is None or pc.empty or not len(venues_xy):
        return {}
    pc = pc[pc["area_code"].isin(set(codes))]
    if pc.empty:
        return {}
    d = ctx.router.nearest(pc[["x", "y"]].to_numpy(float), [venues_xy], 120 * mpm)[0] / mpm
    pc = pc.assign(minutes=d).sort_values(["minutes", "postcode"], ascending=[False, True])
    out = {}
    for code, grp in pc.groupby("area_code", sort=False):
        out[code] = [{"postcode": r.postcode,
                      "minutes": round(float(r.minutes), 1) if np.isfinite(r.minutes) else None}
                     for r in grp.head(settings.OUTREACH_POSTCODES_PER_AREA).itertuples()]
    return out


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(type(o))


def _missing(arows, near: dict, params: PlanParams) -> tuple[list[str], list[str]]:
    """What people in an area cannot reach within the walk: the service types (for the
    client group) and the community venue categories with none within reach."""
    types = [params.service_type] if params.service_type else \
        list(settings.OUTREACH_SERVICE_TYPES)
    services = []
    for st in types:
        ok = any(arows[j].get("is_provider") and st in model.split_list(arows[j].get(
            "service_types")) and params.client_group in model.split_list(
            arows[j].get("client_groups")) for j in near)
        if not ok:
            services.append(st)
    venues = [cat for cat in settings.SOCIAL_CATEGORIES
              if not any(arows[j].get("category") == cat for j in near)]
    return services, venues


def missing_text(services: list[str], venues: list[str], client_group: str) -> str:
    """'day activities and befriending for older people; a library, a park or green space'"""
    parts = []
    if services:
        names = [SERVICE_PHRASES[s] for s in services]
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        parts.append(f"{joined} for {GROUP_PHRASES[client_group]}")
    if venues:
        parts.append(", ".join(f"a {CATEGORY_PHRASES.get(v, v)}" for v in venues))
    return "; ".join(parts)


def _patch_summary(ctx, idx, geom, label, ranked) -> dict:
    a = ctx.areas
    g = _transform(_TO_WGS.transform, shapely.simplify(geom, 5.0))
    g = shapely.set_precision(g, 1e-6)
    return {
        "kind": "", "label": label, "geometry": mapping(g),
        "area_codes": [str(c) for c in a["code"].iloc[idx]],
        "population": int(round(float(a["population"].iloc[idx].sum()))),
        "pop_65_plus": int(round(float(a["pop_65_plus"].iloc[idx].sum()))),
        "hotspot_areas": [str(c) for c in a["code"].iloc[idx][
            (a["gi_class"].iloc[idx] == "hot").to_numpy()]],
        "indicators": _patch_indicators(ctx, idx),
        "ranked": [str(c) for c in ranked["code"]],
        "bounds": [round(float(v), 6) for v in g.bounds],
    }


# --- route -----------------------------------------------------------------------------------------
def _route(ctx: Context, params: PlanParams, plan: dict) -> dict:
    """A walking tour through the chosen stops (default: the top-ranked areas, each at a
    community venue near its centre where there is one)."""
    mpm = _mpm(params)
    stops = []
    assets_by_id = {str(i): k for k, i in enumerate(ctx.assets["id"])} if len(ctx.assets) else {}
    by_code = {r["code"]: r for r in plan["areas"]}
    chosen = params.stop_ids or [f"area:{r['code']}" for r in plan["areas"][:params.stops]]
    seen = set()
    for sid in chosen:
        kind, _, ref = sid.partition(":")
        if kind == "asset" and ref in assets_by_id:
            row = ctx.assets.iloc[assets_by_id[ref]]
            key = ("asset", ref)
            if key in seen:
                continue
            seen.add(key)
            stops.append({"id": sid, "kind": "venue", "label": row["name"], "asset_id": ref,
                          "area_code": None, "x": row.geometry.x, "y": row.geometry.y})
        elif kind == "area":
            hit = ctx.areas.index[ctx.areas["code"] == ref]
            if not len(hit):
                continue
            arow = ctx.areas.loc[hit[0]]
            venue = None
            pa = by_code.get(ref)
            if pa is not None:
                for s in pa["suggestions"]:
                    if s["kind"] == "venue" and s["minutes"] <= settings.OUTREACH_VENUE_MINUTES:
                        venue = s
                        break
            if venue is not None and ("asset", venue["id"]) not in seen:
                row = ctx.assets.iloc[assets_by_id[venue["id"]]]
                seen.add(("asset", venue["id"]))
                stops.append({"id": sid, "kind": "venue", "label": f"{row['name']}",
                              "asset_id": venue["id"], "area_code": ref,
                              "area_name": arow["name"], "x": row.geometry.x, "y": row.geometry.y})
            elif venue is not None:      # two areas share a venue: one stop serves both
                for s in stops:
                    if s.get("asset_id") == venue["id"]:
                        s["area_name"] = f"{s.get('area_name') or ''}, {arow['name']}".strip(", ")
                continue
            else:
                stops.append({"id": sid, "kind": "area", "label": f"Centre of {arow['name']}",
                              "asset_id": None, "area_code": ref, "area_name": arow["name"],
                              "x": float(arow["x"]), "y": float(arow["y"])})
    out = {"stops": [], "legs_minutes": [], "total_minutes": 0.0, "closed": params.closed,
           "geometry": [], "method": ctx.router_kind, "solver": ""}
    if not stops:
        return out
    xy = np.array([[s["x"], s["y"]] for s in stops], dtype=float)
    D = walking_matrix(ctx.router, xy)
    n = len(stops)
    order = best_tour(D, params.closed) if n > 1 else [0]
    out["solver"] = "optimal (Held-Karp)" if n <= 12 else "nearest neighbour + 2-opt + Or-opt"
    legs = [D[a, b] for a, b in zip(order[:-1], order[1:])]
    if params.closed and n > 1:
        legs.append(D[order[-1], order[0]])
    lon, lat = _wgs(xy[:, 0], xy[:, 1])
    for k, i in enumerate(order):
        s = dict(stops[i])
        s.pop("x"), s.pop("y")
        s.update({"n": k + 1, "lon": float(lon[i]), "lat": float(lat[i])})
        out["stops"].append(s)
    out["legs_minutes"] = [round(float(L) / mpm, 1) for L in legs]
    out["total_minutes"] = round(float(np.sum(legs)) / mpm, 1)
    out["total_km"] = round(float(np.sum(legs)) / 1000.0, 2)
    seq = list(order) + ([order[0]] if params.closed and n > 1 else [])
    out["geometry"] = path_geometry(ctx, xy, seq)
    return out


def walking_matrix(router, xy: np.ndarray) -> np.ndarray:
    """Metres between every pair of points (inf where unreachable)."""
    n = len(xy)
    D = np.full((n, n), np.inf)
    if n == 0:
        return D
    r, c, m = router.table(xy, xy, 1e7)
    D[r, c] = m
    np.fill_diagonal(D, 0.0)
    return D


def path_geometry(ctx: Context, xy: np.ndarray, seq: list[int]) -> list[list[float]]:
    """The walked line (lon/lat pairs) visiting ``xy[seq]`` in order: along the streets when
    there is a street network, straight otherwise."""
    pts = []
    graph = ctx.graph
    if graph is not None and len(seq) > 1:
        from scipy.sparse.csgraph import dijkstra
        nodes, _ = graph.snap(xy[:, 0], xy[:, 1])
        uniq = sorted({int(nodes[i]) for i in seq if nodes[i] >= 0})
        if uniq:
            _, pred = dijkstra(graph.csr, directed=True, indices=uniq, return_predecessors=True)
            row = {u: k for k, u in enumerate(uniq)}
            for a, b in zip(seq[:-1], seq[1:]):
                leg = [tuple(xy[a])]
                na, nb = int(nodes[a]), int(nodes[b])
                if na >= 0 and nb >= 0:
                    chain = [nb]
                    p = pred[row[na]]
                    while chain[-1] != na and p[chain[-1]] >= 0:
                        chain.append(int(p[chain[-1]]))
                    if chain[-1] == na:
                        leg += [(graph.x[v], graph.y[v]) for v in chain[::-1]]
                leg.append(tuple(xy[b]))
                pts += leg if not pts else leg[1:]
    if not pts:
        pts = [tuple(xy[i]) for i in seq]
    arr = np.array(pts, dtype=float)
    if len(arr) > 2:        # drop repeats and simplify to about 2 m
        line = shapely.simplify(shapely.LineString(arr), 2.0)
        arr = shapely.get_coordinates(line)
    lon, lat = _wgs(arr[:, 0], arr[:, 1])
    return [[float(a), float(b)] for a, b in zip(lon, lat)]


# --- commissioning gaps ---------------------------------------------------------------------------
def _origins(ctx: Context, idx: np.ndarray):
    """Origin points (EPSG:27700) for the patch's areas with their 65+ population shares."""
    from ..analysis.network import area_origins
    a = ctx.areas.iloc[idx]
    pwc = np.column_stack([a["x"].to_numpy(), a["y"].to_numpy()])
    ai, xy, w = area_origins(a.geometry.to_numpy(), pwc, ctx.graph)
    pop = a["pop_65_plus"].to_numpy()[ai] * w
    return ai, xy, pop


def commissioning_gaps(ctx: Context, params: PlanParams, idx: np.ndarray, arows=None,
                       minutes: float | None = None) -> list[dict]:
    """The patch's gaps as commissioning opportunities: for each service type x client group
    (and each community venue category), the people aged 65+ with none within ``minutes``'
    walk, largest first."""
    minutes = settings.OUTREACH_COMMISSION_MINUTES if minutes is None else minutes
    arows = ctx.assets.to_dict("records") if arows is None else arows
    mpm = _mpm(params)
    ai, oxy, pop = _origins(ctx, idx)
    total = float(pop.sum())
    if total <= 0:
        return []
    codes = ctx.areas["code"].iloc[idx].to_numpy()
    groups, meta, home = [], [], {}
    types = list(settings.OUTREACH_SERVICE_TYPES)
    if params.service_type and params.service_type not in types:
        types.append(params.service_type)
    for st in types:
        for cg in model.CLIENT_GROUPS:
            sel = [j for j, r in enumerate(arows) if r.get("is_provider")
                   and st in model.split_list(r.get("service_types"))
                   and cg in model.split_list(r.get("client_groups"))]
            xy = np.array([[arows[j]["geometry"].x, arows[j]["geometry"].y]
                           for j in sel]).reshape(-1, 2)
            if st in settings.OUTREACH_HOME_SERVICES:
                radius = np.array([(_num(arows[j].get("radius_km")) or
                                    settings.OUTREACH_DEFAULT_RADIUS_KM) * 1000.0 for j in sel])
                home[len(meta)] = (xy, radius)
                xy = np.zeros((0, 2))       # not a walking group
            groups.append(xy)
            meta.append(("service", st, cg))
    for cat in settings.SOCIAL_CATEGORIES:
        sel = [j for j, r in enumerate(arows) if r.get("category") == cat]
        groups.append(np.array([[arows[j]["geometry"].x, arows[j]["geometry"].y]
                                for j in sel]).reshape(-1, 2))
        meta.append(("venue", cat, None))
    limit = minutes * mpm
    nonempty = [k for k, g in enumerate(groups) if len(g)]
    d = np.full((len(groups), len(oxy)), np.inf)
    if nonempty:
        d[nonempty] = ctx.router.nearest(oxy, [groups[k] for k in nonempty], limit)
    for k, (xy, radius) in home.items():
        if len(xy):
            dist = np.sqrt(((oxy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
            d[k] = np.where((dist <= radius[None, :]).any(axis=1), 0.0, np.inf)
    out = []
    for k, (kind, what, cg) in enumerate(meta):
        unreached = ~np.isfinite(d[k])
        n = float(pop[unreached].sum())
        if n < settings.OUTREACH_MIN_UNREACHED:
            continue
        areas_hit = int(len(set(ai[unreached])))
        if kind == "service":
            head = f"No {SERVICE_PHRASES[what]} for {GROUP_PHRASES[cg]}"
        else:
            head = f"No {CATEGORY_PHRASES.get(what, what)}"
        if k in home:
            sentence = f"{head} covering the homes of {people(n)} people aged 65+"
        else:
            sentence = f"{head} within {minutes:g} minutes' walk of {people(n)} people aged 65+"
        if n >= total - 0.5:
            sentence += " (everyone aged 65+ in the patch)"
        else:
            sentence += f" ({100 * n / total:.0f}% of the patch's people aged 65+)"
        flagged = _gap_areas(ctx.gaps, codes, what, cg) if kind == "service" else 0
        if flagged:
            sentence += (f"; the analysis finds high need and low supply of "
                         f"{SERVICE_PHRASES[what]} in {flagged} of its areas")
        out.append({"sentence": sentence + ".", "kind": kind, "service_type": what
                    if kind == "service" else None, "category": what if kind == "venue" else None,
                    "client_group": cg, "people_65_plus": int(round(n)), "areas": areas_hit,
                    "share": round(n / total, 3), "analysis_gap_areas": int(flagged),
                    "chosen": kind == "service" and cg == params.client_group and (
                        not params.service_type or params.service_type == what)})
    out.sort(key=lambda r: (not r["chosen"], -r["people_65_plus"], r["sentence"]))
    return out


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


# --- saving and comparing --------------------------------------------------------------------------
def make_plan(store, params: PlanParams | dict, run_id: int | None = None) -> dict:
    """Build a plan from the store's latest (or a given) analysis run."""
    if isinstance(params, dict):
        params = PlanParams.from_dict(params)
    return build_plan(context(store, run_id), params)


def save(store, plan: dict, name: str = "", created_by: str | None = None) -> int:
    name = (name or "").strip() or f"{plan['patch']['label']} ({plan['params']['client_group']})"
    return store.save_outreach_plan(name, plan, created_by=created_by)


def reopen(store, plan_id: int) -> dict:
    """A saved plan exactly as it was saved (with ``saved`` metadata added)."""
    rec = store.get_outreach_plan(plan_id)
    plan = rec["plan"]
    plan["saved"] = {"id": rec["id"], "name": rec["name"], "created_at": rec["created_at"],
                     "created_by": rec["created_by"]}
    return plan


def compare(store, saved: dict) -> dict:
    """What changed since ``saved`` was made: assets new within reach, closed or retired ones,
    updated ones, and areas whose need, isolation, rank or hotspot status moved."""
    params = PlanParams.from_dict(saved["params"])
    current = make_plan(store, params)
    old, new = saved["reach"]["assets"], current["reach"]["assets"]
    added = [{"id": i, **new[i]} for i in sorted(new) if i not in old]
    gone_ids = [i for i in sorted(old) if i not in new]
    status = {}
    if gone_ids:
        df = store.read_assets(statuses=None, ids=gone_ids, with_providers=False)
        status = dict(zip(df["id"].astype(str), df["status"]))
    closed, moved = [], []
    for i in gone_ids:
        st = status.get(i)
        rec = {"id": i, **old[i], "status": st or "removed"}
        if st == "approved":
            moved.append(rec)
        else:
            closed.append(rec)
    updated = [{"id": i, **new[i], "old_version": old[i]["version"]} for i in sorted(new)
               if i in old and new[i]["version"] != old[i]["version"]]
    vac = [{"id": i, "name": new[i]["name"], "before": old[i].get("vacancies"),
            "now": new[i].get("vacancies")} for i in sorted(new)
           if i in old and new[i].get("is_provider")
           and (old[i].get("vacancies") or 0) != (new[i].get("vacancies") or 0)]
    names = dict(zip(store.read_areas(None)["code"], store.read_areas(None)["name"]))
    need = []
    thr = settings.OUTREACH_NEED_CHANGE_Z
    for code, o in saved["need"].items():
        c = current["need"].get(code)
        if c is None:
            continue
        d_need = c["need_z"] - o["need_z"]
        d_iso = c["isolation_z"] - o["isolation_z"]
        if abs(d_need) >= thr or abs(d_iso) >= thr or c["rank"] != o["rank"] \
                or c["hotspot"] != o["hotspot"]:
            need.append({"code": code, "name": names.get(code, code),
                         "rank_before": o["rank"], "rank_now": c["rank"],
                         "need_change_z": round(d_need, 2), "isolation_change_z": round(d_iso, 2),
                         "hotspot_before": o["hotspot"], "hotspot_now": c["hotspot"]})
    need.sort(key=lambda r: r["rank_now"])
    summary = []
    if added:
        summary.append(f"{len(added)} new asset{'s' if len(added) != 1 else ''} within reach: "
                       + ", ".join(r["name"] for r in added[:5])
                       + (" ..." if len(added) > 5 else ""))
    if closed:
        summary.append(f"{len(closed)} closed or retired: "
                       + ", ".join(f"{r['name']} ({r['status']})" for r in closed[:5]))
    if updated:
        summary.append(f"{len(updated)} updated since the plan was made")
    if vac:
        summary.append(f"{len(vac)} provider{'s' if len(vac) != 1 else ''} changed vacancies")
    if need:
        summary.append(f"need or ranking changed in {len(need)} area"
                       f"{'s' if len(need) != 1 else ''}")
    if not summary:
        summary.append("Nothing has changed since the plan was made.")
    return {"saved_run_id": saved.get("run_id"), "current_run_id": current.get("run_id"),
            "saved_data_version": saved.get("data_version"),
            "current_data_version": current.get("data_version"),
            "new_assets": added, "closed_assets": closed, "moved_assets": moved,
            "updated_assets": updated, "vacancy_changes": vac, "need_changes": need,
            "summary": summary, "current": current}


# --- take it away ------------------------------------------------------------------------------------
def csv_rows(plan: dict) -> list[dict]:
    """The plan's lists as one table: ranked areas, suggestions, missing, route, gaps."""
    rows = []
    assets = plan["assets"]
    for r in plan["areas"]:
        rows.append({"section": "area", "rank": r["rank"], "area_code": r["code"],
                     "area_name": r["name"], "ward": r["ward"], "item": r["name"],
                     "detail": "; ".join(r["why"]), "minutes": "", "score": r["score"],
                     "people_65_plus": r["pop_65_plus"], "lon": r["lon"], "lat": r["lat"]})
        for p in r.get("postcodes", []):
            rows.append({"section": "postcode", "rank": r["rank"], "area_code": r["code"],
                         "area_name": r["name"], "item": p["postcode"],
                         "detail": "farthest from a community venue", "minutes": p["minutes"]})
        for s in r["suggestions"]:
            a = assets[s["id"]]
            detail = a["category_label"]
            if a["is_provider"]:
                detail = (f"{', '.join(SERVICE_PHRASES.get(t, t) for t in a['service_types'])}; "
                          f"vacancies {a.get('vacancies') if a.get('vacancies') is not None else '?'}"
                          f"; quality {a.get('quality_mark')}")
            rows.append({"section": "provider" if s["kind"] == "provider" else "venue",
                         "rank": r["rank"], "area_code": r["code"], "area_name": r["name"],
                         "ward": r["ward"], "item": a["name"], "detail": detail,
                         "minutes": s["minutes"], "asset_id": a["id"],
                         "address": a.get("address") or "", "postcode": a.get("postcode") or "",
                         "contact": a.get("contact") or "", "lon": a["lon"], "lat": a["lat"]})
        walk = f"none within {plan['params']['walk_minutes']:g} minutes' walk"
        group = GROUP_PHRASES[plan["params"]["client_group"]]
        for st in r.get("missing_services", []):
            rows.append({"section": "missing", "rank": r["rank"], "area_code": r["code"],
                         "area_name": r["name"], "item": f"{SERVICE_PHRASES[st]} for {group}",
                         "detail": walk})
        for cat in r.get("missing_venues", []):
            rows.append({"section": "missing", "rank": r["rank"], "area_code": r["code"],
                         "area_name": r["name"], "item": CATEGORY_PHRASES.get(cat, cat),
                         "detail": walk})
    for s in plan["route"]["stops"]:
        rows.append({"section": "route", "rank": s["n"], "area_code": s.get("area_code") or "",
                     "area_name": s.get("area_name") or "", "item": s["label"],
                     "detail": s["kind"], "lon": s["lon"], "lat": s["lat"],
                     "minutes": plan["route"]["legs_minutes"][s["n"] - 1]
                     if s["n"] - 1 < len(plan["route"]["legs_minutes"]) else ""})
    for g in plan["gaps"]:
        rows.append({"section": "commissioning gap", "item": g["sentence"],
                     "people_65_plus": g["people_65_plus"], "detail": g.get("service_type")
                     or g.get("category") or ""})
    return rows


CSV_COLUMNS = ["section", "rank", "area_code", "area_name", "ward", "item", "detail", "minutes",
               "score", "people_65_plus", "asset_id", "address", "postcode", "contact", "lon",
               "lat"]


def to_csv(plan: dict) -> str:
    import csv
    import io
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    w.writeheader()
    for r in csv_rows(plan):
        w.writerow({k: _csv_safe(r.get(k, "")) for k in CSV_COLUMNS})
    return buf.getvalue()


def _csv_safe(v):
    """No spreadsheet formulas from user-typed text."""
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + v
    return "" if v is None else v


def route_geojson(plan: dict) -> dict:
    route = plan["route"]
    feats = [{"type": "Feature", "properties": {
        "name": f"Outreach route: {plan['patch']['label']}",
        "total_minutes": route["total_minutes"], "closed": route["closed"],
        "method": route["method"]},
        "geometry": {"type": "LineString", "coordinates": route["geometry"]}}]
    for s in route["stops"]:
        feats.append({"type": "Feature", "properties": {
            "stop": s["n"], "name": s["label"], "kind": s["kind"],
            "area_code": s.get("area_code"), "asset_id": s.get("asset_id")},
            "geometry": {"type": "Point", "coordinates": [s["lon"], s["lat"]]}})
    return {"type": "FeatureCollection", "features": feats}


def route_gpx(plan: dict) -> str:
    from xml.sax.saxutils import escape, quoteattr
    route = plan["route"]
    name = escape(f"Outreach route: {plan['patch']['label']}")
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<gpx version="1.1" creator="AssetMap" xmlns="http://www.topografix.com/GPX/1/1">',
           f"<metadata><name>{name}</name></metadata>"]
    for s in route["stops"]:
        out.append(f'<wpt lat={quoteattr(str(s["lat"]))} lon={quoteattr(str(s["lon"]))}>'
                   f'<name>{escape(str(s["n"]) + ". " + s["label"])}</name>'
                   f'<type>{escape(s["kind"])}</type></wpt>')
    out.append(f"<trk><name>{name}</name><desc>{route['total_minutes']:g} minutes' walk"
               "</desc><trkseg>")
    for lon, lat in route["geometry"]:
        out.append(f'<trkpt lat="{lat}" lon="{lon}"></trkpt>')
    out.append("</trkseg></trk></gpx>")
    return "\n".join(out) + "\n"


__all__ = ["PlanParams", "Context", "context", "build_plan", "make_plan", "save", "reopen",
           "compare", "commissioning_gaps", "csv_rows", "to_csv", "route_geojson",
           "route_gpx", "patch_options", "select_patch", "tour_length", "best_tour"]

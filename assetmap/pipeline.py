"""The whole analyse step: read the store, run the analysis, store the results as a run.

``run(store, params=None, progress=None) -> Analysis`` reads the LSOA-level areas, the indicator
values, the approved assets and providers and the OSM street network from the store, computes

1. the loneliness risk (Age UK model) where the census inputs are present; inputs the data
   lack entirely are held at ``loneliness.REFERENCE_VALUES`` (the ranking is unchanged) and
   named in the summary's ``loneliness_assumed_inputs``; a loneliness_risk indicator given
   directly is used instead when the inputs are incomplete,
2. the need index (score, rank, decile) and Fingertips-style comparisons with the borough,
3. walking access: minutes to the nearest asset of each category and counts within
   ``access_thresholds_min``, from population-weighted origin points per area,
4. E2SFCA supply versus need-weighted 65+ demand, for all providers, per service type, per
   client group and per service type x client group combination that occurs among providers
   (:func:`provider_groups`),
5. gaps (need x supply tertiles, ranked) and the asset categories missing within reach,
6. the isolation score and its Gi* / local Moran hotspots (FDR-corrected),
7. walking isochrones of the assets in ``isochrone_categories``,

and stores them with their parameters and the data version read (``store.save_run``). Web
pages read stored runs back with :func:`load`; they never recompute. :func:`isochrone` draws
a walking isochrone around any point on demand.

Every default comes from ``settings`` (the upper-case name of each parameter) and can be
overridden per run: ``run(store, {"walk_speed_kmh": 3.0, "need_weights": {...}})``;
``{"slow_walk": True}`` is a shortcut for ``settings.SLOW_WALK_SPEED_KMH``.

The same inputs and parameters give identical results (all randomness is seeded).
"""
from __future__ import annotations

import io
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd

from . import model, settings
from .analysis import catchment, gaps, hotspots, loneliness, need, network
from .errors import InputError, NoData

#: Parameters a run accepts (lower-case names of ``settings`` entries), plus ``slow_walk``.
PARAM_NAMES = (
    "need_weights", "ci_level", "walk_speed_kmh", "access_thresholds_min",
    "max_snap_distance_m", "origins_per_area", "origin_seed", "access_max_minutes",
    "access_aggregate", "min_component_nodes", "crow_fly_detour", "non_walkable_highways",
    "catchment_minutes", "decay", "gaussian_beta_min", "stepped_weights", "supply",
    "demand_need_weight_range", "gap_classes", "gap_reach_minutes", "permutations",
    "hotspot_seed", "fdr_alpha", "isolation_loneliness_weight", "social_categories",
    "isochrone_categories", "isochrone_minutes", "isochrone_buffer_m", "graph_cache_dir",
    "england_benchmarks",
)
#: Results of a run, by name (each a (Geo)DataFrame; see :class:`Analysis`).
FRAMES = ("areas", "indicators", "access", "e2sfca", "gaps", "hotspots", "isochrones")
#: Steps reported to ``progress`` (for a progress bar's length).
STEPS = 9

_GRAPHS: dict[str, network.WalkGraph] = {}
_GRAPHS_LOCK = threading.Lock()


@dataclass
class Analysis:
    """One analysis run's results.

    areas       GeoDataFrame (EPSG:4326), one row per LSOA: code, name, parent_code,
                parent_name, population, pop_65_plus, need_score (weighted mean of
                polarity-aware z-scores), need_rank (1 = most need), need_decile (10 = the
                tenth with most need), need_n_indicators, loneliness_logodds, loneliness_prob, min_<category>
                (walking minutes to the nearest, capped at access_max_minutes), social_min,
                n<T>_social (social assets within T minutes), e2sfca_all (provider capacity
                hours per week per need-weighted 65+ resident), e2sfca_all_per_1000,
                need_class, supply_class (tertiles, 1 = low, 3 = high; of need_score and
                e2sfca_all), bivariate_class, gap, gap_rank (1 = widest), missing_within_reach
                ('|'-joined categories beyond gap_reach_minutes), isolation_score, gi_z, gi_p,
                gi_q, hotspot_class (hot/cold/not significant), lisa_i, lisa_z, lisa_p, lisa_q,
                lisa_quadrant, lisa_class (HH/LL/HL/LH/not significant), island, geometry.
    indicators  long: indicator_id, area_code, value, lower_ci, upper_ci, benchmark,
                benchmark_name ("borough", or "England" for a second set of rows where
                England values are given), comparison (better/similar/worse/higher/lower/
                not compared).
    access      long: area_code, category (asset categories and "social"), minutes,
                within_<T> for T in access_thresholds_min (population-weighted mean count).
    e2sfca      long: area_code, group_kind ("all", "service_type", "client_group",
                "service_client"), group ("all", a service type, a client group, or
                "<service_type>+<client_group>"), service_type and client_group (the
                group's restriction, '' where none), demand, supply_total, access,
                access_per_1000.
    gaps        long: area_code, group_kind, group, service_type, client_group, need_score,
                access, need_class, supply_class, bivariate_class ("N3-S1"), gap, gap_score,
                gap_rank (per group).
    hotspots    area_code, isolation_score, gi_z ... island, n_neighbours (as in areas).
    isochrones  GeoDataFrame (EPSG:4326): asset_id, name, category, minutes, geometry.
    """

    run_id: int | None
    data_version: int
    params: dict
    summary: dict
    areas: gpd.GeoDataFrame
    indicators: pd.DataFrame
    access: pd.DataFrame
    e2sfca: pd.DataFrame
    gaps: pd.DataFrame
    hotspots: pd.DataFrame
    isochrones: gpd.GeoDataFrame
    created_at: str | None = None
    extra: dict = field(default_factory=dict)

    def frames(self) -> dict:
        return {name: getattr(self, name) for name in FRAMES}

    def frame(self, name: str):
        if name not in FRAMES:
            raise KeyError(f"no result called '{name}' (have {', '.join(FRAMES)})")
        return getattr(self, name)


# --- parameters ------------------------------------------------------------------------------------
def _jsonable(v):
    if isinstance(v, (tuple, list)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, Path):
        return str(v)
    if isinstance(v, np.generic):
        return v.item()
    return v


def default_params() -> dict:
    out = {name: _jsonable(getattr(settings, name.upper())) for name in PARAM_NAMES}
    out["slow_walk"] = False
    return out


def resolve_params(params: dict | None = None) -> dict:
    """Defaults from settings overridden by ``params``; unknown names are an InputError."""
    out = default_params()
    for k, v in (params or {}).items():
        if k not in out:
            raise InputError(f"unknown analysis parameter '{k}' (known: {', '.join(sorted(out))})",
                             field=k)
        out[k] = _jsonable(v)
    if out["slow_walk"]:
        out["walk_speed_kmh"] = settings.SLOW_WALK_SPEED_KMH
    if not float(out["walk_speed_kmh"]) > 0:
        raise InputError("walk_speed_kmh must be positive", field="walk_speed_kmh")
    if out["access_aggregate"] not in ("mean", "min"):
        raise InputError("access_aggregate must be 'mean' or 'min'", field="access_aggregate")
    if out["supply"] not in ("capacity", "count"):
        raise InputError("supply must be 'capacity' or 'count'", field="supply")
    if out["decay"] not in ("gaussian", "stepped", "none"):
        raise InputError("decay must be 'gaussian', 'stepped' or 'none'", field="decay")
    return out


# --- graph -------------------------------------------------------------------------------------------
def graph_cache_dir(store, params: dict | None = None) -> Path:
    d = (params or {}).get("graph_cache_dir") or settings.GRAPH_CACHE_DIR
    if d:
        return Path(d)
    url = getattr(store, "url", "") or ""
    if url.startswith("sqlite:///") and url[len("sqlite:///"):] not in ("", ":memory:"):
        return Path(url[len("sqlite:///"):]).resolve().parent / "cache"
    return Path(settings.INSTANCE_DIR) / "cache"


def load_graph(store, params: dict | None = None) -> network.WalkGraph | None:
    """The store's compiled walking graph (None without an OSM file): from this process's
    memory, else the cache folder, else compiled from the OSM blob and cached."""
    digest = store.blob_hash("osm")
    if digest is None:
        return None
    non_walk = tuple((params or {}).get("non_walkable_highways") or settings.NON_WALKABLE_HIGHWAYS)
    key = f"{digest}:{','.join(sorted(non_walk))}"
    with _GRAPHS_LOCK:
        if key in _GRAPHS:
            return _GRAPHS[key]
    cache = graph_cache_dir(store, params)
    custom = sorted(non_walk) != sorted(settings.NON_WALKABLE_HIGHWAYS)
    p = network.cache_path(cache, digest)
    g = None
    if p.exists() and not custom:
        try:
            g = network.WalkGraph.load(p)
        except (OSError, ValueError, KeyError):
            g = None
    if g is None:
        blob = store.get_blob("osm")
        if blob is None:
            return None
        g = network.graph_from_osm(blob[0], None if custom else cache, non_walkable=non_walk)
    with _GRAPHS_LOCK:
        _GRAPHS[key] = g
    return g


def _router(graph, params):
    if graph is None:
        return network.CrowFlyRouter(params["crow_fly_detour"])
    if graph.min_component != int(params["min_component_nodes"]):
        graph.min_component = int(params["min_component_nodes"])
        graph._snappable = None
        graph._tree = None
    return network.GraphRouter(graph, params["max_snap_distance_m"])


# --- the run ----------------------------------------------------------------------------------------
def _xy(gs: gpd.GeoSeries) -> np.ndarray:
    g = gs.to_crs(settings.ANALYSIS_CRS)
    return np.column_stack([g.x.to_numpy(), g.y.to_numpy()]) if len(g) else np.zeros((0, 2))


def _pwc_xy(areas: gpd.GeoDataFrame) -> np.ndarray:
    lon = areas["pwc_lon"].to_numpy(dtype=float)
    lat = areas["pwc_lat"].to_numpy(dtype=float)
    out = np.full((len(areas), 2), np.nan)
    ok = ~(np.isnan(lon) | np.isnan(lat))
    if ok.any():
        pts = gpd.GeoSeries(gpd.points_from_xy(lon[ok], lat[ok]), crs=settings.STORAGE_CRS)
        out[ok] = _xy(pts)
    return out


def run(store, params: dict | None = None, progress: Callable[[str], None] | None = None,
        *, save: bool = True) -> Analysis:
    """Run the analysis on the store's data and store it as a new run (see the module notes)."""
    p = resolve_params(params)
    say = progress or (lambda message: None)
    timings: dict[str, float] = {}
    t_all = t0 = time.perf_counter()

    def lap(name):
        nonlocal t0
        t = time.perf_counter()
        timings[name] = round(t - t0, 3)
        t0 = t
        say(name)

    data_version = store.data_version()
    areas = store.read_areas(level="lsoa")
    if areas.empty:
        raise NoData("the store holds no LSOA areas: build the demo or import boundaries first")
    codes = areas["code"].tolist()
    values = store.read_values()
    values = values[values["area_code"].isin(set(codes))]
    meta = store.read_indicators()
    wide = (values.pivot(index="area_code", columns="indicator_id", values="value")
            if len(values) else pd.DataFrame(index=pd.Index([], name="area_code")))
    wide = wide.reindex(codes)
    lap("read the store")

    # 1-2. loneliness and need ------------------------------------------------------------
    lon_assumed: list[str] = []
    given = "loneliness_risk" in wide and wide["loneliness_risk"].notna().any()
    if loneliness.available(wide) or (not given and loneliness.any_available(wide)):
        # inputs the data lack are held at a reference value (the same for every area:
        # the ranking is unchanged; the summary names them)
        lon_assumed = loneliness.assumed_inputs(wide)
        lon = loneliness.loneliness_risk(wide, assume_missing=True)
        lon_source = "model"
        wide["loneliness_risk"] = lon["loneliness_prob"].to_numpy() * 100.0
    elif given:
        v = wide["loneliness_risk"].to_numpy(dtype=float)
        prob = v / 100.0 if np.nanmax(v) > 1.5 else v
        with np.errstate(divide="ignore", invalid="ignore"):
            lo = np.log(prob / (1 - prob))
        lon = pd.DataFrame({"loneliness_logodds": lo, "loneliness_prob": prob}, index=wide.index)
        lon_source = "indicator"
    else:
        lon = pd.DataFrame({"loneliness_logodds": np.nan, "loneliness_prob": np.nan},
                           index=wide.index)
        lon_source = "missing"
    polar = need.indicator_polarities(meta)
    need_df, need_info = need.need_index(wide, p["need_weights"], polar)
    comparisons = need.compare(values, meta, level=p["ci_level"])
    england = dict(p["england_benchmarks"] or {})
    if not england:
        try:
            england = json.loads(store.get_meta("england_benchmarks") or "{}")
        except (TypeError, ValueError):
            england = {}
    if england:
        eng = need.compare(values, meta, level=p["ci_level"], benchmark=england,
                           benchmark_name="England")
        comparisons = pd.concat([comparisons, eng], ignore_index=True)
    lap("need index and loneliness risk")

    # 3. walking access ----------------------------------------------------------------------
    graph = load_graph(store, p)
    router = _router(graph, p)
    lap("street network")
    areas_p = areas.to_crs(settings.ANALYSIS_CRS)
    n_areas = len(areas)
    o_area, o_xy, o_w = network.area_origins(areas_p.geometry.values, _pwc_xy(areas),
                                             graph, p["origins_per_area"], p["origin_seed"])
    assets = store.read_assets(statuses=("approved",))
    a_xy = _xy(assets.geometry)
    a_cat = assets["category"].to_numpy(dtype=object)
    cats = [c for c in model.ASSET_CATEGORIES if (a_cat == c).any()]
    social = [c for c in p["social_categories"] if c in model.ASSET_CATEGORIES]
    mpm = network.metres_per_minute(p["walk_speed_kmh"])
    max_min = float(p["access_max_minutes"])
    groups = [a_xy[a_cat == c] for c in cats] + [a_xy[np.isin(a_cat, social)]]
    near_m = router.nearest(o_xy, groups, max_min * mpm)
    near_min = np.minimum(near_m / mpm, max_min)            # unreachable -> the cap
    area_min = network.aggregate(near_min, o_area, o_w, n_areas, p["access_aggregate"])
    thresholds = [float(t) for t in p["access_thresholds_min"]]
    reach_min = max(thresholds + [float(p["catchment_minutes"])])
    r, c, m = router.table(o_xy, a_xy, reach_min * mpm)
    t_min = m / mpm
    cat_index = {cname: i for i, cname in enumerate(cats)}
    a_ci = np.array([cat_index[x] for x in a_cat], dtype=np.int64) if len(a_cat) else \
        np.zeros(0, dtype=np.int64)
    a_social = np.isin(a_cat, social)
    counts = {}
    for t in thresholds:
        within = t_min <= t
        mat = np.zeros((len(cats) + 1, len(o_area)))
        np.add.at(mat, (a_ci[c[within]], r[within]), 1.0)
        sw = within & a_social[c]
        np.add.at(mat[-1], r[sw], 1.0)
        counts[t] = network.aggregate(mat, o_area, o_w, n_areas, "mean")
    names = cats + ["social"]
    access = pd.DataFrame({
        "area_code": np.repeat(np.asarray(codes, dtype=object), len(names)),
        "category": np.tile(np.asarray(names, dtype=object), n_areas),
        "minutes": area_min.T.reshape(-1),
        **{f"within_{_tname(t)}": counts[t].T.reshape(-1) for t in thresholds},
    })
    lap("walking access")

    # 4. E2SFCA ------------------------------------------------------------------------------------
    bands = [b for b in model.AGE_BANDS if b in areas]
    pop = areas[bands].to_numpy(dtype=float)
    population = np.nansum(pop, axis=1)
    pop65 = np.nansum(areas[["pop_65_74", "pop_75_84", "pop_85_plus"]].to_numpy(dtype=float), axis=1)
    score = need_df["need_score"].to_numpy(dtype=float)
    lo_w, hi_w = (float(x) for x in p["demand_need_weight_range"])
    pct = gaps.percentile(score)
    factor = np.where(np.isnan(pct), (lo_w + hi_w) / 2, lo_w + (hi_w - lo_w) * np.nan_to_num(pct))
    demand_area = pop65 * factor
    is_prov = assets["is_provider"].to_numpy(dtype=bool) if "is_provider" in assets else \
        np.zeros(len(assets), dtype=bool)
    prov_idx = np.flatnonzero(is_prov)
    prov = assets.iloc[prov_idx]
    if p["supply"] == "capacity" and len(prov):
        cap = prov["capacity_hours"].to_numpy(dtype=float)
        fill = np.nanmedian(cap) if (~np.isnan(cap)).any() else 1.0
        cap = np.where(np.isnan(cap), fill, cap)
    else:
        cap = np.ones(len(prov))
    group_keys, member = provider_groups(prov)
    S = np.column_stack([cap * mk for mk in member]) if len(prov) else np.zeros((0, len(member)))
    pos_in_prov = np.full(len(assets), -1)
    pos_in_prov[prov_idx] = np.arange(len(prov_idx))
    sel = pos_in_prov[c] >= 0
    W = catchment.weight_matrix(r[sel], pos_in_prov[c[sel]], t_min[sel], (len(o_area), len(prov)),
                                p["catchment_minutes"], p["decay"], p["gaussian_beta_min"],
                                p["stepped_weights"])
    demand_o = demand_area[o_area] * o_w
    acc_o, _ = catchment.e2sfca(W, demand_o, S)
    acc_area = network.aggregate(acc_o.T, o_area, o_w, n_areas, "mean")
    acc_area = np.atleast_2d(acc_area)
    e_rows = []
    for gi, (kind, g, st, cg) in enumerate(group_keys):
        e_rows.append(pd.DataFrame({
            "area_code": codes, "group_kind": kind, "group": g, "service_type": st,
            "client_group": cg, "demand": demand_area,
            "supply_total": float(S[:, gi].sum()) if len(prov) else 0.0,
            "access": acc_area[gi], "access_per_1000": acc_area[gi] * 1000.0}))
    e2 = pd.concat(e_rows, ignore_index=True)
    lap("supply and demand (E2SFCA)")

    # 5. gaps ----------------------------------------------------------------------------------------
    g_rows = []
    for gi, (kind, g, st, cg) in enumerate(group_keys):
        cl = gaps.classify(score, acc_area[gi], p["gap_classes"])
        cl.insert(0, "access", acc_area[gi])
        cl.insert(0, "need_score", score)
        cl.insert(0, "client_group", cg)
        cl.insert(0, "service_type", st)
        cl.insert(0, "group", g)
        cl.insert(0, "group_kind", kind)
        cl.insert(0, "area_code", codes)
        g_rows.append(cl)
    gaps_df = pd.concat(g_rows, ignore_index=True)
    cat_minutes = pd.DataFrame(area_min[:len(cats)].T, index=codes, columns=cats)
    missing = gaps.missing_within_reach(cat_minutes, p["gap_reach_minutes"])
    lap("gaps")

    # 6. isolation hotspots -------------------------------------------------------------------------
    social_min = area_min[-1]
    iso = hotspots.isolation_score(lon["loneliness_prob"].to_numpy(dtype=float), social_min,
                                   p["isolation_loneliness_weight"])
    Wq = hotspots.queen_weights(areas_p.geometry.values)
    hs = hotspots.hotspots(iso, Wq, p["permutations"], p["hotspot_seed"], p["fdr_alpha"])
    hs.insert(0, "isolation_score", iso)
    hs.insert(0, "area_code", codes)
    lap("isolation hotspots")

    # 7. isochrones ----------------------------------------------------------------------------------
    iso_rows = []
    if graph is not None:
        for i in np.flatnonzero(np.isin(a_cat, list(p["isochrone_categories"]))):
            polys = network.isochrones(graph, a_xy[i, 0], a_xy[i, 1], p["isochrone_minutes"],
                                       p["walk_speed_kmh"], p["isochrone_buffer_m"],
                                       p["max_snap_distance_m"])
            for mins, poly in zip(p["isochrone_minutes"], polys):
                iso_rows.append({"asset_id": assets["id"].iloc[i], "name": assets["name"].iloc[i],
                                 "category": a_cat[i], "minutes": float(mins),
                                 "geometry": poly.simplify(5.0)})
    isochrones_gdf = gpd.GeoDataFrame(
        iso_rows, columns=["asset_id", "name", "category", "minutes", "geometry"],
        geometry="geometry", crs=settings.ANALYSIS_CRS).to_crs(settings.STORAGE_CRS)
    lap("isochrones")

    # the areas frame -------------------------------------------------------------------------------
    out = areas[["code", "name", "parent_code", "parent_name"]].copy()
    out["population"] = population
    out["pop_65_plus"] = pop65
    for col in need_df.columns:
        out[col] = need_df[col].to_numpy()
    out["loneliness_logodds"] = lon["loneliness_logodds"].to_numpy(dtype=float)
    out["loneliness_prob"] = lon["loneliness_prob"].to_numpy(dtype=float)
    for k, cname in enumerate(cats):
        out[f"min_{cname}"] = area_min[k]
    out["social_min"] = social_min
    for t in thresholds:
        out[f"n{_tname(t)}_social"] = counts[t][-1]
    out["e2sfca_all"] = acc_area[0]
    out["e2sfca_all_per_1000"] = acc_area[0] * 1000.0
    g_all = g_rows[0]
    for col in ("need_class", "supply_class", "bivariate_class", "gap", "gap_rank"):
        out[col] = g_all[col].to_numpy()
    out["missing_within_reach"] = missing.to_numpy()
    for col in hs.columns:
        if col not in ("area_code", "n_neighbours"):
            out[col] = hs[col].to_numpy()
    areas_out = gpd.GeoDataFrame(out, geometry=areas.geometry.values, crs=settings.STORAGE_CRS)

    total = round(time.perf_counter() - t_all, 3)
    summary = {
        "areas": n_areas,
        "assets": int(len(assets)), "providers": int(len(prov)),
        "asset_categories": cats,
        "router": router.kind,
        "graph": None if graph is None else {"nodes": graph.n_nodes, "edges": graph.n_edges,
                                             "osm_sha256": graph.sha256},
        "origins": int(len(o_area)),
        "indicators_used": need_info["used"],
        "missing_indicators": need_info["missing"],
        "loneliness_source": lon_source,
        "loneliness_assumed_inputs": lon_assumed,
        "loneliness_assumed_values": {k: loneliness.REFERENCE_VALUES[k] for k in lon_assumed},
        "england_benchmarks": sorted(england),
        "gaps": int(g_all["gap"].sum()),
        "top_gaps": out.loc[out["gap"]].sort_values("gap_rank")["code"].head(10).tolist(),
        "hotspots": {"hot": int((hs["hotspot_class"] == "hot").sum()),
                     "cold": int((hs["hotspot_class"] == "cold").sum()),
                     **{q: int((hs["lisa_class"] == q).sum()) for q in ("HH", "LL", "HL", "LH")}},
        "islands": int(hs["island"].sum()),
        "e2sfca_groups": [f"{k}:{g}" for k, g, _, _ in group_keys],
        "isochrones": int(len(isochrones_gdf)),
        "timings_s": timings, "seconds": total,
    }
    result = Analysis(run_id=None, data_version=data_version, params=p, summary=summary,
                      areas=areas_out, indicators=comparisons, access=access, e2sfca=e2,
                      gaps=gaps_df, hotspots=hs, isochrones=isochrones_gdf)
    if save:
        blobs = {name: to_bytes(frame) for name, frame in result.frames().items()}
        result.run_id = store.save_run(p, data_version, blobs, summary)
        run_row = store.get_run(result.run_id)
        result.created_at = run_row["created_at"]
    say("stored the run")
    return result


def provider_groups(prov: pd.DataFrame) -> tuple[list[tuple], list[np.ndarray]]:
    """The provider groups E2SFCA and the gaps are computed for, and each group's members.

    Returns ``(keys, masks)``: a key is ``(group_kind, group, service_type, client_group)``
    ('' where the group does not restrict that field) and its mask marks the providers in
    it. The groups are: ``("all", "all", "", "")``; one per service type and one per client
    group that any provider lists; and one per service type x client group combination
    that occurs among providers (``("service_client", "day_activities+learning_disability",
    "day_activities", "learning_disability")``). A provider listing several service types
    and several client groups is taken to offer each of its service types to each of its
    client groups (the record does not say which goes with which).
    """
    n = len(prov)
    keys = [("all", "all", "", "")]
    masks = [np.ones(n, dtype=bool)]
    by_st: dict[str, np.ndarray] = {}
    by_cg: dict[str, np.ndarray] = {}
    for col, vocab, out in (("service_types", model.SERVICE_TYPES, by_st),
                            ("client_groups", model.CLIENT_GROUPS, by_cg)):
        lists = [set(model.split_list(v)) for v in prov[col]] if n else []
        for g in vocab:
            mask = np.array([g in s for s in lists], dtype=bool)
            if mask.any():
                out[g] = mask
    for g, mask in by_st.items():
        keys.append(("service_type", g, g, ""))
        masks.append(mask)
    for g, mask in by_cg.items():
        keys.append(("client_group", g, "", g))
        masks.append(mask)
    for st, ms in by_st.items():
        for cg, mc in by_cg.items():
            both = ms & mc
            if both.any():
                keys.append(("service_client", f"{st}+{cg}", st, cg))
                masks.append(both)
    return keys, masks


def _tname(t: float) -> str:
    return str(int(t)) if float(t).is_integer() else str(t).replace(".", "_")


# --- serialisation ------------------------------------------------------------------------------------
def _has_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
        return True
    except ImportError:
        return False


def to_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as (Geo)Parquet bytes (pyarrow), or JSON / GeoJSON text without pyarrow."""
    if _has_pyarrow():
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        return buf.getvalue()
    if isinstance(frame, gpd.GeoDataFrame):
        return json.dumps({"type": "assetmap-geojson", "crs": str(frame.crs),
                           "columns": [str(c) for c in frame.columns],
                           "geometry": frame.geometry.name,
                           "data": json.loads(frame.to_json(na="null"))}).encode()
    return json.dumps({"type": "assetmap-json",
                       "data": json.loads(frame.to_json(orient="split", index=False))}).encode()


def from_bytes(data: bytes) -> pd.DataFrame:
    data = bytes(data)
    if data[:4] == b"PAR1":
        buf = io.BytesIO(data)
        try:
            return gpd.read_parquet(buf)
        except (ValueError, KeyError):
            buf.seek(0)
            return pd.read_parquet(buf)
    obj = json.loads(data.decode())
    if obj.get("type") == "assetmap-geojson":
        gdf = gpd.GeoDataFrame.from_features(obj["data"]["features"], crs=obj["crs"])
        if not len(gdf):
            gdf = gpd.GeoDataFrame({c: [] for c in obj["columns"] if c != obj["geometry"]},
                                   geometry=[], crs=obj["crs"])
        gdf = gdf.rename_geometry(obj["geometry"]) if gdf.geometry.name != obj["geometry"] \
            else gdf
        return gdf[obj["columns"]]
    d = obj["data"]
    return pd.DataFrame(d["data"], columns=d["columns"])


def load(store, run_id: int | None = None) -> Analysis:
    """A stored run read back (the latest without ``run_id``)."""
    if run_id is None:
        row = store.latest_run()
        if row is None:
            raise NoData("no analysis has been run yet: run `assetmap analyse`")
    else:
        row = store.get_run(run_id)
    frames = {}
    for name in FRAMES:
        blob = store.run_result(row["id"], name)
        frames[name] = from_bytes(blob) if blob is not None else pd.DataFrame()
    return Analysis(run_id=row["id"], data_version=row["data_version"], params=row["params"],
                    summary=row["summary"], created_at=row["created_at"], **frames)


# --- isochrones on demand -------------------------------------------------------------------------------
def isochrone(store, lon: float, lat: float, minutes=None, *, speed_kmh: float | None = None,
              params: dict | None = None) -> gpd.GeoDataFrame:
    """Walking isochrones (EPSG:4326) around a longitude/latitude, one row per minutes value
    (``settings.ISOCHRONE_MINUTES`` by default). The compiled graph stays in memory, so after
    the first call in a process this takes milliseconds."""
    p = resolve_params(params)
    minutes = list(np.atleast_1d(p["isochrone_minutes"] if minutes is None else minutes))
    speed = float(speed_kmh or p["walk_speed_kmh"])
    graph = load_graph(store, p)
    if graph is None:
        raise NoData("the store holds no street network: import an OSM file first")
    pt = gpd.GeoSeries(gpd.points_from_xy([lon], [lat]), crs=settings.STORAGE_CRS)
    xy = _xy(pt)[0]
    polys = network.isochrones(graph, xy[0], xy[1], minutes, speed, p["isochrone_buffer_m"],
                               p["max_snap_distance_m"])
    gdf = gpd.GeoDataFrame({"minutes": [float(m) for m in minutes]},
                           geometry=[g.simplify(5.0) for g in polys], crs=settings.ANALYSIS_CRS)
    return gdf.to_crs(settings.STORAGE_CRS)

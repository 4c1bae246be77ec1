"""The whole analyse step: read the store, run the analysis, store the results as a run.

``run(store, params=None, progress=None) -> Analysis`` is a short sequence of named steps:

1. :func:`read_inputs`: the LSOA areas, indicator values, approved assets and providers;
2. :func:`loneliness_step`: the Age UK loneliness model where the census inputs are present
   (inputs the data lack are held at ``loneliness.REFERENCE_VALUES`` and named in the
   summary); a loneliness_risk indicator given directly is used otherwise;
3. :func:`need_step`: the need index (score, rank, decile), Fingertips-style comparisons with
   the borough (and England where given) and the borough values with their intervals;
4. :func:`access_step`: walking minutes to the nearest asset of each category and counts
   within ``access_thresholds_min`` over the street network (the one routing service,
   :mod:`assetmap.analysis.routing`), from population-weighted origin points per area;
5. :func:`supply_step`: E2SFCA supply against need-weighted 65+ demand for all providers and
   per provider group (:func:`provider_groups`);
6. :func:`gaps_step`: need x supply classes, gaps ranked, categories missing within reach;
7. :func:`hotspots_step`: the isolation score and its Gi* / local Moran hotspots;
8. :func:`isochrones_step`: walking isochrones of the assets in ``isochrone_categories``;
9. :func:`areas_step` and :func:`summary_step`: the per-area frame and the run summary.

Every frame is conformed to the result contract (:mod:`assetmap.results`) and stored with
the parameters and the data version read (``store.save_run``). Pages read runs back with
:func:`load`; they never recompute. :func:`isochrones_at` and :func:`walk_minutes` answer
on-demand questions with the same routing service.

Every default comes from ``settings`` (the upper-case name of each parameter) and can be
overridden per run: ``run(store, {"walk_speed_kmh": 3.0, "need_weights": {...}})``;
``{"slow_walk": True}`` is a shortcut for ``settings.SLOW_WALK_SPEED_KMH``.

The same inputs and parameters give identical results (all randomness is seeded).
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd

from . import model, privacy, results, settings
from .analysis import catchment, gaps, hotspots, loneliness, need, network, routing
from .errors import InputError, NoData

log = logging.getLogger(__name__)

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
FRAMES = ("areas", "indicators", "benchmarks", "access", "e2sfca", "gaps", "hotspots", "isochrones")
#: Steps reported to ``progress`` (for a progress bar's length).
STEPS = 9


@dataclass
class Analysis:
    """One analysis run's results: one frame per name in :data:`FRAMES`, each exactly as
    the result contract declares it (``assetmap.results.FRAMES``: columns, dtypes, units
    and meaning), plus the parameters, the data version read and the summary."""

    run_id: int | None
    data_version: int
    params: dict
    summary: dict
    areas: gpd.GeoDataFrame
    indicators: pd.DataFrame
    benchmarks: pd.DataFrame
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



# --- the street network (through the one routing service) -------------------------------------
def graph_cache_dir(store, params: dict | None = None) -> Path:
    d = (params or {}).get("graph_cache_dir") or settings.GRAPH_CACHE_DIR
    if d:
        return Path(d)
    url = getattr(store, "url", "") or ""
    if url.startswith("sqlite:///") and url[len("sqlite:///"):] not in ("", ":memory:"):
        return Path(url[len("sqlite:///"):]).resolve().parent / "cache"
    return Path(settings.INSTANCE_DIR) / "cache"


def load_graph(store, params: dict | None = None) -> network.WalkGraph | None:
    """The store's compiled walking graph (None without an OSM file), from
    :func:`routing.compiled_graph`'s cache."""
    def read_osm():
        blob = store.get_blob("osm")
        return None if blob is None else blob[0]
    non_walk = (params or {}).get("non_walkable_highways") or settings.NON_WALKABLE_HIGHWAYS
    return routing.compiled_graph(store.blob_hash("osm"), read_osm,
                                  graph_cache_dir(store, params), non_walk)


def router_for(store, params: dict | None = None):
    """The router every consumer of this store uses: over its street network, or crow-fly
    (``router.kind``) where it has none."""
    p = resolve_params(params)
    return routing.router(load_graph(store, p), max_snap_m=p["max_snap_distance_m"],
                          min_component=p["min_component_nodes"], detour=p["crow_fly_detour"])


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


class _Clock:
    """Seconds per step, reported to ``progress`` as each step ends."""

    def __init__(self, progress):
        self.say = progress or (lambda message: None)
        self.timings: dict[str, float] = {}
        self.start = self.t0 = time.perf_counter()

    def lap(self, name: str) -> None:
        t = time.perf_counter()
        self.timings[name] = round(t - self.t0, 3)
        self.t0 = t
        self.say(name)

    def total(self) -> float:
        return round(time.perf_counter() - self.start, 3)


@dataclass
class Inputs:
    """What a run reads from the store."""
    data_version: int
    areas: gpd.GeoDataFrame
    codes: list
    values: pd.DataFrame
    meta: pd.DataFrame
    wide: pd.DataFrame
    assets: gpd.GeoDataFrame
    england: dict


def read_inputs(store, p: dict) -> Inputs:
    data_version = store.data_version()
    areas = store.read_areas(level="lsoa")
    if areas.empty:
        raise NoData("the store holds no LSOA areas: build the demo or import boundaries first")
    codes = areas["code"].tolist()
    values = store.read_values()
    values = values[values["area_code"].isin(set(codes))]
    wide = (values.pivot(index="area_code", columns="indicator_id", values="value")
            if len(values) else pd.DataFrame(index=pd.Index([], name="area_code")))
    england = dict(p["england_benchmarks"] or {})
    if not england:
        try:
            england = json.loads(store.get_meta("england_benchmarks") or "{}")
        except (TypeError, ValueError):
            england = {}
    # homes are measured from their published grid-cell centre, never the exact point
    assets = privacy.published_points(store.read_assets(statuses=("approved",)))
    return Inputs(data_version, areas, codes, values, store.read_indicators(),
                  wide.reindex(codes), assets, england)


def loneliness_step(wide: pd.DataFrame) -> tuple[pd.DataFrame, str, list[str]]:
    """(per-area loneliness_logodds and loneliness_prob, source, inputs held at reference)
    from the census inputs (model), a given loneliness_risk indicator, or nothing. Sets the
    ``loneliness_risk`` column of ``wide`` (percent) where the model ran."""
    given = "loneliness_risk" in wide and wide["loneliness_risk"].notna().any()
    if loneliness.available(wide) or (not given and loneliness.any_available(wide)):
        # inputs the data lack are held at a reference value (the same for every area:
        # the ranking is unchanged; the summary names them)
        assumed = loneliness.assumed_inputs(wide)
        lon = loneliness.loneliness_risk(wide, assume_missing=True)
        wide["loneliness_risk"] = lon["loneliness_prob"].to_numpy() * 100.0
        return lon, "model", assumed
    if given:
        v = wide["loneliness_risk"].to_numpy(dtype=float)
        prob = v / 100.0 if np.nanmax(v) > 1.5 else v
        with np.errstate(divide="ignore", invalid="ignore"):
            lo = np.log(prob / (1 - prob))
        return pd.DataFrame({"loneliness_logodds": lo, "loneliness_prob": prob},
                            index=wide.index), "indicator", []
    return pd.DataFrame({"loneliness_logodds": np.nan, "loneliness_prob": np.nan},
                        index=wide.index), "missing", []


@dataclass
class Need:
    frame: pd.DataFrame             # need_score, need_rank, need_decile, need_n_indicators
    info: dict
    indicators: pd.DataFrame        # the comparisons (result frame "indicators")
    benchmarks: pd.DataFrame        # the result frame "benchmarks"


def need_step(inp: Inputs, p: dict) -> Need:
    polar = need.indicator_polarities(inp.meta)
    need_df, info = need.need_index(inp.wide, p["need_weights"], polar)
    comparisons = need.compare(inp.values, inp.meta, level=p["ci_level"])
    if inp.england:
        eng = need.compare(inp.values, inp.meta, level=p["ci_level"], benchmark=inp.england,
                           benchmark_name="England")
        comparisons = pd.concat([comparisons, eng], ignore_index=True)
    counts = inp.values[["indicator_id", "area_code", "count", "denominator"]]
    comparisons = comparisons.merge(counts, on=["indicator_id", "area_code"], how="left")
    bands = [b for b in model.AGE_BANDS if b in inp.areas]
    population = pd.Series(inp.areas[bands].sum(axis=1, min_count=1).to_numpy(),
                           index=inp.areas["code"])
    bench = need.benchmarks(inp.values, inp.meta, population, comparisons, level=p["ci_level"])
    return Need(need_df, info, comparisons, bench)


@dataclass
class Access:
    cats: list                  # asset categories present
    area_min: np.ndarray        # (len(cats) + 1 social, areas) minutes to the nearest
    counts: dict                # threshold -> (len(cats) + 1, areas) assets within
    frame: pd.DataFrame         # the result frame "access"
    o_area: np.ndarray          # origin points: area index, EPSG:27700 xy, weight
    origins_xy: np.ndarray
    o_w: np.ndarray
    table: tuple                # (origin rows, asset cols, minutes) within the widest cut-off
    a_xy: np.ndarray


def _origin_counts(cats, a_cat, social, o_area, o_w, n_areas, table, thresholds) -> dict:
    r, c, t_min = table
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
    return counts


def access_step(inp: Inputs, p: dict, router, graph) -> Access:
    areas_p = inp.areas.to_crs(settings.ANALYSIS_CRS)
    n_areas = len(inp.areas)
    o_area, o_xy, o_w = network.area_origins(areas_p.geometry.values, _pwc_xy(inp.areas),
                                             graph, p["origins_per_area"], p["origin_seed"])
    a_xy = _xy(inp.assets.geometry)
    a_cat = inp.assets["category"].to_numpy(dtype=object)
    cats = [c for c in model.ASSET_CATEGORIES if (a_cat == c).any()]
    social = [c for c in p["social_categories"] if c in model.ASSET_CATEGORIES]
    mpm = network.metres_per_minute(p["walk_speed_kmh"])
    max_min = float(p["access_max_minutes"])
    groups = [a_xy[a_cat == c] for c in cats] + [a_xy[np.isin(a_cat, social)]]
    near_min = np.minimum(router.nearest(o_xy, groups, max_min * mpm) / mpm, max_min)
    # published to 0.1 minute: finer digits say nothing to a reader but help an attacker
    area_min = np.round(network.aggregate(near_min, o_area, o_w, n_areas,
                                          p["access_aggregate"]), 1)
    thresholds = [float(t) for t in p["access_thresholds_min"]]
    reach_min = max(thresholds + [float(p["catchment_minutes"])])
    r, c, m = router.table(o_xy, a_xy, reach_min * mpm)
    table = (r, c, m / mpm)
    counts = _origin_counts(cats, a_cat, social, o_area, o_w, n_areas, table, thresholds)
    names = cats + ["social"]
    frame = pd.DataFrame({
        "area_code": np.repeat(np.asarray(inp.codes, dtype=object), len(names)),
        "category": np.tile(np.asarray(names, dtype=object), n_areas),
        "minutes": area_min.T.reshape(-1),
        **{f"within_{_tname(t)}": counts[t].T.reshape(-1) for t in thresholds},
    })
    return Access(cats, area_min, counts, frame, o_area, o_xy, o_w, table, a_xy)


@dataclass
class Supply:
    group_keys: list            # (group_kind, group, service_type, client_group)
    by_group: np.ndarray        # (groups, areas) E2SFCA supply
    providers: int
    frame: pd.DataFrame         # the result frame "e2sfca"


def _capacity(prov: pd.DataFrame, how: str) -> np.ndarray:
    if how == "capacity" and len(prov):
        cap = prov["capacity_hours"].to_numpy(dtype=float)
        fill = np.nanmedian(cap) if (~np.isnan(cap)).any() else 1.0
        return np.where(np.isnan(cap), fill, cap)
    return np.ones(len(prov))


def _demand(inp: Inputs, score: np.ndarray, p: dict) -> np.ndarray:
    """Need-weighted residents aged 65+ per area."""
    pop65 = np.nansum(inp.areas[["pop_65_74", "pop_75_84", "pop_85_plus"]].to_numpy(dtype=float),
                      axis=1)
    lo_w, hi_w = (float(x) for x in p["demand_need_weight_range"])
    pct = gaps.percentile(score)
    return pop65 * np.where(np.isnan(pct), (lo_w + hi_w) / 2,
                            lo_w + (hi_w - lo_w) * np.nan_to_num(pct))


def supply_step(inp: Inputs, p: dict, score: np.ndarray, acc: Access) -> Supply:
    assets = inp.assets
    is_prov = assets["is_provider"].to_numpy(dtype=bool) if "is_provider" in assets else \
        np.zeros(len(assets), dtype=bool)
    prov_idx = np.flatnonzero(is_prov)
    prov = assets.iloc[prov_idx]
    cap = _capacity(prov, p["supply"])
    group_keys, member = provider_groups(prov)
    S = np.column_stack([cap * mk for mk in member]) if len(prov) else np.zeros((0, len(member)))
    pos_in_prov = np.full(len(assets), -1)
    pos_in_prov[prov_idx] = np.arange(len(prov_idx))
    r, c, t_min = acc.table
    sel = pos_in_prov[c] >= 0
    W = catchment.weight_matrix(r[sel], pos_in_prov[c[sel]], t_min[sel],
                                (len(acc.o_area), len(prov)), p["catchment_minutes"],
                                p["decay"], p["gaussian_beta_min"], p["stepped_weights"])
    demand_area = _demand(inp, score, p)
    acc_o, _ = catchment.e2sfca(W, demand_area[acc.o_area] * acc.o_w, S)
    by_group = np.atleast_2d(network.aggregate(acc_o.T, acc.o_area, acc.o_w, len(inp.codes),
                                               "mean"))
    rows = [pd.DataFrame({
        "area_code": inp.codes, "group_kind": kind, "group": g, "service_type": st,
        "client_group": cg, "demand": demand_area,
        "supply_total": float(S[:, gi].sum()) if len(prov) else 0.0,
        "supply": by_group[gi], "supply_per_1000": by_group[gi] * 1000.0})
        for gi, (kind, g, st, cg) in enumerate(group_keys)]
    return Supply(group_keys, by_group, len(prov), pd.concat(rows, ignore_index=True))


def gaps_step(inp: Inputs, p: dict, score: np.ndarray, sup: Supply, acc: Access):
    """(the result frame "gaps", the all-provider classes, categories missing in reach)."""
    rows = []
    for gi, (kind, g, st, cg) in enumerate(sup.group_keys):
        cl = gaps.classify(score, sup.by_group[gi], p["gap_classes"])
        head = pd.DataFrame({"area_code": inp.codes, "group_kind": kind, "group": g,
                             "service_type": st, "client_group": cg, "need": score,
                             "supply": sup.by_group[gi]})
        rows.append(pd.concat([head, cl], axis=1))
    cat_minutes = pd.DataFrame(acc.area_min[:len(acc.cats)].T, index=inp.codes,
                               columns=acc.cats)
    missing = gaps.missing_within_reach(cat_minutes, p["gap_reach_minutes"])
    return pd.concat(rows, ignore_index=True), rows[0], missing


def hotspots_step(inp: Inputs, p: dict, lon: pd.DataFrame, acc: Access) -> pd.DataFrame:
    iso = hotspots.isolation_score(lon["loneliness_prob"].to_numpy(dtype=float),
                                   acc.area_min[-1], p["isolation_loneliness_weight"])
    Wq = hotspots.queen_weights(inp.areas.to_crs(settings.ANALYSIS_CRS).geometry.values)
    hs = hotspots.hotspots(iso, Wq, p["permutations"], p["hotspot_seed"], p["fdr_alpha"])
    hs.insert(0, "isolation", iso)
    hs.insert(0, "area_code", inp.codes)
    return hs


def isochrones_step(inp: Inputs, p: dict, router, acc: Access) -> gpd.GeoDataFrame:
    """Walking isochrones of the assets in ``isochrone_categories`` (none without a street
    network: a straight-line circle is not a walking isochrone)."""
    rows = []
    a_cat = inp.assets["category"].to_numpy(dtype=object)
    if router.kind == "network":
        for i in np.flatnonzero(np.isin(a_cat, list(p["isochrone_categories"]))):
            polys = network.isochrones(router.graph, acc.a_xy[i, 0], acc.a_xy[i, 1],
                                       p["isochrone_minutes"], p["walk_speed_kmh"],
                                       p["isochrone_buffer_m"], p["max_snap_distance_m"])
            for mins, poly in zip(p["isochrone_minutes"], polys):
                rows.append({"asset_id": inp.assets["id"].iloc[i],
                             "name": inp.assets["name"].iloc[i], "category": a_cat[i],
                             "minutes": float(mins), "geometry": poly.simplify(5.0)})
    return gpd.GeoDataFrame(rows, columns=["asset_id", "name", "category", "minutes", "geometry"],
                            geometry="geometry", crs=settings.ANALYSIS_CRS
                            ).to_crs(settings.STORAGE_CRS)


def areas_step(inp: Inputs, p: dict, nd: Need, lon: pd.DataFrame, acc: Access, sup: Supply,
               g_all: pd.DataFrame, missing: pd.Series, hs: pd.DataFrame) -> gpd.GeoDataFrame:
    """The per-area result frame "areas"."""
    areas = inp.areas
    out = areas[["code", "name", "parent_code", "parent_name"]].copy()
    bands = [b for b in model.AGE_BANDS if b in areas]
    out["population"] = np.nansum(areas[bands].to_numpy(dtype=float), axis=1)
    out["pop_65_plus"] = np.nansum(
        areas[["pop_65_74", "pop_75_84", "pop_85_plus"]].to_numpy(dtype=float), axis=1)
    f = nd.frame
    out["need_index"] = f["need_score"].to_numpy()
    for col in ("need_rank", "need_decile"):            # 0 = not ranked (no indicator values)
        out[col] = np.where(f[col].to_numpy() > 0, f[col].to_numpy(), np.nan)
    out["need_indicators"] = f["need_n_indicators"].to_numpy()
    out["loneliness_logodds"] = lon["loneliness_logodds"].to_numpy(dtype=float)
    out["loneliness_risk"] = lon["loneliness_prob"].to_numpy(dtype=float)
    for k, cname in enumerate(acc.cats):
        out[f"min_{cname}"] = acc.area_min[k]
    out["social_min"] = acc.area_min[-1]
    for t in acc.counts:
        out[f"n{_tname(t)}_social"] = acc.counts[t][-1]
    out["supply_all"] = sup.by_group[0]
    out["supply_all_per_1000"] = sup.by_group[0] * 1000.0
    for col in ("need_class", "supply_class", "bivariate_class", "is_gap", "gap_rank"):
        out[col] = g_all[col].to_numpy()
    out["missing_within_reach"] = missing.to_numpy()
    for col in hs.columns:
        if col not in ("area_code", "n_neighbours"):
            out[col] = hs[col].to_numpy()
    return gpd.GeoDataFrame(out, geometry=areas.geometry.values, crs=settings.STORAGE_CRS)


def notes_for(summary: dict) -> list[str]:
    """What a reader of this run's results must be told, in plain words."""
    notes = []
    if summary.get("missing_indicators"):
        notes.append("The need index could not use: "
                     + ", ".join(map(str, summary["missing_indicators"])) + ".")
    assumed = summary.get("loneliness_assumed_inputs") or []
    if assumed:
        names = [loneliness.INPUT_LABELS.get(a, str(a)) for a in assumed]
        notes.append("Loneliness risk: the data have no " + ", ".join(names) + "; the model "
                     "holds " + ("it" if len(names) == 1 else "them") + " at a reference "
                     "value for every area, so areas are ranked on the other inputs.")
    if summary.get("router") == "crow-fly":
        notes.append("No street network: walking times are straight-line estimates.")
    return notes


def summary_step(inp: Inputs, nd: Need, lon_source: str, lon_assumed: list, router, graph,
                 acc: Access, sup: Supply, areas_out, hs, iso, clock: _Clock) -> dict:
    summary = {
        "areas": len(inp.codes),
        "assets": int(len(inp.assets)), "providers": sup.providers,
        "asset_categories": acc.cats,
        "router": router.kind,
        "graph": None if graph is None else {"nodes": graph.n_nodes, "edges": graph.n_edges,
                                             "osm_sha256": graph.sha256},
        "origins": int(len(acc.o_area)),
        "indicators_used": nd.info["used"],
        "missing_indicators": nd.info["missing"],
        "loneliness_source": lon_source,
        "loneliness_assumed_inputs": lon_assumed,
        "loneliness_assumed_values": {k: loneliness.REFERENCE_VALUES[k] for k in lon_assumed},
        "england_benchmarks": sorted(inp.england),
        "gaps": int(areas_out["is_gap"].sum()),
        "top_gaps": areas_out.loc[areas_out["is_gap"]].sort_values("gap_rank")["code"]
        .head(10).tolist(),
        "hotspots": {"hot": int((hs["gi_class"] == "hot").sum()),
                     "cold": int((hs["gi_class"] == "cold").sum()),
                     **{q: int((hs["lisa_class"] == q).sum()) for q in ("HH", "LL", "HL", "LH")}},
        "islands": int(hs["island"].sum()),
        "e2sfca_groups": [f"{k}:{g}" for k, g, _, _ in sup.group_keys],
        "isochrones": int(len(iso)),
    }
    summary["notes"] = notes_for(summary)
    summary["timings_s"] = clock.timings
    summary["seconds"] = clock.total()
    return summary


def run(store, params: dict | None = None, progress: Callable[[str], None] | None = None,
        *, save: bool = True) -> Analysis:
    """Run the analysis on the store's data and store it as a new run (see the module notes)."""
    p = resolve_params(params)
    clock = _Clock(progress)
    inp = read_inputs(store, p)
    clock.lap("read the store")
    lon, lon_source, lon_assumed = loneliness_step(inp.wide)
    nd = need_step(inp, p)
    score = nd.frame["need_score"].to_numpy(dtype=float)
    clock.lap("need index and loneliness risk")
    graph = load_graph(store, p)
    router = routing.router(graph, max_snap_m=p["max_snap_distance_m"],
                            min_component=p["min_component_nodes"], detour=p["crow_fly_detour"])
    clock.lap("street network")
    acc = access_step(inp, p, router, graph)
    clock.lap("walking access")
    sup = supply_step(inp, p, score, acc)
    clock.lap("supply and demand (E2SFCA)")
    gaps_df, g_all, missing = gaps_step(inp, p, score, sup, acc)
    clock.lap("gaps")
    hs = hotspots_step(inp, p, lon, acc)
    clock.lap("isolation hotspots")
    iso = isochrones_step(inp, p, router, acc)
    clock.lap("isochrones")
    areas_out = areas_step(inp, p, nd, lon, acc, sup, g_all, missing, hs)
    summary = summary_step(inp, nd, lon_source, lon_assumed, router, graph, acc, sup,
                           areas_out, hs, iso, clock)
    frames = {"areas": areas_out, "indicators": nd.indicators, "benchmarks": nd.benchmarks,
              "access": acc.frame, "e2sfca": sup.frame, "gaps": gaps_df, "hotspots": hs,
              "isochrones": iso}
    result = Analysis(run_id=None, data_version=inp.data_version, params=p, summary=summary,
                      **{k: results.conform(k, f) for k, f in frames.items()})
    if save:
        blobs = {name: results.to_bytes(frame) for name, frame in result.frames().items()}
        result.run_id = store.save_run(p, inp.data_version, blobs, summary)
        result.created_at = store.get_run(result.run_id)["created_at"]
    clock.say("stored the run")
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


def _tname(t: float) -> str:
    return str(int(t)) if float(t).is_integer() else str(t).replace(".", "_")


# --- reading runs back --------------------------------------------------------------------------------
class OutdatedRun(NoData):
    """A stored run made by an older version, whose frames do not meet the result contract."""


def load(store, run_id: int | None = None) -> Analysis:
    """A stored run read back (the latest without ``run_id``), every frame conformed to the
    result contract; a run stored by an older version raises :class:`OutdatedRun`."""
    if run_id is None:
        row = store.latest_run()
        if row is None:
            raise NoData("no analysis has been run yet: run `assetmap analyse`")
    else:
        row = store.get_run(run_id)
    frames = {}
    for name in FRAMES:
        blob = store.run_result(row["id"], name)
        if blob is None:
            raise OutdatedRun(f"analysis run {row['id']} has no '{name}' results: it was made "
                              "by an older version; run `assetmap analyse` again")
        try:
            frames[name] = results.conform(name, results.from_bytes(blob))
        except results.ContractError as e:
            raise OutdatedRun(f"analysis run {row['id']} was made by an older version ({e}); "
                              "run `assetmap analyse` again") from e
    return Analysis(run_id=row["id"], data_version=row["data_version"], params=row["params"],
                    summary=row["summary"], created_at=row["created_at"], **frames)


# --- on demand ------------------------------------------------------------------------------------------
def _bng(lon, lat) -> np.ndarray:
    pts = gpd.GeoSeries(gpd.points_from_xy(np.atleast_1d(lon), np.atleast_1d(lat)),
                        crs=settings.STORAGE_CRS)
    return _xy(pts)


def isochrones_at(store, lon: float, lat: float, minutes=None, *,
                  speed_kmh: float | None = None, params: dict | None = None
                  ) -> tuple[gpd.GeoDataFrame, str]:
    """Walking isochrones (EPSG:4326, one row per minutes value, ``settings.ISOCHRONE_MINUTES``
    by default) around a longitude/latitude, and the method: "network", or "straight-line"
    where the store has no street network or the point is off it."""
    p = resolve_params(params)
    minutes = [float(m) for m in np.atleast_1d(p["isochrone_minutes"] if minutes is None
                                               else minutes)]
    x, y = _bng(lon, lat)[0]
    polys, method = routing.isochrones(router_for(store, p), x, y, minutes,
                                       speed_kmh=speed_kmh or p["walk_speed_kmh"],
                                       buffer_m=p["isochrone_buffer_m"])
    gdf = gpd.GeoDataFrame({"minutes": minutes}, geometry=[g.simplify(5.0) for g in polys],
                           crs=settings.ANALYSIS_CRS)
    return gdf.to_crs(settings.STORAGE_CRS), method


def isochrone(store, lon: float, lat: float, minutes=None, *, speed_kmh: float | None = None,
              params: dict | None = None) -> gpd.GeoDataFrame:
    """Walking isochrones over the street network only (:class:`NoData` without one)."""
    if store.blob_hash("osm") is None:
        raise NoData("the store holds no street network: import an OSM file first")
    return isochrones_at(store, lon, lat, minutes, speed_kmh=speed_kmh, params=params)[0]


def walk_minutes(store, lon: float, lat: float, points_lon, points_lat, limit_min: float,
                 params: dict | None = None) -> tuple[np.ndarray, str]:
    """Walking minutes from a longitude/latitude to each point (``inf`` beyond ``limit_min``)
    and the method ("network" or "straight-line")."""
    p = resolve_params(params)
    r = router_for(store, p)
    pts = _bng(points_lon, points_lat) if len(np.atleast_1d(points_lon)) else np.zeros((0, 2))
    mins = routing.minutes_to(r, _bng(lon, lat)[0], pts, limit_min, p["walk_speed_kmh"])
    return mins, routing.method_of(r)

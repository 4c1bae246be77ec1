"""The steps of a run, each a small function from the run's inputs (and the steps before
it) to its part of the results; :func:`assetmap.pipeline.run` calls them in order."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import model, privacy, settings
from ..analysis import hotspots, loneliness, need, origins
from ..analysis.isochrones import isochrones
from ..errors import NoData
from ..projection import geoms_to_lonlat, grid_xy
from .access import Access, _tname
from .access import measure as access_measure
from .access import notes as access_notes
from .access import summary_of as access_summary
from .supply import Supply, demand_summary, gaps_step, provider_groups, supply_step

__all__ = ["Access", "Supply", "gaps_step", "provider_groups", "supply_step"]


def _xy(gs: gpd.GeoSeries) -> np.ndarray:
    return np.column_stack(grid_xy(gs)) if len(gs) else np.zeros((0, 2))


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

    def __init__(self, progress) -> None:
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


def access_origins(inp: Inputs, p: dict, graph):
    """Each area's origin points: (area index, EPSG:27700 xy, weight), see
    :mod:`..analysis.origins`."""
    areas_p = inp.areas.to_crs(settings.ANALYSIS_CRS)
    return origins.area_origins(areas_p.geometry.values, _pwc_xy(inp.areas), graph,
                                p["origins_per_area"], p["origin_seed"])


def access_step(inp: Inputs, p: dict, router, graph) -> Access:
    """Walking access (:func:`.access.measure`) from each area's origin points to the
    approved assets (homes at their published grid-cell points)."""
    o_area, o_xy, o_w = access_origins(inp, p, graph)
    return access_measure(inp.codes, inp.assets["category"].to_numpy(dtype=object), o_area,
                          o_xy, o_w, _xy(inp.assets.geometry), p, router, graph)


def hotspots_step(inp: Inputs, p: dict, lon: pd.DataFrame, acc: Access) -> pd.DataFrame:
    """The result frame "hotspots"; the method actually used (analytical or permutations and
    their count, FDR alpha, guard notes) rides in ``frame.attrs["method"]`` for the summary."""
    weights = {"loneliness": p["isolation_loneliness_weight"],
               "social": p["isolation_social_weight"],
               "essential": p["isolation_essential_weight"]}
    lon_prob = lon["loneliness_prob"].to_numpy(dtype=float)
    ess = acc.essential_min if acc.essential_cats else None
    iso = hotspots.isolation_score(lon_prob, acc.area_min[-1], ess, weights)
    Wq = hotspots.queen_weights(inp.areas.to_crs(settings.ANALYSIS_CRS).geometry.values)
    hs, method = hotspots.hotspot_analysis(
        iso, Wq, inference=p["hotspot_inference"], permutations=p["permutations"],
        seed=p["hotspot_seed"], alpha=p["fdr_alpha"],
        max_permutations=p["hotspot_max_permutations"], min_areas=p["hotspot_min_areas"],
        min_mean_neighbours=p["hotspot_min_mean_neighbours"])
    hs.insert(0, "isolation", iso)
    hs.insert(0, "area_code", inp.codes)
    hs.attrs["method"] = method
    hs.attrs["isolation"] = {
        "weights": hotspots.isolation_weights(**weights),
        "parts": [k for k, have in (("loneliness", not np.isnan(lon_prob).all()),
                                    ("social", True), ("essential", ess is not None)) if have],
        "essential_categories": list(acc.essential_cats),
        "essential_missing": [c for c in p["essential_categories"]
                              if c not in acc.essential_cats],
        "essential_combine": p["essential_combine"]}
    return hs


def isochrones_step(inp: Inputs, p: dict, router, mapper: Callable = map,
                    a_xy: np.ndarray | None = None) -> gpd.GeoDataFrame:
    """Walking isochrones of the assets in ``isochrone_categories`` (none without a street
    network: a straight-line circle is not a walking isochrone), from the points the access
    step walks from (homes at their published grid-cell points; ``a_xy``: those points,
    when known). ``mapper``: how the assets' isochrones are drawn (``map``, or an
    executor's ``map`` to draw them on its threads)."""
    a_cat = inp.assets["category"].to_numpy(dtype=object)
    hubs = (np.flatnonzero(np.isin(a_cat, list(p["isochrone_categories"])))
            if router.kind == "network" else np.zeros(0, dtype=int))
    xy = _xy(inp.assets.geometry) if a_xy is None else a_xy

    def draw(i: int) -> list:
        return [poly.simplify(5.0) for poly in isochrones(
            router.graph, xy[i, 0], xy[i, 1], p["isochrone_minutes"], p["walk_speed_kmh"],
            p["isochrone_buffer_m"], p["max_snap_distance_m"])]

    rows = [{"asset_id": inp.assets["id"].iloc[i], "name": inp.assets["name"].iloc[i],
             "category": a_cat[i], "minutes": float(mins), "geometry": poly}
            for i, polys in zip(hubs, mapper(draw, hubs))
            for mins, poly in zip(p["isochrone_minutes"], polys)]
    geoms = geoms_to_lonlat(np.array([r.pop("geometry") for r in rows], dtype=object))
    return gpd.GeoDataFrame(rows, columns=["asset_id", "name", "category", "minutes"],
                            geometry=gpd.GeoSeries(geoms, crs=settings.STORAGE_CRS))


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
    out["essential_min"] = acc.essential_min if acc.essential_cats else np.nan
    out["off_network"] = acc.off_network
    for t in acc.counts:
        out[f"n{_tname(t)}_social"] = acc.counts[t][-1]
    out["supply_all"] = sup.by_group[0]
    out["supply_all_per_100"] = sup.by_group[0] * float(settings.SUPPLY_PER)
    out["supply_all_unit"] = sup.group_keys[0][4]
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
    for k in summary.get("missing_indicators") or []:   # stand-ins (need.with_fallbacks)
        sub = next((f for f in settings.NEED_FALLBACKS.get(k, ())
                    if f in (summary.get("indicators_used") or {})), None)
        if sub:
            title = {i: getattr(model.INDICATORS.get(i), "title", i) for i in (sub, k)}
            notes.append(f"The need index uses {title[sub]} in place of {title[k]}, with "
                         "its weight.")
    assumed = summary.get("loneliness_assumed_inputs") or []
    if assumed:
        names = [loneliness.INPUT_LABELS.get(a, str(a)) for a in assumed]
        notes.append("Loneliness risk: the data have no " + ", ".join(names) + "; the model "
                     "holds " + ("it" if len(names) == 1 else "them") + " at a reference "
                     "value for every area, so areas are ranked on the other inputs.")
    for cg, d in sorted((summary.get("demand") or {}).items()):
        if d.get("stand_ins"):
            notes.append(f"Demand ({d.get('label') or cg or 'everyone'}): "
                         + "; ".join(map(str, d["stand_ins"])) + ".")
    if summary.get("router") == "crow-fly":
        notes.append("No street network: walking times are straight-line estimates.")
    notes += access_notes(summary)
    method = summary.get("hotspot_method") or {}
    if method.get("guard") or method.get("capped"):
        notes.append("Isolation hotspots: " + hotspots.describe(method))
    return notes


def _n_outside(assets) -> int:
    """Assets kept as cross-border supply (outside the stored areas)."""
    return int(assets["cross_border"].fillna(False).astype(bool).sum()) \
        if "cross_border" in assets else 0


def summary_step(inp: Inputs, nd: Need, lon_source: str, lon_assumed: list, router, graph,
                 acc: Access, sup: Supply, areas_out, hs, iso, clock: _Clock) -> dict:
    summary = {
        "areas": len(inp.codes),
        # assets inside the area; cross-border supply (just outside) counted apart
        "assets": int(len(inp.assets)) - _n_outside(inp.assets),
        "cross_border_assets": _n_outside(inp.assets), "providers": sup.providers,
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
        "hotspot_method": hs.attrs.get("method") or {},
        "e2sfca_groups": [f"{k}:{g}:{u}" for k, g, _, _, u in sup.group_keys],
        "demand": demand_summary(sup),
        "isochrones": int(len(iso)),
        **access_summary(acc, router.kind, hs.attrs.get("isolation")),
    }
    summary["notes"] = notes_for(summary)
    summary["timings_s"] = clock.timings
    summary["seconds"] = clock.total()
    return summary



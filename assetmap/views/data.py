"""What the pages show, read once per data version and analysis run and kept in memory.

:func:`load` reads the store (areas, indicators, public assets, networks) and the latest
stored analysis run (through ``assetmap.pipeline.load`` when the analysis engine is
installed) and normalises everything into one :class:`WebData` with fixed column names,
so layers, maps and views never depend on how a run was serialised. Nothing here runs the
analysis: without a stored run the analysis frames are empty and pages say so.

Normalised frames (all keyed by ``code``/``area_code`` = ONS area code):

``areas``      GeoDataFrame: code, name, parent_name, population, pop_65_plus, pwc_lon, pwc_lat,
               need_index, need_rank, need_decile, loneliness_risk, isolation (NaN if no run);
               geometry simplified and rounded for display.
``values``     long indicator values: indicator_id, area_code, value, lower_ci, upper_ci, count,
               denominator, flag (better/similar/worse/higher/lower/not compared).
``benchmarks`` per indicator: indicator_id, borough, borough_lower, borough_upper, england.
``access``     area_code, category, minutes, within_10, within_15, within_20.
``gaps``       area_code, service_type, client_group, need, supply, need_class (1-3),
               supply_class (1-3), is_gap, gap_rank.
``hotspots``   area_code, isolation, gi_z, gi_p, gi_q, gi_class (hot/cold/ns), lisa_i, lisa_p,
               lisa_q, lisa_class (HH/LL/HL/LH/ns).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import model, settings
from ..layers._geo import display_frame
from ..privacy import public_assets

log = logging.getLogger(__name__)

ACCESS_COLUMNS = ["area_code", "category", "minutes", "within_10", "within_15", "within_20"]
GAP_COLUMNS = ["area_code", "service_type", "client_group", "need", "supply", "need_class",
               "supply_class", "is_gap", "gap_rank"]
HOTSPOT_COLUMNS = ["area_code", "isolation", "gi_z", "gi_p", "gi_q", "gi_class", "lisa_i",
                   "lisa_p", "lisa_q", "lisa_class"]
AREA_RESULT_COLUMNS = ["need_index", "need_rank", "need_decile", "loneliness_risk", "isolation"]


@dataclass
class WebData:
    data_version: int
    run: dict | None
    area_name: str
    areas: gpd.GeoDataFrame
    indicators: pd.DataFrame
    values: pd.DataFrame
    benchmarks: pd.DataFrame
    assets: gpd.GeoDataFrame
    networks: gpd.GeoDataFrame
    access: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ACCESS_COLUMNS))
    gaps: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=GAP_COLUMNS))
    hotspots: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=HOTSPOT_COLUMNS))
    notes: list = field(default_factory=list)
    analysis: object = None     # the pipeline's own Analysis object, when there is one
    memo: dict = field(default_factory=dict, repr=False)

    def memoise(self, key, build, limit: int = 512):
        """``build()`` once per key for this data version (bounded): per-area profiles,
        on-demand isochrones and searches are computed once, then served from memory."""
        try:
            return self.memo[key]
        except KeyError:
            pass
        value = build()
        if len(self.memo) >= limit:
            self.memo.clear()
        self.memo[key] = value
        return value

    @property
    def has_run(self) -> bool:
        return self.run is not None

    @cached_property
    def providers(self) -> gpd.GeoDataFrame:
        a = self.assets
        return a[a["is_provider"]] if "is_provider" in a else a.iloc[0:0]

    def area(self, code: str):
        hit = self.areas[self.areas["code"] == code]
        return None if hit.empty else hit.iloc[0]

    def key(self) -> tuple:
        return (self.data_version, self.run["id"] if self.run else None)


_cache: dict[tuple, WebData] = {}
_lock = threading.Lock()


def load(store, analysis_loader=None) -> WebData:
    """The cached :class:`WebData` for the store's current data version and latest run.

    ``analysis_loader(store) -> dict`` replaces the pipeline (tests); it returns normalised
    frames under the keys areas/access/gaps/hotspots and the run dict under ``run``.
    """
    run = store.latest_run()
    key = (store.url, store.data_version(), run["id"] if run else None, id(analysis_loader))
    with _lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    wd = _build(store, run, analysis_loader)
    with _lock:
        for k in [k for k in _cache if k[0] == store.url]:
            del _cache[k]
        _cache[key] = wd
    return wd


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _build(store, run, analysis_loader) -> WebData:
    areas = store.read_areas("lsoa")
    if areas.empty:       # a store with only ward-level (or other) boundaries
        areas = store.read_areas(None)
    bands = [b for b in model.AGE_BANDS if b in areas]
    areas["population"] = areas[bands].sum(axis=1, min_count=1) if bands else np.nan
    areas["pop_65_plus"] = areas[["pop_65_74", "pop_75_84", "pop_85_plus"]].sum(
        axis=1, min_count=1)
    indicators = store.read_indicators()
    values = store.read_values()
    values = values[values["area_code"].isin(set(areas["code"]))]
    assets = public_assets(store.read_assets())
    networks = store.read_networks()
    wd = WebData(
        data_version=store.data_version(), run=run,
        area_name=store.get_meta("area_name") or settings.DEMO_LA_NAME,
        areas=areas, indicators=indicators, values=values,
        benchmarks=pd.DataFrame(), assets=assets, networks=networks)
    frames = None
    if analysis_loader is not None:
        frames = analysis_loader(store)
        wd.run = frames.get("run", run)
    elif run is not None:
        frames = _from_pipeline(store, run, wd)
    if frames:
        _apply(wd, frames)
    for c in AREA_RESULT_COLUMNS:
        if c not in wd.areas:
            wd.areas[c] = np.nan
    wd.areas = _display_areas(wd.areas)
    flagged, mine = compare_with_borough(wd.values, indicators, areas)
    if wd.benchmarks.empty:
        wd.values, wd.benchmarks = flagged, mine
    else:   # the run's comparison; borough CIs (and any value it lacks) from the stored counts
        b = mine.set_index("indicator_id")
        run = wd.benchmarks.set_index("indicator_id")
        for col in ("borough", "england"):
            if col in run:
                b[col] = run[col].reindex(b.index).where(run[col].reindex(b.index).notna(), b[col])
        wd.benchmarks = b.reset_index()
    if wd.run is None:
        wd.notes.append("No analysis has been run on this data yet: run `assetmap analyse` to "
                        "see need index, access, gaps and hotspots.")
    return wd


def _display_areas(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    keep = [c for c in areas.columns if c != areas.geometry.name]
    return display_frame(areas, keep).reset_index(drop=True)


def _apply(wd: WebData, frames: dict) -> None:
    res = frames.get("areas")
    if res is not None and len(res):
        res = pd.DataFrame(res)
        if "code" not in res and "area_code" in res:
            res = res.rename(columns={"area_code": "code"})
        cols = [c for c in AREA_RESULT_COLUMNS if c in res]
        wd.areas = wd.areas.drop(columns=[c for c in cols if c in wd.areas]).merge(
            res[["code"] + cols], on="code", how="left")
    for name, cols in (("access", ACCESS_COLUMNS), ("gaps", GAP_COLUMNS),
                       ("hotspots", HOTSPOT_COLUMNS)):
        f = frames.get(name)
        if f is None:
            continue
        f = pd.DataFrame(f).copy()
        for c in cols:
            if c not in f:
                f[c] = np.nan
        setattr(wd, name, f[cols + [c for c in f.columns if c not in cols]])
    if len(wd.gaps):
        g = wd.gaps
        g["is_gap"] = g["is_gap"].fillna((g["need_class"] == 3) & (g["supply_class"] == 1)) \
            if g["is_gap"].isna().any() else g["is_gap"]
        g["is_gap"] = g["is_gap"].astype(bool)
        if g["gap_rank"].isna().all():      # rank the gap areas only (1 = widest gap)
            keys = [g["service_type"].fillna(""), g["client_group"].fillna("")]
            score = g["need"].groupby(keys).rank(pct=True) - \
                g["supply"].groupby(keys).rank(pct=True)
            g["gap_rank"] = score.where(g["is_gap"]).groupby(keys).rank(
                ascending=False, method="first")
    if frames.get("values") is not None:
        v = pd.DataFrame(frames["values"])
        # keep stored counts/denominators (the run's frame may not carry them)
        base = wd.values[["indicator_id", "area_code", "count", "denominator"]]
        v = v.drop(columns=[c for c in ("count", "denominator") if c in v and v[c].isna().all()])
        v = v.merge(base, on=["indicator_id", "area_code"], how="left",
                    suffixes=("", "_stored")) if "count" not in v else v
        wd.values = v
    if frames.get("benchmarks") is not None:
        wd.benchmarks = pd.DataFrame(frames["benchmarks"])
    if frames.get("notes"):
        wd.notes.extend(frames["notes"])
    wd.analysis = frames.get("analysis")


def _from_pipeline(store, run, wd) -> dict | None:
    """Normalised frames from the analysis engine's stored run (None if unavailable)."""
    try:
        from .. import pipeline
    except ImportError:
        return None
    try:
        analysis = pipeline.load(store, run_id=run["id"])
    except Exception as e:  # a damaged or incompatible run must not take the site down
        log.warning("could not load analysis run %s: %s", run.get("id"), e)
        wd.notes.append(f"The stored analysis run {run.get('id')} could not be read ({e}).")
        return None
    return normalise_analysis(analysis)


def normalise_analysis(analysis) -> dict:
    """Map the pipeline's Analysis (see ``assetmap.pipeline.Analysis``) onto the normalised
    frames; tolerant of a few alternative column names."""
    get = (lambda k: analysis.get(k)) if isinstance(analysis, dict) else \
        (lambda k: getattr(analysis, k, None))
    out: dict = {"analysis": analysis}
    areas = get("areas")
    if areas is not None and len(areas):
        a = pd.DataFrame(areas).drop(columns=["geometry"], errors="ignore").copy()
        a = _rename(a, {"area_code": "code", "need_score": "need_index", "score": "need_index",
                        "loneliness_prob": "loneliness_risk", "isolation_score": "isolation"})
        for c in ("need_rank", "need_decile"):      # 0 = not ranked (no indicator values)
            if c in a:
                a[c] = a[c].where(a[c] > 0)
        out["areas"] = a
    ind = get("indicators")
    if ind is not None and len(ind) and "comparison" in ind:
        v = pd.DataFrame(ind).rename(columns={"comparison": "flag"}).copy()
        for c in ("count", "denominator", "lower_ci", "upper_ci"):
            if c not in v:
                v[c] = np.nan
        out["values"] = v
        if "benchmark" in v:
            b = v.groupby("indicator_id").agg(benchmark=("benchmark", "first"),
                                              name=("benchmark_name", "first")
                                              if "benchmark_name" in v else ("benchmark", "size"))
            eng = b["name"].astype(str).str.lower().str.startswith("england")
            out["benchmarks"] = pd.DataFrame({
                "indicator_id": b.index, "borough": np.where(eng, np.nan, b["benchmark"]),
                "england": np.where(eng, b["benchmark"], np.nan)}).reset_index(drop=True)
    acc = get("access")
    if acc is not None and len(acc):
        out["access"] = _normalise_access(pd.DataFrame(acc))
    gaps = get("gaps")
    if gaps is not None and len(gaps):
        g = _rename(pd.DataFrame(gaps).copy(), {"code": "area_code", "rank": "gap_rank",
                                                 "gap": "is_gap", "need_score": "need",
                                                 "access": "supply"})
        if "group_kind" in g and "service_type" not in g:
            kind, grp = g["group_kind"].astype(str), g["group"].astype(str)
            g["service_type"] = np.where(kind == "service_type", grp, "")
            g["client_group"] = np.where(kind == "client_group", grp, "")
        if "gap_rank" in g:
            g["gap_rank"] = g["gap_rank"].where(g["gap_rank"] > 0)
        out["gaps"] = g
    hot = get("hotspots")
    if hot is not None and len(hot):
        out["hotspots"] = _rename(pd.DataFrame(hot).copy(), {
            "code": "area_code", "hotspot_class": "gi_class", "isolation_score": "isolation"})
    notes = get("notes") or get("warnings")
    summary = get("summary") or {}
    missing = summary.get("missing_indicators") if isinstance(summary, dict) else None
    notes = list(notes or [])
    if missing:
        notes.append("The need index could not use: " + ", ".join(map(str, missing)) + ".")
    assumed = summary.get("loneliness_assumed_inputs") if isinstance(summary, dict) else None
    if assumed:
        from ..analysis.loneliness import INPUT_LABELS
        names = [INPUT_LABELS.get(a, str(a)) for a in assumed]
        notes.append("Loneliness risk: the data have no " + ", ".join(names) + "; the model "
                     "holds " + ("it" if len(names) == 1 else "them") + " at a reference "
                     "value for every area, so areas are ranked on the other inputs.")
    if isinstance(summary, dict) and summary.get("router") == "crow-fly":
        notes.append("No street network: walking times are straight-line estimates.")
    if notes:
        out["notes"] = notes
    return out


def _rename(df, mapping):
    return df.rename(columns={k: v for k, v in mapping.items() if k in df and v not in df})


def _normalise_access(acc: pd.DataFrame) -> pd.DataFrame:
    acc = _rename(acc, {"code": "area_code"})
    if "category" in acc:
        return acc
    # wide: minutes_<cat>, within_15_<cat> ...
    if "area_code" not in acc and acc.index.name in ("code", "area_code"):
        acc = acc.reset_index().rename(columns={"code": "area_code"})
    rows = []
    for cat in model.ASSET_CATEGORIES:
        cols = {"minutes": f"minutes_{cat}", "within_10": f"within_10_{cat}",
                "within_15": f"within_15_{cat}", "within_20": f"within_20_{cat}"}
        if cols["minutes"] not in acc:
            continue
        part = pd.DataFrame({"area_code": acc["area_code"], "category": cat})
        for k, c in cols.items():
            part[k] = acc[c] if c in acc else np.nan
        rows.append(part)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=ACCESS_COLUMNS)


# --- comparison with the borough (used when the run does not provide one) -------------------
Z95 = 1.959963984540054


def _wilson(x, n, z=Z95):
    p = x / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * np.sqrt(np.maximum(p * (1 - p) / n + z * z / (4 * n * n), 0)) / d
    return c - h, c + h


def compare_with_borough(values: pd.DataFrame, indicators: pd.DataFrame, areas):
    """Borough value of each indicator (pooled count/denominator where given, else the
    population-weighted mean) and, per area, Fingertips' comparison: the area's 95% CI
    against the borough value -> better/similar/worse (higher/lower for neutral polarity)."""
    values = values.copy()
    values["flag"] = "not compared"
    bench = []
    pop = areas.set_index("code")["population"] if "population" in areas else None
    for ind in indicators.itertuples():
        v = values[values["indicator_id"] == ind.id]
        if v.empty:
            continue
        b = lo = hi = np.nan
        cnt, den = v["count"].sum(min_count=1), v["denominator"].sum(min_count=1)
        ok = v[["count", "denominator", "value"]].notna().all(axis=1) & (v["denominator"] > 0)
        if ok.any() and den and den > 0:
            sub = v[ok]
            scale = float(np.nanmedian(sub["value"] / (sub["count"] / sub["denominator"])))
            scale = scale if np.isfinite(scale) and scale > 0 else 1.0
            x, n = sub["count"].sum(), sub["denominator"].sum()
            b = scale * x / n
            if ind.ci_method == "wilson" and n > 0:
                lo, hi = (scale * t for t in _wilson(x, n))
        else:
            vals = v.set_index("area_code")["value"].dropna()
            if len(vals):
                w = pop.reindex(vals.index).fillna(1.0) if pop is not None else 1.0
                b = float(np.average(vals, weights=w if np.ndim(w) else None))
        bench.append({"indicator_id": ind.id, "borough": b, "borough_lower": lo,
                      "borough_upper": hi, "england": np.nan})
        if np.isfinite(b):
            sel = values["indicator_id"] == ind.id
            has = sel & values["lower_ci"].notna() & values["upper_ci"].notna()
            higher = has & (values["lower_ci"] > b)
            lower = has & (values["upper_ci"] < b)
            if ind.polarity == "high_bad":
                up, down = "worse", "better"
            elif ind.polarity == "high_good":
                up, down = "better", "worse"
            else:
                up, down = "higher", "lower"
            values.loc[has, "flag"] = "similar"
            values.loc[higher, "flag"] = up
            values.loc[lower, "flag"] = down
    cols = ["indicator_id", "borough", "borough_lower", "borough_upper", "england"]
    return values, pd.DataFrame(bench, columns=cols)

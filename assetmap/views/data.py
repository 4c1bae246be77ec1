"""What the pages show, read once per data version and analysis run and kept in memory.

:func:`load` reads the store (areas, indicators, public assets, networks) and the latest
stored analysis run (``assetmap.pipeline.load``) into one :class:`WebData`. The run's frames
are used exactly as the result contract (``assetmap.results``) declares them: nothing here
renames a column or computes a statistic. Without a stored run the analysis frames are
empty (with the contract's columns) and pages say so.

``areas``      GeoDataFrame: the store's areas (display geometry) with the run's ``areas``
               columns (population, need_index, loneliness_risk, isolation, ...; NaN
               without a run).
``values``     the run's ``indicators`` frame, borough comparisons only (the stored values,
               "not compared", without a run).
``benchmarks`` the run's ``benchmarks`` frame; ``access``, ``gaps``, ``hotspots`` the run's.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import model, pipeline, results
from ..io.place import place_name
from ..layers._geo import display_frame
from ..privacy import public_assets

log = logging.getLogger(__name__)

#: Columns of the run's areas frame that the store's areas already have.
_AREA_BASE = ("code", "name", "parent_code", "parent_name", "geometry")


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
    access: pd.DataFrame = field(default_factory=lambda: results.empty("access"))
    gaps: pd.DataFrame = field(default_factory=lambda: results.empty("gaps"))
    hotspots: pd.DataFrame = field(default_factory=lambda: results.empty("hotspots"))
    notes: list = field(default_factory=list)
    analysis: object = None     # the pipeline's own Analysis object, when there is one
    footprints: gpd.GeoDataFrame | None = None   # outlines of assets (id, geometry)
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
    values = store.read_values()
    values = values[values["area_code"].isin(set(areas["code"]))]
    wd = WebData(
        data_version=store.data_version(), run=run,
        area_name=place_name(store),
        areas=areas, indicators=store.read_indicators(), values=_uncompared(values),
        benchmarks=results.empty("benchmarks"), assets=public_assets(store.read_assets()),
        networks=store.read_networks(), footprints=store.read_footprints())
    frames = _run_frames(store, run, analysis_loader, wd)
    if frames:
        _apply(wd, frames)
    else:
        _without_run(wd)
    wd.areas = display_frame(wd.areas, [c for c in wd.areas.columns
                                        if c != wd.areas.geometry.name]).reset_index(drop=True)
    if wd.run is None:
        wd.notes.append("No analysis has been run on this data yet: run `assetmap analyse` to "
                        "see need index, access, gaps and hotspots.")
    return wd


def _uncompared(values: pd.DataFrame) -> pd.DataFrame:
    """Stored values in the shape of the run's comparisons, before any run compared them."""
    v = values.copy()
    v["benchmark"] = np.nan
    v["benchmark_name"] = "borough"
    v["comparison"] = "not compared"
    return v


def _without_run(wd: WebData) -> None:
    """The result columns pages read, empty: population from the store's age bands."""
    bands = [b for b in model.AGE_BANDS if b in wd.areas]
    wd.areas["population"] = wd.areas[bands].sum(axis=1, min_count=1) if bands else np.nan
    wd.areas["pop_65_plus"] = wd.areas[["pop_65_74", "pop_75_84", "pop_85_plus"]].sum(
        axis=1, min_count=1)
    for c in results.columns("areas"):
        if c.pattern is None and c.name not in wd.areas and c.dtype in ("float", "int"):
            wd.areas[c.name] = np.nan


def _run_frames(store, run, analysis_loader, wd: WebData) -> dict | None:
    """The run's frames by name (``analysis_loader(store)`` in tests), or None."""
    if analysis_loader is not None:
        frames = dict(analysis_loader(store))
        wd.run = frames.pop("run", run)
        return {k: results.conform(k, f, partial=True) for k, f in frames.items()}
    if run is None:
        return None
    try:
        analysis = pipeline.load(store, run_id=run["id"])
    except pipeline.OutdatedRun as e:    # made by an older version: pages say so
        wd.notes.append(str(e))
        wd.run = None
        return None
    wd.analysis = analysis
    wd.notes.extend(analysis.summary.get("notes") or [])
    return analysis.frames()


def _apply(wd: WebData, frames: dict) -> None:
    res = frames.get("areas")
    if res is not None:
        cols = [c for c in res.columns if c not in _AREA_BASE]
        wd.areas = wd.areas.drop(columns=[c for c in cols if c in wd.areas]).merge(
            pd.DataFrame(res[["code"] + cols]), on="code", how="left")
    else:
        _without_run(wd)
    for name in ("access", "gaps", "hotspots", "benchmarks"):
        if frames.get(name) is not None:
            setattr(wd, name, frames[name])
    ind = frames.get("indicators")
    if ind is not None:
        wd.values = ind[ind["benchmark_name"] == "borough"].reset_index(drop=True)

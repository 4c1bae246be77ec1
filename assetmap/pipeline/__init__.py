"""The whole analyse step: read the store, run the analysis, store the results as a run.

``run(store, params=None, progress=None) -> Analysis`` is a short sequence of named steps:

1. :func:`read_inputs`: the LSOA areas, indicator values, approved assets and providers;
2. :func:`loneliness_step`: the Age UK loneliness model where the census inputs are present
   (inputs the data lack are held at ``loneliness.REFERENCE_VALUES`` and named in the
   summary); a loneliness_risk indicator given directly is used otherwise;
3. :func:`need_step`: the need index (score, rank, decile), Fingertips-style comparisons with
   the borough (and England where given) and the borough values with their intervals;
4. :func:`access_step`: walking minutes to the nearest asset of each category, to any
   social asset and to essential services, and counts within ``access_thresholds_min``,
   over the street network (the one routing service, :mod:`assetmap.analysis.routing`)
   from population-weighted origin points per area (:mod:`.access`): walks to three hours
   (``access_max_minutes``), longer ones flagged ``beyond_cap``; pairs the network does
   not cover measured in straight lines, areas mostly off it flagged ``off_network``;
5. :func:`supply_step`: supply against need-weighted demand of each client group
   (:mod:`.supply`): E2SFCA over walking time for venues, the area served for providers that
   come to people (:mod:`assetmap.analysis.reach`), per provider group and capacity unit
   (:func:`provider_groups`: hours a week and places apart);
6. :func:`gaps_step`: need x supply classes, gaps ranked, categories missing within reach;
7. :func:`hotspots_step`: the isolation score (loneliness risk, social access, essential
   services access; ``isolation_*_weight``) and its Gi* / local Moran hotspots;
8. :func:`isochrones_step`: walking isochrones of the assets in ``isochrone_categories``;
9. :func:`areas_step` and :func:`summary_step`: the per-area frame and the run summary.

Every frame is conformed to the result contract (:mod:`assetmap.results`) and stored with
the parameters and the data version read (``store.save_run``). Pages read runs back with
:func:`load`; they never recompute. :func:`isochrones_at` and :func:`walk_minutes` answer
on-demand questions with the same routing service; :mod:`.match` answers "who can help a
person here" with the analysis' reach rule (for the referral and directory pages).

Every default comes from ``settings`` (the upper-case name of each parameter) and can be
overridden per run: ``run(store, {"walk_speed_kmh": 3.0, "need_weights": {...}})``;
``{"slow_walk": True}`` is a shortcut for ``settings.SLOW_WALK_SPEED_KMH``.

The same inputs and parameters give identical results (all randomness is seeded).
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

import geopandas as gpd
import pandas as pd

from .. import results
from ..analysis import routing
from ..analysis.wards import ward_table
from ..errors import NoData
from . import match
from .ondemand import (
    graph_cache_dir,
    isochrone,
    isochrones_at,
    load_graph,
    router_for,
    walk_minutes,
)
from .params import PARAM_NAMES, default_params, resolve_params
from .steps import (
    Access,
    Inputs,
    Need,
    Supply,
    _Clock,
    _pwc_xy,
    _xy,
    access_step,
    areas_step,
    gaps_step,
    hotspots_step,
    isochrones_step,
    loneliness_step,
    need_step,
    notes_for,
    provider_groups,
    read_inputs,
    summary_step,
    supply_step,
)

__all__ = ["match", "Access", "Analysis", "FRAMES", "Inputs", "Need", "OutdatedRun", "PARAM_NAMES",
           "STEPS", "Supply", "access_step", "areas_step", "default_params", "gaps_step",
           "graph_cache_dir", "hotspots_step", "isochrone", "isochrones_at", "isochrones_step",
           "load", "load_graph", "loneliness_step", "need_step", "notes_for", "provider_groups",
           "read_inputs", "resolve_params", "router_for", "run", "summary_step", "supply_step",
           "walk_minutes", "_pwc_xy", "_xy", "ward_table"]

log = logging.getLogger(__name__)

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


def run(store, params: dict | None = None, progress: Callable[[str], None] | None = None,
        *, save: bool = True, access: Callable | None = None) -> Analysis:
    """Run the analysis on the store's data and store it as a new run (see the module notes).
    ``access``: a stand-in for :func:`access_step` with its signature (a national run's
    tiles, :mod:`.national`)."""
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
    # the isochrones' searches and buffering (numba and GEOS) let go of the GIL: they are
    # drawn on two threads while access, supply, gaps and hotspots run (all only read what
    # they share), the step itself waiting on a third
    with ThreadPoolExecutor(2, thread_name_prefix="isochrones") as hubs, \
            ThreadPoolExecutor(1, thread_name_prefix="isochrones-step") as side:
        iso_job = side.submit(isochrones_step, inp, p, router, hubs.map,
                              _xy(inp.assets.geometry))
        try:
            acc = (access or access_step)(inp, p, router, graph)
            clock.lap("walking access")
            sup = supply_step(inp, p, score, acc)
            clock.lap("supply and demand (E2SFCA)")
            gaps_df, g_all, missing = gaps_step(inp, p, score, sup, acc)
            clock.lap("gaps")
            hs = hotspots_step(inp, p, lon, acc)
            clock.lap("isolation hotspots")
        except BaseException:          # a failed (or interrupted) run stops drawing at once
            hubs.shutdown(wait=False, cancel_futures=True)
            raise
        iso = iso_job.result()
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


# --- reading runs back ---------------------------------------------------------------------
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

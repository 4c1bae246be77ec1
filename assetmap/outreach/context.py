"""The stored data and analysis an outreach plan reads (:class:`Context`, in EPSG:27700),
loaded once per data version and analysis run (:func:`context`), and the coordinate helpers
between it and WGS84 (what plans carry)."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import model, pipeline, results, settings
from ..analysis import need
from ..analysis.network import WalkGraph
from ..analysis.routing import Router
from ..errors import NoData
from ..io.place import place_name
from ..privacy import public_assets
from ..projection import to_grid, to_lonlat

log = logging.getLogger(__name__)



def _wgs(x, y):
    """EPSG:27700 coordinates -> (lon, lat) arrays rounded to 6 places."""
    lon, lat = to_lonlat().transform(np.asarray(x, float), np.asarray(y, float))
    return np.round(lon, 6), np.round(lat, 6)


def _xy(gdf) -> np.ndarray:
    """The (n, 2) coordinates of a frame of points."""
    return np.column_stack([gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()]) \
        if len(gdf) else np.zeros((0, 2))


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
    router: Router               # analysis.network GraphRouter or CrowFlyRouter
    graph: WalkGraph | None = None  # when there is a street network
    notes: list = field(default_factory=list)
    # postcode, x, y, area_code (EPSG:27700), inside the areas
    postcodes: pd.DataFrame | None = None
    #: the radius of a visiting provider that describes no area served (the run's)
    reach_default_km: float = settings.REACH_DEFAULT_RADIUS_KM

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
    """Forget every loaded :class:`Context` (the next :func:`context` call reloads)."""
    with _ctx_lock:
        _ctx_cache.clear()


def _analysis_frames(store, run) -> tuple[pd.DataFrame | None, pd.DataFrame, object, list]:
    """(areas results, gaps, the Analysis object, notes) from the stored run, read exactly
    as the result contract declares them."""
    if run is None:
        return None, results.empty("gaps"), None, [
            "No analysis run yet: areas are ranked on their indicators only."]
    try:
        analysis = pipeline.load(store, run_id=run["id"])
    except pipeline.OutdatedRun as e:     # an old run must not stop a plan: say so instead
        return None, results.empty("gaps"), None, [
            f"{e} Until then areas are ranked on their indicators only."]
    res = pd.DataFrame(analysis.areas.drop(columns=analysis.areas.geometry.name))
    return res, analysis.gaps, analysis, []


def _router(store, analysis):
    """The walking router of the one routing service (street network if there is one, else
    crow-fly) and its graph (None without a network)."""
    r = pipeline.router_for(store, analysis.params if analysis is not None else None)
    return r, getattr(r, "graph", None)


def _load_context(store, run) -> Context:
    """Read the store's areas, indicators, assets and networks and the run's results."""
    areas = _read_areas(store)
    indicators = store.read_indicators()
    wide, z, borough = _indicator_frames(store, areas, indicators)
    res, gaps, analysis, notes = _analysis_frames(store, run)
    areas = _with_results(areas, res, z, wide)
    assets = _read_assets(store)
    networks = store.read_networks()
    networks = networks.to_crs(settings.ANALYSIS_CRS) if len(networks) else networks
    router, graph = _router(store, analysis)
    postcodes = _postcodes(store, areas)
    if graph is None:
        notes.append("No street network: walking times are straight-line distances x "
                     f"{settings.CROW_FLY_DETOUR}.")
    return Context(data_version=store.data_version(), run_id=run["id"] if run else None,
                   area_name=place_name(store),
                   areas=areas.reset_index(drop=True), zscores=z, values=wide, borough=borough,
                   indicators=indicators, assets=assets.reset_index(drop=True),
                   networks=networks, gaps=gaps, router=router, graph=graph, notes=notes,
                   postcodes=postcodes, reach_default_km=_default_km(analysis))


def _default_km(analysis) -> float:
    """The radius the run gave providers that come to people but describe no area served."""
    params = getattr(analysis, "params", None) or {}
    return float(params.get("reach_default_radius_km") or settings.REACH_DEFAULT_RADIUS_KM)


def _read_areas(store) -> gpd.GeoDataFrame:
    """The LSOAs (or whatever areas there are) in EPSG:27700 with their 65+ and total
    populations and a centre (x, y): the population-weighted one where it lies in the area,
    a representative point otherwise."""
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
    x, y = to_grid().transform(areas["pwc_lon"].fillna(0).to_numpy(),
                               areas["pwc_lat"].fillna(0).to_numpy())
    rp = areas.geometry.representative_point()
    inside = np.array([has.iloc[i] and areas.geometry.iloc[i].buffer(50).contains(
        shapely.Point(x[i], y[i])) for i in range(len(areas))])
    areas["x"] = np.where(inside, x, rp.x)
    areas["y"] = np.where(inside, y, rp.y)
    return areas


def _indicator_frames(store, areas, indicators) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(raw values, polarity-aware z-scores, borough values): area code x indicator id, the
    borough value being the population-weighted mean."""
    vals = store.read_values()
    wide = vals.pivot(index="area_code", columns="indicator_id", values="value") \
        if len(vals) else pd.DataFrame(index=pd.Index([], name="area_code"))
    wide = wide.reindex(areas["code"])
    z = need.standardise(wide, need.indicator_polarities(indicators))
    pop = areas.set_index("code")["population"].reindex(wide.index).fillna(0)
    borough = {}
    for c in wide.columns:
        v = wide[c]
        ok = v.notna()
        w = pop[ok] if pop[ok].sum() > 0 else None
        borough[c] = float(np.average(v[ok], weights=w)) if ok.any() else float("nan")
    return wide, z, borough


def _with_results(areas, res, z, wide) -> gpd.GeoDataFrame:
    """The areas with the run's need, isolation and hotspot columns (falling back on the
    indicators where the run lacks a column)."""
    if res is not None and "code" in res:
        cols = [c for c in res.columns if c != "code" and c not in areas.columns]
        areas = areas.merge(res[["code"] + cols], on="code", how="left")
    for c in ("need_index", "isolation", "loneliness_risk", "gi_z"):
        if c not in areas:
            areas[c] = np.nan
    for c in ("gi_class", "lisa_class"):
        if c not in areas:
            areas[c] = None
    if areas["need_index"].isna().all() and len(wide.columns):     # no run: the same index
        areas["need_index"] = need.need_index(wide, None, need.indicator_polarities())[0][
            "need_score"].to_numpy()
    if areas["loneliness_risk"].isna().all() and "loneliness_risk" in wide:
        areas["loneliness_risk"] = wide["loneliness_risk"].to_numpy()
    if areas["isolation"].isna().all():
        areas["isolation"] = areas["loneliness_risk"]
    return areas


def _read_assets(store) -> gpd.GeoDataFrame:
    """The approved assets, public view (home-based ones approximated), in EPSG:27700."""
    assets = public_assets(store.read_assets(), private_ok=True)
    assets = assets.to_crs(settings.ANALYSIS_CRS) if len(assets) else assets.set_crs(
        settings.STORAGE_CRS, allow_override=True).to_crs(settings.ANALYSIS_CRS)
    if "is_provider" not in assets:
        assets["is_provider"] = False
    return assets


def _postcodes(store, areas) -> pd.DataFrame:
    """The store's postcodes inside the areas (each given the area holding its point)."""
    cols = ["postcode", "x", "y", "area_code"]
    fn = getattr(store, "postcodes_within", None)
    if fn is None:
        return pd.DataFrame(columns=cols)
    pc = fn(areas.to_crs(settings.STORAGE_CRS).total_bounds)
    if pc.empty:
        return pd.DataFrame(columns=cols)
    x, y = to_grid().transform(pc["lon"].to_numpy(float), pc["lat"].to_numpy(float))
    tree = shapely.STRtree(areas.geometry.to_numpy())
    pi, ai = tree.query(shapely.points(x, y), predicate="within")
    code = np.full(len(pc), None, dtype=object)
    code[pi] = areas["code"].to_numpy()[ai]
    out = pd.DataFrame({"postcode": pc["postcode"], "x": x, "y": y, "area_code": code})
    return out[out["area_code"].notna()].reset_index(drop=True)


"""Exports of every layer and analysis result as GeoJSON, GeoPackage or CSV.

Layers: ``areas assets providers networks`` (from the store) and ``need access gaps
hotspots indicators e2sfca isochrones`` (from the latest analysis run, read through
``assetmap.pipeline.load``, which the caller passes as ``load_run``). Assets and providers
pass through :func:`assetmap.privacy.public_assets` first: home-based providers at their grid-cell
centre without an address, contacts only where published. Area results carry their area's
polygon (GeoJSON/GeoPackage); CSV has no geometry, but points get ``lon``/``lat`` columns and
areas their population-weighted centroid (``pwc_lon``/``pwc_lat``). Every area layer says
whether its shape is approximate (``approximate_geometry``: drawn around the centroid).
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..errors import AssetMapError, InputError, NoData
from ..settings import STORAGE_CRS
from .csvsafe import write_csv

STORE_LAYERS = ("areas", "assets", "providers", "networks")
RESULT_LAYERS = ("need", "access", "gaps", "hotspots", "indicators", "e2sfca", "isochrones")
LAYERS = STORE_LAYERS + RESULT_LAYERS
FORMATS = ("geojson", "gpkg", "csv")
_SUFFIX = {".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".csv": "csv"}
#: Columns of the need layer taken from an analysis run's areas frame.
NEED_COLUMNS = ["population", "pop_65_plus", "need_index", "need_rank", "need_decile",
                "need_indicators", "loneliness_logodds", "loneliness_risk", "isolation"]


def format_for(path, fmt: str | None) -> str:
    if fmt:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise InputError(f"format must be one of {', '.join(FORMATS)}", field="format")
        return fmt
    f = _SUFFIX.get(Path(str(path)).suffix.lower())
    if f is None:
        raise InputError("give the format with -f geojson|gpkg|csv (or an output file ending "
                         ".geojson, .gpkg or .csv)", field="format")
    return f


def _areas(store) -> gpd.GeoDataFrame:
    a = store.read_areas(level=None)
    if a.empty:
        raise NoData("the store has no areas: import boundaries first")
    return a


def _analysis(store, load_run):
    """The latest analysis run, read by ``load_run(store)`` (``assetmap.pipeline.load``: the
    caller passes it, since io comes before the analysis in the one-way flow)."""
    if load_run is None:
        raise NoData("result layers need the analysis: pass load_run=pipeline.load")
    return load_run(store)


def _with_geometry(store, frame: pd.DataFrame, key: str = "area_code") -> gpd.GeoDataFrame:
    areas = _areas(store)[["code", "name", "level", "pwc_lon", "pwc_lat",
                           "approximate_geometry", "geometry"]]
    areas = areas.rename(columns={"code": key, "name": "area_name"})
    keep = [c for c in frame.columns if c not in ("area_name", "geometry")]
    out = areas.merge(pd.DataFrame(frame[keep]), on=key, how="inner")
    return gpd.GeoDataFrame(out, geometry="geometry", crs=STORAGE_CRS)


def layer_frame(store, layer: str, load_run=None) -> gpd.GeoDataFrame | pd.DataFrame:
    """The frame behind a layer name (see LAYERS)."""
    from ..privacy import public_assets
    if layer not in LAYERS:
        raise InputError(f"unknown layer '{layer}' (one of {', '.join(LAYERS)}, openreferral)",
                         field="layer")
    if layer == "areas":
        return _areas(store)
    if layer in ("assets", "providers"):
        a = store.read_assets(statuses=("approved",))
        a = a[a["is_provider"]] if layer == "providers" else a[~a["is_provider"]]
        if layer == "assets":
            a = a.drop(columns=[c for c in a.columns if c in (
                "service_types", "client_groups", "hourly_price", "quality_mark",
                "cqc_registered", "cqc_location_id", "direct_payments", "preferred_list",
                "staff_fte", "capacity_hours", "vacancies", "community_focus", "radius_km",
                "charity_number", "company_number", "is_provider")])
        a = public_assets(a)
        drop = [c for c in ("created_by", "updated_by") if c in a]
        return a.drop(columns=drop)
    if layer == "networks":
        return store.read_networks()
    if layer == "need":
        wide = store.values_wide()
        try:
            res = _analysis(store, load_run).areas
        except NoData:
            res = None
        areas = _areas(store)
        base = areas[areas["level"] == "lsoa"] if (areas["level"] == "lsoa").any() else areas
        out = base[["code", "name", "parent_code", "parent_name", "pwc_lon", "pwc_lat",
                    "approximate_geometry", "geometry"]].copy()
        if res is not None and len(res):
            out = out.merge(pd.DataFrame(res[["code"] + NEED_COLUMNS]), on="code", how="left")
        if len(wide):
            out = out.merge(wide, left_on="code", right_index=True, how="left")
        return gpd.GeoDataFrame(out, geometry="geometry", crs=STORAGE_CRS)
    an = _analysis(store, load_run)
    frame = getattr(an, layer)
    if frame is None or len(frame) == 0:
        raise NoData(f"the latest analysis run has no '{layer}' results")
    if layer == "isochrones":
        return frame
    if layer == "access":
        vals = [c for c in frame.columns if c not in ("area_code", "category", "off_network")]
        wide = frame.pivot_table(index="area_code", columns="category", values=vals,
                                 aggfunc="first")
        wide.columns = [f"{v}_{c}" for v, c in wide.columns]
        if "off_network" in frame:      # one flag per area: straight-line estimates
            wide["off_network"] = frame.groupby("area_code")["off_network"].first()
        frame = wide.reset_index()
    return _with_geometry(store, frame)


def write_frame(frame, path, fmt: str, layer: str) -> int:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    is_geo = isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns
    if fmt == "csv":
        df = pd.DataFrame(frame)
        if is_geo:
            g = frame.geometry
            if len(g) and (g.geom_type == "Point").all():
                df["lon"] = g.x.round(6)
                df["lat"] = g.y.round(6)
            df = df.drop(columns=frame.geometry.name)
        return write_csv(df, path)
    if not is_geo:
        raise AssetMapError(f"'{layer}' has no geometry: export it as CSV")
    out = frame.copy()
    for c in out.columns:   # lists/dicts/objects the drivers cannot write
        if c != out.geometry.name and out[c].dtype == object:
            out[c] = out[c].map(lambda v: v if v is None or isinstance(v, (str, int, float,
                                                                               bool)) else str(v))
    if fmt == "geojson":
        if path.exists():
            path.unlink()
        out.to_crs(STORAGE_CRS).to_file(path, driver="GeoJSON")
    else:
        out.to_file(path, driver="GPKG", layer=layer)
    return len(out)


def export_layer(store, layer: str, path, fmt: str | None = None, *, load_run=None) -> int:
    """Write one layer; returns the number of features/rows written."""
    fmt = format_for(path, fmt)
    return write_frame(layer_frame(store, layer, load_run), path, fmt, layer)

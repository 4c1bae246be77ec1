"""Exports of every layer and analysis result as GeoJSON, GeoPackage or CSV, GIS-ready.

Layers: ``areas assets providers networks`` (from the store) and ``need access gaps
hotspots indicators e2sfca isochrones`` (from the latest analysis run, read through
``assetmap.pipeline.load``, which the caller passes as ``load_run``; ``need`` and
``indicators`` fall back to the stored values without a run). Assets and providers pass
through :func:`assetmap.privacy.public_assets` first: home-based providers at their
grid-cell centre without an address, contacts only where published. Every area layer says
whether its shape is approximate (``approximate_geometry``: drawn around the centroid).

One naming scheme (:func:`gis_frame`): every area is ``area_code``/``area_name``; indicator
values in the need layer are ``indicator_<id>``; access is wide (``minutes_<category>``,
``within_<T>_<category>``); the indicators layer carries each indicator's title, unit and
period beside value, confidence interval, count and denominator. Empty where a value does
not apply (never 0). Files are written by :mod:`assetmap.io.geofiles` (RFC 7946 GeoJSON,
typed GeoPackage, CSV) in EPSG:4326 or 27700, each with its data dictionary
(:mod:`assetmap.io.export_dictionary`) beside it, and each says which analysis run and data
version it came from, when it was made and its licence (:mod:`assetmap.io.provenance`).
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..errors import InputError, NoData
from ..settings import STORAGE_CRS
from . import geofiles
from .export_dictionary import INDICATOR_PREFIX, dictionary
from .provenance import Provenance

STORE_LAYERS = ("areas", "assets", "providers", "networks")
RESULT_LAYERS = ("need", "access", "gaps", "hotspots", "indicators", "e2sfca", "isochrones")
LAYERS = STORE_LAYERS + RESULT_LAYERS
FORMATS = ("geojson", "gpkg", "csv")
_SUFFIX = {".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".csv": "csv"}
#: Columns of the need layer taken from an analysis run's areas frame.
NEED_COLUMNS = ["population", "pop_65_plus", "need_index", "need_rank", "need_decile",
                "need_indicators", "loneliness_logodds", "loneliness_risk", "isolation"]
#: Provider-only columns left out of the assets layer, and internal ones left out of both.
PROVIDER_ONLY = ("service_types", "client_groups", "hourly_price", "quality_mark",
                 "cqc_registered", "cqc_location_id", "direct_payments", "preferred_list",
                 "staff_fte", "capacity_hours", "vacancies", "community_focus", "radius_km",
                 "charity_number", "company_number", "reach", "area_served",
                 "area_served_geojson", "capacity_places", "vacancies_confirmed",
                 "quality_mark_by", "cqc_rating", "community_tags")
#: Never exported: workflow fields, and the verbatim Open Referral extras (they may hold
#: contacts the record does not publish; the Open Referral feed applies its own rules).
INTERNAL = ("is_provider", "status", "created_by", "updated_by", "oruk_extra")
#: The columns that make each layer's feature ids (joined with '/').
ID_KEYS = {"areas": ("area_code",), "need": ("area_code",), "access": ("area_code",),
           "hotspots": ("area_code",), "assets": ("id",), "providers": ("id",),
           "networks": ("id",), "gaps": ("area_code", "group", "unit"),
           "e2sfca": ("area_code", "group", "unit"),
           "indicators": ("indicator_id", "area_code"),
           "isochrones": ("asset_id", "minutes")}
INDICATOR_META = ("title", "unit", "period")
DESCRIPTIONS = {
    "areas": "Areas: boundaries and population by age band",
    "need": "Needs: the need index, loneliness risk and every indicator per area",
    "indicators": "Indicator values with confidence intervals and comparison",
    "assets": "Community assets (approved; home-based at approximate locations)",
    "providers": "Micro-providers with their service records",
    "networks": "Neighbourhood network catchments",
    "access": "Walking minutes to the nearest asset of each category, per area",
    "gaps": "Gaps: need and supply classes per area, service type and client group",
    "hotspots": "Isolation hotspots: Gi* and local Moran's I, FDR-corrected",
    "e2sfca": "Supply against demand (E2SFCA) per area and provider group",
    "isochrones": "Walking isochrones around neighbourhood network hubs",
}


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


def _area_names(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns={"code": "area_code", "name": "area_name"})


def with_area_geometry(areas: gpd.GeoDataFrame, frame: pd.DataFrame,
                       extra: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
    """``frame`` (keyed by area_code) with area_name first and the area's polygon."""
    geo = _area_names(areas)[["area_code", "area_name", *extra, areas.geometry.name]]
    keep = [c for c in frame.columns if c not in ("area_name", *extra, "geometry")]
    out = geo.merge(pd.DataFrame(frame[keep]), on="area_code", how="inner")
    cols = ["area_code", "area_name", *extra, *[c for c in keep if c != "area_code"]]
    return gpd.GeoDataFrame(out[cols + [areas.geometry.name]], geometry=areas.geometry.name,
                            crs=areas.crs)


def wide_access(frame: pd.DataFrame) -> pd.DataFrame:
    """The access frame one row per area: ``minutes_<category>``, ``within_<T>_<category>``."""
    vals = [c for c in frame.columns if c not in ("area_code", "category", "off_network")]
    wide = frame.pivot_table(index="area_code", columns="category", values=vals,
                             aggfunc="first", dropna=False)
    wide.columns = [f"{v}_{c}" for v, c in wide.columns]
    if "off_network" in frame:          # one flag per area: straight-line estimates
        wide["off_network"] = frame.groupby("area_code")["off_network"].first()
    return wide.reset_index()


def indicator_columns(values_wide: pd.DataFrame) -> pd.DataFrame:
    """Indicator values per area (index area code) named ``indicator_<id>``."""
    return values_wide.rename(columns=lambda c: f"{INDICATOR_PREFIX}{c}")


def with_indicator_meta(values: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Indicator rows with each indicator's title, unit and period after its id."""
    meta = indicators[["id", *INDICATOR_META]].rename(columns={"id": "indicator_id"})
    out = values.drop(columns=[c for c in INDICATOR_META if c in values]).merge(
        meta, on="indicator_id", how="left")
    first = ["indicator_id", *INDICATOR_META]
    return out[first + [c for c in out.columns if c not in first]]


def _points(store, layer: str) -> gpd.GeoDataFrame:
    from ..privacy import public_assets
    a = store.read_assets(statuses=("approved",))
    a = a[a["is_provider"]] if layer == "providers" else a[~a["is_provider"]]
    if layer == "assets":
        a = a.drop(columns=[c for c in PROVIDER_ONLY if c in a.columns])
    a = public_assets(a)
    return a.drop(columns=[c for c in INTERNAL if c in a.columns])


def _need(store, load_run) -> gpd.GeoDataFrame:
    try:
        res = _analysis(store, load_run).areas
    except NoData:
        res = None
    areas = _areas(store)
    base = areas[areas["level"] == "lsoa"] if (areas["level"] == "lsoa").any() else areas
    cols = ["code", "name", "parent_code", "parent_name", "pwc_lon", "pwc_lat",
            "approximate_geometry"]
    out = _area_names(base[[c for c in cols if c in base] + [base.geometry.name]])
    if res is not None and len(res):
        run = pd.DataFrame(res[["code"] + NEED_COLUMNS]).rename(columns={"code": "area_code"})
        out = out.merge(run, on="area_code", how="left")
    wide = store.values_wide()
    if len(wide):
        out = out.merge(indicator_columns(wide), left_on="area_code", right_index=True,
                        how="left")
    geom = base.geometry.name
    out = out[[c for c in out.columns if c != geom] + [geom]]
    return gpd.GeoDataFrame(out, geometry=geom, crs=STORAGE_CRS)


def _indicators(store, load_run) -> gpd.GeoDataFrame:
    try:
        frame = _analysis(store, load_run).indicators
    except NoData:
        frame = pd.DataFrame()
    if frame is None or not len(frame):
        frame = store.read_values()
        if not len(frame):
            raise NoData("the store has no indicator values: import indicators first")
    frame = with_indicator_meta(pd.DataFrame(frame), store.read_indicators())
    out = with_area_geometry(_areas(store), frame.drop(columns=["area_name"], errors="ignore"))
    first = ["indicator_id", *INDICATOR_META, "area_code", "area_name"]
    return out[first + [c for c in out.columns if c not in first]]


def layer_frame(store, layer: str, load_run=None) -> gpd.GeoDataFrame | pd.DataFrame:
    """The frame behind a layer name (see LAYERS), named as exported."""
    if layer not in LAYERS:
        raise InputError(f"unknown layer '{layer}' (one of {', '.join(LAYERS)}, openreferral)",
                         field="layer")
    if layer == "areas":
        return _area_names(_areas(store))
    if layer in ("assets", "providers"):
        return _points(store, layer)
    if layer == "networks":
        return store.read_networks()
    if layer == "need":
        return _need(store, load_run)
    if layer == "indicators":
        return _indicators(store, load_run)
    frame = getattr(_analysis(store, load_run), layer)
    if frame is None or len(frame) == 0:
        raise NoData(f"the latest analysis run has no '{layer}' results")
    if layer == "isochrones":
        return frame
    if layer == "access":
        frame = wide_access(frame)
    areas = _areas(store)
    extra = ("approximate_geometry",) if "approximate_geometry" in areas else ()
    return with_area_geometry(areas, frame, extra)


def feature_ids(layer: str, frame: pd.DataFrame) -> list | None:
    """One id per row from the layer's key columns (None when they are absent)."""
    keys = [k for k in ID_KEYS.get(layer, ()) if k in frame.columns]
    if not keys or len(keys) < len(ID_KEYS[layer]):
        return None
    parts = [frame[k].map(lambda v: f"{v:g}" if isinstance(v, float) else str(v))
             for k in keys]
    ids = parts[0] if len(parts) == 1 else parts[0].str.cat(parts[1:], sep="/")
    return ids.tolist() if ids.is_unique else None


def write_layer(frame, path, fmt: str, layer: str, *, crs: str = STORAGE_CRS,
                indicators: pd.DataFrame | None = None, provenance=None) -> int:
    """Write one layer's frame as ``fmt`` in ``crs``, with its data dictionary beside it
    (and, with ``provenance``, where it comes from and its licence in both)."""
    out = frame
    if geofiles._is_geo(frame) and fmt == "csv":
        out = pd.DataFrame(geofiles.csv_frame(frame, crs))
    dic = dictionary(layer, out if fmt == "csv" else frame, indicators, crs=crs)
    return geofiles.write(frame, path, fmt, layer, dic, crs=crs,
                          ids=feature_ids(layer, frame),
                          description=DESCRIPTIONS.get(layer, layer), provenance=provenance)


def provenance_for(store, layer: str, filters: dict | None = None) -> Provenance:
    """The :class:`~assetmap.io.provenance.Provenance` of a layer exported from ``store``
    now: its latest analysis run and data version, the licence setting."""
    return Provenance.of(DESCRIPTIONS.get(layer, layer), store.latest_run(),
                         store.data_version(), filters)


def export_layer(store, layer: str, path, fmt: str | None = None, *, load_run=None,
                 crs=None) -> int:
    """Write one layer; returns the number of features/rows written."""
    fmt = format_for(path, fmt)
    epsg = geofiles.crs_for(crs)
    frame = layer_frame(store, layer, load_run)
    filters = {"crs": epsg} if epsg != STORAGE_CRS else {}
    return write_layer(frame, path, fmt, layer, crs=epsg, indicators=store.read_indicators(),
                       provenance=provenance_for(store, layer, filters))

"""Downloads: every map's data as CSV, GeoJSON (RFC 7946) and GeoPackage, named as
``assetmap export`` names it (``area_code``/``area_name``, ``indicator_<id>``), in WGS84 or
British National Grid (``?crs=27700``, CSV and GeoPackage), each layer's data dictionary at
``/downloads/<layer>/dictionary.csv`` (linked from every download's ``Link`` header, and
inside every GeoPackage); and the page listing them. ``export_frame`` is also what the JSON
API serves."""
from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from flask import Blueprint, Response, abort, render_template, request, url_for

from .. import model, pipeline
from ..errors import InputError
from ..io import export as io_export
from ..io import geofiles
from ..io.csvsafe import write_csv
from ..io.export_dictionary import dictionary
from .main import web_data

bp = Blueprint("downloads", __name__)

LAYERS = {
    "areas": "Areas: boundaries, population, need index, loneliness risk, isolation",
    "need": "Needs: every indicator per area with the need index",
    "indicators": "Indicator values with confidence intervals and comparison with the borough",
    "assets": "Community assets (approved; home-based providers at approximate locations)",
    "providers": "Micro-providers with their service records",
    "networks": "Neighbourhood network catchments",
    "access": "Walking minutes to the nearest asset of each category, per area",
    "gaps": "Gaps: need and supply classes per area, service type and client group",
    "hotspots": "Isolation hotspots: Gi* and local Moran's I with FDR-corrected significance",
}
FORMATS = ("csv", "geojson", "gpkg")
MIMETYPES = {"csv": "text/csv; charset=utf-8", "geojson": "application/geo+json",
             "gpkg": "application/geopackage+sqlite3"}
#: Layers keyed by area, whose ``code``/``name`` (or merged ``name``) become area_code/name.
AREA_LAYERS = ("areas", "need", "indicators", "access", "gaps", "hotspots")
ASSET_EXPORT_COLUMNS = ["id", "name", "category", "description", "address", "postcode",
                        "opening_hours", "contact", "website", "source", "last_reviewed",
                        "location_note"]
PROVIDER_EXPORT_COLUMNS = ASSET_EXPORT_COLUMNS + [
    "service_types", "client_groups", "hourly_price", "quality_mark", "cqc_registered",
    "cqc_location_id", "direct_payments", "preferred_list", "staff_fte", "capacity_hours",
    "capacity_places", "vacancies", "vacancies_confirmed", "community_focus", "reach",
    "radius_km", "area_served", "area_served_geojson", "charity_number", "company_number"]


def _area_base(wd):
    cols = ["code", "name", "parent_code", "parent_name", *model.AGE_BANDS, "population",
            "pop_65_plus", "pwc_lon", "pwc_lat", "need_index", "need_rank", "need_decile",
            "loneliness_risk", "isolation", "approximate_geometry"]
    return wd.areas[[c for c in cols if c in wd.areas] + [wd.areas.geometry.name]]


def _with_area_geometry(wd, df, key="area_code"):
    geo = wd.areas[["code", wd.areas.geometry.name]].rename(columns={"code": key})
    out = geo.merge(df, on=key, how="right")
    return gpd.GeoDataFrame(out, geometry=wd.areas.geometry.name, crs=wd.areas.crs)


def export_frame(wd, layer: str, args=None):
    """The frame behind one map layer (GeoDataFrame with public, display-ready geometry)."""
    args = args or {}
    if layer == "areas":
        return _area_base(wd)
    if layer == "need":
        wide = io_export.indicator_columns(wd.values.pivot(
            index="area_code", columns="indicator_id", values="value")) \
            if len(wd.values) else pd.DataFrame()
        out = _area_base(wd).merge(wide, left_on="code", right_index=True, how="left")
        return gpd.GeoDataFrame(out, geometry=wd.areas.geometry.name, crs=wd.areas.crs)
    if layer == "indicators":
        v = wd.values.merge(wd.benchmarks, on="indicator_id", how="left") if len(wd.benchmarks) \
            else wd.values
        v = v.merge(wd.indicators[["id", "title", "unit", "polarity"]].rename(
            columns={"id": "indicator_id"}), on="indicator_id", how="left")
        if args.get("indicator"):
            v = v[v["indicator_id"] == args["indicator"]]
        return _with_area_geometry(wd, v)
    if layer in ("assets", "providers"):
        a = wd.providers if layer == "providers" else wd.assets[~wd.assets["is_provider"]]
        cols = PROVIDER_EXPORT_COLUMNS if layer == "providers" else ASSET_EXPORT_COLUMNS
        a = a[[c for c in cols if c in a] + [a.geometry.name]].copy()
        a["lon"] = a.geometry.x.round(6)
        a["lat"] = a.geometry.y.round(6)
        return a
    if layer == "networks":
        n = wd.networks
        return n[["id", "name", "hub_asset_id", "members", "activities", n.geometry.name]]
    if layer == "access":
        if not len(wd.access):
            return _area_base(wd)[["code", "name", wd.areas.geometry.name]]
        vals = [c for c in wd.access.columns if c not in ("area_code", "category",
                                                          "off_network")]
        wide = wd.access.pivot_table(index="area_code", columns="category", values=vals,
                                     aggfunc="first")
        wide.columns = [f"{a}_{b}" for a, b in wide.columns]
        # one flag per area: its walking times are straight-line estimates
        wide["off_network"] = wd.access.groupby("area_code")["off_network"].first()
        out = _area_base(wd)[["code", "name", wd.areas.geometry.name]].merge(
            wide, left_on="code", right_index=True, how="left")
        return gpd.GeoDataFrame(out, geometry=wd.areas.geometry.name, crs=wd.areas.crs)
    if layer == "gaps":
        g = wd.gaps
        if args.get("service_type"):
            g = g[g["service_type"] == args["service_type"]]
        if args.get("client_group"):
            g = g[g["client_group"] == args["client_group"]]
        if args.get("unit") and "unit" in g:
            g = g[g["unit"] == args["unit"]]
        g = _with_unit_words(g)
        g = g.merge(wd.areas[["code", "name"]].rename(columns={"code": "area_code"}),
                    on="area_code", how="left")
        return _with_area_geometry(wd, g)
    if layer == "hotspots":
        h = wd.hotspots.merge(wd.areas[["code", "name"]].rename(columns={"code": "area_code"}),
                              on="area_code", how="left")
        return _with_area_geometry(wd, h)
    raise KeyError(layer)


def _with_unit_words(g: pd.DataFrame) -> pd.DataFrame:
    """Gap rows with ``supply_per_100_unit`` ("hours a week per 100 people in need") and
    ``shortfall_unit`` ("hours a week"), so every supply number carries its unit."""
    if "unit" not in g:
        return g
    g = g.copy()
    units = g["unit"].fillna("").astype(str)
    pos = list(g.columns).index("supply_per_100") + 1 if "supply_per_100" in g else len(g.columns)
    g.insert(pos, "supply_per_100_unit", units.map(
        lambda u: pipeline.match.per_100_words(u) if u else ""))
    if "shortfall" in g:
        g.insert(list(g.columns).index("shortfall") + 1, "shortfall_unit",
                 units.map(lambda u: pipeline.match.unit_words(u) if u else ""))
    return g


def _clean(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].map(lambda v: v.item() if isinstance(v, np.generic) else v)
    return df


def to_csv(frame) -> str:
    df = (pd.DataFrame(frame.drop(columns=frame.geometry.name))
          if isinstance(frame, gpd.GeoDataFrame) else pd.DataFrame(frame))
    return write_csv(_clean(df))


def to_geojson(frame, ids=None) -> str:
    """RFC 7946 GeoJSON text (WGS84, right-hand rule, 6 decimals, a feature id per row)."""
    return geofiles.geojson_text(_clean(frame), ids)


def gis_frame(wd, layer: str, frame):
    """The download's naming: area layers' ``code``/``name`` as ``area_code``/``area_name``,
    indicator rows with their title, unit and period."""
    if layer not in AREA_LAYERS:
        return frame
    out = frame.rename(columns={"code": "area_code", "name": "area_name"})
    if layer == "indicators" and len(wd.indicators):
        out = io_export.with_indicator_meta(out.drop(columns=["polarity"], errors="ignore"),
                                            wd.indicators)
    geom = frame.geometry.name
    return gpd.GeoDataFrame(out, geometry=geom, crs=frame.crs)


def _body(frame, fmt: str, layer: str, crs: str, dic: pd.DataFrame) -> bytes:
    if fmt == "csv":
        return write_csv(_clean(geofiles.csv_frame(frame, crs))).encode("utf-8")
    if fmt == "geojson":
        return to_geojson(frame, io_export.feature_ids(layer, frame)).encode("utf-8")
    with tempfile.TemporaryDirectory(prefix="assetmap-gpkg-") as tmp:
        path = Path(tmp) / f"{layer}.gpkg"
        geofiles.write_gpkg(_clean(frame), path, layer, dic, crs,
                            io_export.DESCRIPTIONS.get(layer, layer))
        return path.read_bytes()


def send(frame, fmt: str, filename: str, *, layer: str | None = None, crs: str = "EPSG:4326",
         indicators=None) -> Response:
    """The frame as a download in ``fmt`` (csv, geojson, gpkg) and ``crs``."""
    layer = layer or filename
    if fmt == "geojson" and crs != geofiles.STORAGE_CRS:
        raise InputError("GeoJSON is always WGS84 (RFC 7946): ask for crs=27700 with CSV or "
                         "GeoPackage", field="crs")
    dic = dictionary(layer, geofiles.csv_frame(frame, crs) if fmt == "csv" else frame,
                     indicators, crs=crs)
    headers = {"Content-Disposition": f'attachment; filename="{filename}.{fmt}"',
               "X-Content-Type-Options": "nosniff"}
    if layer in LAYERS:
        headers["Link"] = (f'<{url_for("downloads.data_dictionary", layer=layer)}>; '
                           'rel="describedby"; type="text/csv"')
    return Response(_body(frame, fmt, layer, crs, dic), mimetype=MIMETYPES[fmt],
                    headers=headers)


@bp.get("/downloads")
def index():
    wd = web_data()
    return render_template("downloads.html", wd=wd, layers=LAYERS, formats=FORMATS)


def _crs_arg() -> str:
    try:
        return geofiles.crs_for(request.args.get("crs"))
    except InputError as e:
        abort(400, e.message)


@bp.get("/downloads/<layer>.<fmt>")
def download(layer, fmt):
    if layer not in LAYERS or fmt not in FORMATS:
        abort(404)
    crs = _crs_arg()
    if fmt == "geojson" and crs != geofiles.STORAGE_CRS:
        abort(400, "GeoJSON is always WGS84 (RFC 7946): ask for crs=27700 with CSV or "
                   "GeoPackage")
    wd = web_data()
    frame = filter_area(export_frame(wd, layer, request.args), request.args.get("area"))
    return send(gis_frame(wd, layer, frame), fmt, f"assetmap-{layer}", layer=layer, crs=crs,
                indicators=wd.indicators)


@bp.get("/downloads/<layer>/dictionary.csv")
def data_dictionary(layer):
    """What each column of a layer's download holds (column, type, unit, meaning)."""
    if layer not in LAYERS:
        abort(404)
    wd = web_data()
    frame = gis_frame(wd, layer, export_frame(wd, layer, request.args))
    body = write_csv(dictionary(layer, frame, wd.indicators))
    return Response(body, mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="assetmap-{layer}.dictionary.csv"',
        "X-Content-Type-Options": "nosniff"})


def filter_area(frame, code):
    """Only the rows of one area (``?area=E01...``) where the frame is per area."""
    if not code:
        return frame
    for col in ("area_code", "code"):
        if col in frame:
            return frame[frame[col] == code]
    return frame

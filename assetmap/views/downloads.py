"""Downloads: every map's data as CSV and GeoJSON (the same layers as ``assetmap export``),
and the page listing them."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from flask import Blueprint, Response, abort, render_template, request

from .. import model, pipeline
from ..io.csvsafe import write_csv
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
FORMATS = ("csv", "geojson")
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
            "loneliness_risk", "isolation"]
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
        wide = wd.values.pivot(index="area_code", columns="indicator_id", values="value") \
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
        wide = wd.access.pivot_table(index="area_code", columns="category",
                                     values=["minutes", "within_10", "within_15", "within_20"])
        wide.columns = [f"{a}_{b}" for a, b in wide.columns]
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


def to_geojson(frame) -> str:
    g = _clean(frame)
    g = gpd.GeoDataFrame(g, geometry=frame.geometry.name, crs=frame.crs)
    return g.to_json(drop_id=True, na="null", to_wgs84=True)


def send(frame, fmt: str, filename: str) -> Response:
    if fmt == "csv":
        body, mime = to_csv(frame), "text/csv; charset=utf-8"
    else:
        body, mime = to_geojson(frame), "application/geo+json"
    return Response(body, mimetype=mime, headers={
        "Content-Disposition": f'attachment; filename="{filename}.{fmt}"',
        "X-Content-Type-Options": "nosniff"})


@bp.get("/downloads")
def index():
    wd = web_data()
    return render_template("downloads.html", wd=wd, layers=LAYERS, formats=FORMATS)


@bp.get("/downloads/<layer>.<fmt>")
def download(layer, fmt):
    if layer not in LAYERS or fmt not in FORMATS:
        abort(404)
    wd = web_data()
    frame = filter_area(export_frame(wd, layer, request.args), request.args.get("area"))
    return send(frame, fmt, f"assetmap-{layer}")


def filter_area(frame, code):
    """Only the rows of one area (``?area=E01...``) where the frame is per area."""
    if not code:
        return frame
    for col in ("area_code", "code"):
        if col in frame:
            return frame[frame[col] == code]
    return frame

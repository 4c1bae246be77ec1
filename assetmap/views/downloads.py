"""Downloads: every map's data as CSV, GeoJSON (RFC 7946) and GeoPackage, named as
``assetmap export`` names it (``area_code``/``area_name``, ``indicator_<id>``), in WGS84 or
British National Grid (``?crs=27700``, CSV and GeoPackage), each layer's data dictionary at
``/downloads/<layer>/dictionary.csv`` (linked from every download's ``Link`` header with
the same filters, and inside every GeoPackage); and the page listing them. ``export_frame``
is also what the JSON API serves.

Every download can be cited (issue 12): its name carries its filters
(``assetmap-gaps-home_support-dementia.csv``), and the analysis run, data version, date made
and licence line (``settings.DATA_LICENCE``) travel in its HTTP headers, its dictionary, the
GeoJSON ``metadata`` member and the GeoPackage metadata (:mod:`assetmap.io.provenance`);
``<layer>.zip`` is the CSV "with notes" (dictionary and README.txt beside it). :func:`send`
and :func:`attachment` do this for the other pages' downloads too."""
from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from flask import Blueprint, Response, abort, render_template, request, url_for

from .. import model, pipeline, settings
from ..errors import InputError
from ..io import export as io_export
from ..io import geofiles
from ..io.csvsafe import write_csv
from ..io.export_dictionary import dictionary
from ..io.filenames import content_disposition, download_name
from ..io.provenance import Provenance, geojson_metadata, with_provenance
from ..io.provenance import bundle as provenance_bundle
from ._hosts import external_url
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
    "service_types", "client_groups", "hourly_price", "quality_mark", "quality_mark_by",
    "cqc_registered", "cqc_location_id", "cqc_rating", "direct_payments", "preferred_list",
    "staff_fte", "capacity_hours", "capacity_places", "vacancies", "vacancies_confirmed",
    "community_focus", "community_tags", "reach", "radius_km", "area_served",
    "area_served_geojson", "charity_number", "company_number"]


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


#: Query parameters that change what a download holds, in the order its file name carries
#: them (issue 12: two differently filtered files never share a name).
FILTER_KEYS = ("indicator", "service_type", "client_group", "unit", "area")
#: "With notes": the CSV, its data dictionary and a README (licence, provenance) in a zip.
BUNDLE = "zip"


def filters_of(args, keys=FILTER_KEYS, crs: str = geofiles.STORAGE_CRS) -> dict:
    """The filters a download was made with (``keys`` from ``args``, non-empty, in order;
    the CRS when it is not WGS84)."""
    out = {k: str(args.get(k)).strip()[:80] for k in keys
           if args.get(k) is not None and str(args.get(k)).strip()}
    if crs != geofiles.STORAGE_CRS:
        out["crs"] = crs
    return out


def provenance(title: str, filters: dict | None = None, dictionary_url: str | None = None
               ) -> Provenance:
    """Where a download made now comes from: the store's latest run and data version (as
    the page data holds them), the filters, the licence setting, the method page."""
    wd = web_data()
    return Provenance.of(title, wd.run, wd.data_version, filters,
                         dictionary_url=dictionary_url,
                         method_url=external_url("method.index", relative_if_untrusted=True))


def file_name(stem: str, filters: dict, ext: str) -> str:
    """``assetmap-gaps-home_support-dementia-E01011229.csv``: the stem and every filter's
    value (the CRS as ``epsg27700``), sanitised (:mod:`assetmap.io.filenames`)."""
    parts = [("epsg" + v.split(":")[-1]) if k == "crs" else v for k, v in filters.items()]
    return download_name(stem, parts, ext)


def dictionary_link(endpoint: str, **values) -> str:
    """The ``Link`` header value pointing at a download's dictionary (same filters)."""
    url = url_for(endpoint, **{k: v for k, v in values.items() if v not in (None, "")})
    return f'<{url}>; rel="describedby"; type="text/csv"'


def _body(frame, fmt: str, layer: str, crs: str, dic: pd.DataFrame,
          prov: Provenance) -> bytes:
    if fmt == "csv":
        return write_csv(_clean(geofiles.csv_frame(frame, crs))).encode("utf-8")
    if fmt == "geojson":
        return geofiles.geojson_text(_clean(frame), io_export.feature_ids(layer, frame),
                                     geojson_metadata(prov, dic)).encode("utf-8")
    with tempfile.TemporaryDirectory(prefix="assetmap-gpkg-") as tmp:
        path = Path(tmp) / f"{layer}.gpkg"
        geofiles.write_gpkg(_clean(frame), path, layer, with_provenance(dic, prov), crs,
                            io_export.DESCRIPTIONS.get(layer, layer), prov.gpkg_metadata())
        return path.read_bytes()


def attachment(body, mimetype: str, name: str, prov: Provenance,
               link: str | None = None) -> Response:
    """A download response: the file offered as ``name`` (quoted, RFC 6266), with its
    provenance headers and the ``Link`` to its data dictionary."""
    headers = {"Content-Disposition": content_disposition(name),
               "X-Content-Type-Options": "nosniff", **prov.headers()}
    if link:
        headers["Link"] = link
    return Response(body, mimetype=mimetype, headers=headers)


def bundle_response(name: str, body: bytes, dic: pd.DataFrame, prov: Provenance,
                    link: str | None = None) -> Response:
    """The "with notes" zip: ``name`` (its bytes ``body``), its dictionary with provenance,
    and a README.txt with the licence and where it comes from."""
    stem = name.rsplit(".", 1)[0]
    files = {name: body,
             f"{stem}.dictionary.csv": write_csv(with_provenance(dic, prov)).encode("utf-8")}
    described = {name: prov.title, f"{stem}.dictionary.csv":
                 "what each column holds, its type and unit; then where the file comes from"}
    return attachment(provenance_bundle(files, prov, described), "application/zip",
                      f"{stem}.zip", prov, link)


def send(frame, fmt: str, filename: str, *, layer: str | None = None, crs: str = "EPSG:4326",
         indicators=None, filters: dict | None = None, title: str | None = None,
         link: str | None = None) -> Response:
    """The frame as a download in ``fmt`` (csv, geojson, gpkg, or zip: the CSV with notes)
    and ``crs``, named ``filename`` plus its ``filters``, with its provenance (run, data
    version, date made, licence) in the headers, the GeoJSON and the GeoPackage, and the
    ``Link`` to its dictionary (``link``; a layer's own by default)."""
    layer = layer or filename
    if fmt == "geojson" and crs != geofiles.STORAGE_CRS:
        raise InputError("GeoJSON is always WGS84 (RFC 7946): ask for crs=27700 with CSV or "
                         "GeoPackage", field="crs")
    filters = dict(filters or {})
    if link is None and layer in LAYERS:
        link = dictionary_link("downloads.data_dictionary", layer=layer, **{
            k: v.split(":")[-1] if k == "crs" else v for k, v in filters.items()})
    prov = provenance(title or io_export.DESCRIPTIONS.get(layer, LAYERS.get(layer, layer)),
                      filters, link.split(">")[0].lstrip("<") if link else None)
    inner = "csv" if fmt == BUNDLE else fmt
    dic = dictionary(layer, geofiles.csv_frame(frame, crs) if inner == "csv" else frame,
                     indicators, crs=crs)
    body = _body(frame, inner, layer, crs, dic, prov)
    name = file_name(filename, filters, inner)
    if fmt == BUNDLE:
        return bundle_response(name, body, dic, prov, link)
    return attachment(body, MIMETYPES[fmt], name, prov, link)


@bp.get("/downloads")
def index():
    wd = web_data()
    return render_template("downloads.html", wd=wd, layers=LAYERS, formats=FORMATS,
                           licence=settings.DATA_LICENCE)


def _crs_arg() -> str:
    try:
        return geofiles.crs_for(request.args.get("crs"))
    except InputError as e:
        abort(400, e.message)


@bp.get("/downloads/<layer>.<fmt>")
def download(layer, fmt):
    """One layer in ``fmt`` (csv, geojson, gpkg; zip: the CSV with notes), filtered by
    ``FILTER_KEYS``, in ``crs``."""
    if layer not in LAYERS or fmt not in (*FORMATS, BUNDLE):
        abort(404)
    crs = _crs_arg()
    if fmt == "geojson" and crs != geofiles.STORAGE_CRS:
        abort(400, "GeoJSON is always WGS84 (RFC 7946): ask for crs=27700 with CSV or "
                   "GeoPackage")
    wd = web_data()
    frame = filter_area(export_frame(wd, layer, request.args), request.args.get("area"))
    return send(gis_frame(wd, layer, frame), fmt, f"assetmap-{layer}", layer=layer, crs=crs,
                indicators=wd.indicators, filters=filters_of(request.args, crs=crs))


@bp.get("/downloads/<layer>/dictionary.csv")
def data_dictionary(layer):
    """What each column of a layer's download holds (column, type, unit, meaning)."""
    if layer not in LAYERS:
        abort(404)
    crs = _crs_arg()
    wd = web_data()
    frame = filter_area(gis_frame(wd, layer, export_frame(wd, layer, request.args)),
                        request.args.get("area"))
    dic = dictionary(layer, geofiles.csv_frame(frame, crs), wd.indicators, crs=crs)
    if geofiles._is_geo(frame):            # the GeoJSON and GeoPackage geometry, too
        dic = pd.concat([dic, dictionary(layer, frame[[frame.geometry.name]], crs=crs)],
                        ignore_index=True)
    return dictionary_response(dic, "assetmap-" + layer,
                               io_export.DESCRIPTIONS.get(layer, LAYERS[layer]),
                               filters_of(request.args, crs=crs))


def dictionary_response(dic: pd.DataFrame, stem: str, title: str, filters: dict
                        ) -> Response:
    """A data dictionary as a CSV download, with its provenance rows and headers."""
    prov = provenance(title, filters, request.path)
    return attachment(write_csv(with_provenance(dic, prov)), "text/csv; charset=utf-8",
                      file_name(stem, filters, "dictionary.csv"), prov)


def filter_area(frame, code):
    """Only the rows of one area (``?area=E01...``) where the frame is per area."""
    if not code:
        return frame
    for col in ("area_code", "code"):
        if col in frame:
            return frame[frame[col] == code]
    return frame

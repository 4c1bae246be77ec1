"""Frames written as files GIS tools read as they are (issue 14), with a data dictionary.

* **GeoJSON**: RFC 7946: WGS84 longitude/latitude, no ``crs`` member, polygons by the
  right-hand rule (exterior rings counterclockwise, holes clockwise), coordinates to 6
  decimals (about 0.1 m), an ``id`` on every feature; empty values are ``null``.
* **GeoPackage**: the layer in the asked CRS with proper field types (whole-number columns
  as INTEGER, dates as DATE, times as DATETIME in UTC, yes/no as booleans, empty as NULL),
  the layer's description in its metadata, and the data dictionary as an attribute table
  ``data_dictionary`` beside the layer.
* **CSV**: no geometry; points get ``lon``/``lat`` (WGS84) or ``easting``/``northing``
  (EPSG:27700); formula-safe (``csvsafe``).

A data dictionary (column, type, unit, meaning) goes beside every file as
``FILE.dictionary.csv`` (``gaps.gpkg`` -> ``gaps.gpkg.dictionary.csv``).
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputError
from ..settings import ANALYSIS_CRS, STORAGE_CRS
from .csvsafe import write_csv

logging.getLogger("pyogrio").setLevel(logging.WARNING)     # no "Created N records" lines

#: CRSs an export can be asked for: WGS84 (GeoJSON's only one) and British National Grid.
CRS_CHOICES = {"4326": STORAGE_CRS, "27700": ANALYSIS_CRS}
GEOJSON_DECIMALS = 6
#: Dictionary type names.
TYPES = ("text", "real", "integer", "boolean", "date", "datetime", "geometry")


def crs_for(value) -> str:
    """``4326``, ``27700``, ``EPSG:27700``... as an EPSG string; anything else: InputError."""
    text = str(value or "4326").strip().upper().removeprefix("EPSG:")
    if text not in CRS_CHOICES:
        raise InputError(f"crs must be 4326 (WGS84) or 27700 (British National Grid), not "
                         f"'{value}'", field="crs")
    return CRS_CHOICES[text]


def _is_geo(frame) -> bool:
    return isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns


def _python(v):
    """A JSON-ready scalar: numpy to Python, NaN/NaT/'' to None."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    if isinstance(v, str) and v == "":
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return v


def rfc7946_geometries(geoms) -> np.ndarray:
    """Geometries in EPSG:4326 oriented by the right-hand rule, rounded to 6 decimals."""
    arr = np.asarray(geoms, dtype=object)
    arr = shapely.orient_polygons(arr, exterior_cw=False)
    return shapely.transform(arr, lambda xy: np.round(xy, GEOJSON_DECIMALS))


def feature_collection(frame: gpd.GeoDataFrame, ids=None, metadata: dict | None = None
                       ) -> dict:
    """The frame as an RFC 7946 FeatureCollection (a dict); ``ids`` one per row (default:
    1..n); ``metadata`` (where the file comes from, its licence and columns) as a top-level
    foreign member (RFC 7946 section 6.1), after ``features``."""
    g = frame.to_crs(STORAGE_CRS) if frame.crs is not None else frame
    geoms = rfc7946_geometries(g.geometry.values)
    props = pd.DataFrame(g.drop(columns=g.geometry.name))
    ids = list(range(1, len(g) + 1)) if ids is None else [_python(i) for i in ids]
    cols = list(props.columns)
    feats = []
    for fid, geom, row in zip(ids, geoms, props.itertuples(index=False, name=None)):
        feats.append({"type": "Feature", "id": fid,
                      "geometry": None if geom is None else shapely.geometry.mapping(geom),
                      "properties": {c: _python(v) for c, v in zip(cols, row)}})
    out: dict = {"type": "FeatureCollection", "features": feats}
    if metadata:
        out["metadata"] = metadata
    return out


def geojson_text(frame: gpd.GeoDataFrame, ids=None, metadata: dict | None = None) -> str:
    return json.dumps(feature_collection(frame, ids, metadata), ensure_ascii=False,
                      allow_nan=False, default=str, separators=(",", ":"))


def csv_frame(frame, crs: str = STORAGE_CRS) -> pd.DataFrame:
    """The frame without geometry; points as lon/lat (WGS84) or easting/northing."""
    if not _is_geo(frame):
        return pd.DataFrame(frame)
    df = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    g = frame.geometry
    if len(g) and (g.geom_type == "Point").all():
        if crs == STORAGE_CRS:
            df["lon"], df["lat"] = g.to_crs(crs).x.round(6), g.to_crs(crs).y.round(6)
        else:
            p = g.to_crs(crs)
            df = df.drop(columns=[c for c in ("lon", "lat") if c in df.columns])
            df["easting"], df["northing"] = p.x.round(1), p.y.round(1)
    return df


def _geometry_type(geoms: gpd.GeoSeries) -> tuple[str, bool]:
    kinds = set(geoms.dropna().geom_type)
    if kinds and kinds <= {"Polygon", "MultiPolygon"}:
        return "MultiPolygon", True
    if kinds and kinds <= {"LineString", "MultiLineString"}:
        return "MultiLineString", True
    if len(kinds) == 1:
        return kinds.pop(), False
    return "Unknown", False


def _field(series: pd.Series, kind: str) -> tuple[np.ndarray, np.ndarray | None]:
    """One column as the array (and mask) pyogrio writes with the dictionary's type."""
    if kind == "integer":
        num = pd.to_numeric(series, errors="coerce")
        return num.fillna(0).astype(np.int64).to_numpy(), num.isna().to_numpy()
    if kind == "real":
        return pd.to_numeric(series, errors="coerce").astype(float).to_numpy(), None
    if kind == "boolean":
        return series.fillna(False).astype(bool).to_numpy(), series.isna().to_numpy()
    if kind == "date":
        t = pd.to_datetime(series.replace("", None), errors="coerce", utc=True)
        return t.dt.tz_localize(None).to_numpy().astype("datetime64[D]"), None
    if kind == "datetime":
        t = pd.to_datetime(series.replace("", None), errors="coerce", utc=True)
        return t.dt.tz_localize(None).to_numpy().astype("datetime64[ms]"), None
    return np.array([_text(v) for v in series], dtype=object), None


def _text(v):
    v = _python(v)
    return None if v is None else v if isinstance(v, str) else str(v)


def write_gpkg(frame: gpd.GeoDataFrame, path: Path, layer: str, dictionary: pd.DataFrame,
               crs: str, description: str = "", metadata: dict[str, str] | None = None) -> None:
    """The layer with typed fields, then the dictionary as an attribute table; ``metadata``
    (provenance: run, data version, licence...) as the layer's and the dataset's metadata
    items (``gpkg_metadata``)."""
    import pyogrio
    from pyogrio import raw
    g = frame.to_crs(crs)
    kinds = dict(zip(dictionary["column"], dictionary["type"]))
    names = [c for c in g.columns if c != g.geometry.name]
    fields, masks = [], []
    for c in names:
        data, mask = _field(g[c], kinds.get(c, "text"))
        fields.append(data)
        masks.append(mask)
    geom_type, multi = _geometry_type(g.geometry)
    if path.exists():
        path.unlink()
    raw.write(str(path), geometry=np.array(shapely.to_wkb(g.geometry.values), dtype=object),
              field_data=fields, fields=names, field_mask=masks, layer=layer, driver="GPKG",
              geometry_type=geom_type, promote_to_multi=multi, crs=crs,
              layer_metadata={"DESCRIPTION": description or layer,
                              "IDENTIFIER": layer, **(metadata or {})},
              dataset_metadata=dict(metadata) if metadata else None)
    pyogrio.write_dataframe(dictionary, str(path), layer="data_dictionary", driver="GPKG",
                            append=True, layer_metadata={
                                "DESCRIPTION": f"what each column of '{layer}' holds"})


def dictionary_path(path) -> Path:
    p = Path(path)
    return p.with_name(f"{p.name}.dictionary.csv")


def write(frame, path, fmt: str, layer: str, dictionary: pd.DataFrame, *,
          crs: str = STORAGE_CRS, ids=None, description: str = "", provenance=None) -> int:
    """Write ``frame`` as ``fmt`` (geojson, gpkg, csv) and its dictionary beside it; returns
    the rows written. GeoJSON is WGS84 only (RFC 7946). With ``provenance``
    (:class:`~assetmap.io.provenance.Provenance`) the file and its dictionary say where they
    come from (:mod:`assetmap.io.provenance`)."""
    from .provenance import geojson_metadata, with_provenance
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "geojson" and crs != STORAGE_CRS:
        raise InputError("GeoJSON is always WGS84 longitude/latitude (RFC 7946): use -f gpkg "
                         "or csv for EPSG:27700", field="crs")
    if fmt != "csv" and not _is_geo(frame):
        raise InputError(f"'{layer}' has no geometry: export it as CSV", field="format")
    if fmt == "csv":
        n = write_csv(csv_frame(frame, crs), path)
    elif fmt == "geojson":
        meta = geojson_metadata(provenance, dictionary) if provenance else None
        path.write_text(geojson_text(frame, ids, meta), encoding="utf-8")
        n = len(frame)
    else:
        write_gpkg(frame, path, layer, with_provenance(dictionary, provenance), crs,
                   description, provenance.gpkg_metadata() if provenance else None)
        n = len(frame)
    write_csv(with_provenance(dictionary, provenance), dictionary_path(path))
    return n

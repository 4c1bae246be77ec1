"""Assets as they come in vector files (GeoJSON, GeoPackage, Shapefile): points,
polygons (buildings, parks) and lines (a path, a row of shops), and names for records that
have none.

* A polygon or line becomes its representative point (a point guaranteed to lie on it,
  found in British National Grid), which is what analysis measures from; its outline is
  kept as the asset's ``footprint`` for display, simplified to ``FOOTPRINT_TOLERANCE_M``.
* Outlines of one place mapped as several buildings (a hospital campus, a church and its
  hall) are one asset: features with the same name and category whose outlines lie within
  ``PART_GAP_M`` of each other are merged (:func:`merge_parts`).
* A record without a name is named by :func:`fallback_name`: its category and the first
  part of its address ("Bus, tram or rail stop, Marsland Road"), else its postcode, else the
  nearest stored postcode ("Post office near M33 7AB"), else its position.
"""
from __future__ import annotations

import json
from collections import defaultdict

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import model
from ..errors import InputError
from ..projection import geoms_to_grid, to_lonlat
from ..settings import ANALYSIS_CRS, STORAGE_CRS
from .common import blank, norm
from .limits import check_vector_file, refuse_nul

#: Outlines are simplified to this (metres, topology kept): about a pixel at street zoom.
FOOTPRINT_TOLERANCE_M = 1.0
#: Same-named outlines closer than this (metres) are parts of one asset.
PART_GAP_M = 100.0
#: Names that say the source has none (OS OpenMap Local writes "Unknown").
PLACEHOLDER_NAMES = {"unknown", "unnamed", "notnamed", "noname"}


def read_vector(p, file: str) -> pd.DataFrame:
    """A vector file as a frame of strings with ``lon``/``lat`` (each feature's point)
    and ``_footprint`` (its outline in EPSG:4326, None for points)."""
    check_vector_file(p, file=file)
    try:
        gdf = gpd.read_file(p)
    except Exception as e:  # pyogrio, fiona and the GDAL drivers raise many kinds: reported
        raise InputError(f"not a readable GeoJSON/GeoPackage: {str(e).splitlines()[0][:200]}",
                         file=file) from None
    if gdf.empty:
        raise InputError("the file has no features", file=file)
    if gdf.crs is None:
        gdf = gdf.set_crs(STORAGE_CRS)
    proj = gdf.geometry.to_crs(ANALYSIS_CRS)
    shaped = ~proj.geom_type.isin(["Point", "MultiPoint"]) & proj.notna() & ~proj.is_empty
    pts = proj.where(~shaped, proj[shaped].representative_point()).to_crs(STORAGE_CRS)
    outlines = gpd.GeoSeries(shapely.simplify(proj[shaped].values, FOOTPRINT_TOLERANCE_M,
                                              preserve_topology=True),
                             index=proj[shaped].index, crs=ANALYSIS_CRS).to_crs(STORAGE_CRS)
    df = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype(object)
    df = df.map(_cell)
    df["lon"] = [None if q is None or q.is_empty else f"{q.x:.7f}" for q in pts]
    df["lat"] = [None if q is None or q.is_empty else f"{q.y:.7f}" for q in pts]
    refuse_nul(df, file=file)
    df["_footprint"] = pd.Series(list(outlines.values), index=outlines.index,
                                 dtype=object).reindex(df.index)
    df["_footprint"] = df["_footprint"].astype(object).where(df["_footprint"].notna(), None)
    return df


def _cell(v) -> str:
    """A property value as text: opening hours objects (``{"opening": "Mo 09:00-12:00",
    "_text": ...}``, as warm-space directories publish them) by their OSM-style string."""
    if isinstance(v, dict):
        for k in ("opening", "opening_hours", "_text", "text"):
            if isinstance(v.get(k), str) and v[k].strip():
                return v[k]
        return json.dumps(v, sort_keys=True, default=str)
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    return str(v)


def placeholder_name(v) -> bool:
    """True for a name cell that means "no name" ("Unknown", "Unnamed")."""
    return not blank(v) and norm(v) in PLACEHOLDER_NAMES


def fallback_name(cat: str, r: dict, pc, where: tuple[float, float], near_pc=None) -> str:
    """A name for a record without one: its category label and the first part of its
    address, else its postcode, else the nearest stored postcode, else its position."""
    label = model.ASSET_CATEGORIES.get(cat, cat)
    address = r.get("address")
    first = str(address).split(",")[0].strip() if not blank(address) else ""
    if first:
        return f"{label}, {first}"[:200]
    if pc:
        return f"{label}, {pc}"
    if near_pc:
        return f"{label} near {near_pc}"
    lon, lat = where
    return f"{label} at {lat:.4f}, {lon:.4f}"


def merge_parts(assets: list[dict], *, gap_m: float = PART_GAP_M) -> tuple[list[dict], list]:
    """(assets with the parts of one place merged, [(name, parts merged)...]): records with
    an outline, the same name (as given in the file) and category, and outlines within
    ``gap_m`` of each other become the first of them, with the outlines' union as its
    footprint and that union's representative point as its place."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, a in enumerate(assets):
        if a.get("footprint") is not None and not a.get("_fallback_name"):
            groups[(norm(a["name"]), a["category"])].append(i)
    drop: set[int] = set()
    merged = []
    for idx in groups.values():
        if len(idx) < 2:
            continue
        for members in _clusters([assets[i]["footprint"] for i in idx], gap_m):
            if len(members) < 2:
                continue
            keep = assets[idx[members[0]]]
            union = shapely.union_all([assets[idx[m]]["footprint"] for m in members])
            keep["footprint"] = union
            pt = _bng_point(union)
            keep["lon"], keep["lat"] = round(pt[0], 7), round(pt[1], 7)
            drop.update(idx[m] for m in members[1:])
            merged.append((keep["name"], len(members)))
    return [a for i, a in enumerate(assets) if i not in drop], merged


def _clusters(outlines: list, gap_m: float) -> list[list[int]]:
    """Indexes of ``outlines`` (EPSG:4326) grouped by touching within ``gap_m``."""
    bng = [geoms_to_grid(g) for g in outlines]
    blobs = shapely.get_parts(shapely.union_all(shapely.buffer(bng, gap_m / 2.0)))
    tree = shapely.STRtree(blobs)
    pairs = tree.query(np.asarray(bng, dtype=object), predicate="intersects")
    which: dict[int, int] = {}
    for i, b in zip(pairs[0], pairs[1]):
        which.setdefault(int(i), int(b))
    out: dict[int, list[int]] = defaultdict(list)
    for i in range(len(outlines)):
        out[which.get(i, -1 - i)].append(i)
    return list(out.values())


def _bng_point(g) -> tuple[float, float]:
    """The representative point of an EPSG:4326 geometry, found in British National Grid
    (where "inside" is measured as on the ground), back in lon/lat."""
    p = shapely.point_on_surface(geoms_to_grid(g))
    lon, lat = to_lonlat().transform(p.x, p.y)
    return float(lon), float(lat)

"""Area boundaries: ONS LSOA / MSOA / ward / local authority polygons as GeoJSON, Shapefile
(.shp or zipped) or GeoPackage, in any CRS.

The code and name columns are detected (LSOA21CD/LSOA21NM, LSOA11CD, MSOA21CD, WD22CD,
LAD22CD, area_code/area_name, ...) or given; the level comes from the code's prefix (E01
LSOA, E02 MSOA, E05 ward, E06-E09 local authority; the Welsh W0x likewise). Areas are
stored in EPSG:4326. The population-weighted centroid is the polygon's representative
point until a postcode lookup is imported, then the centre of the area's postcodes (a
stand-in for where people live; see :func:`refresh_centroids`).

A file of points (a centroid table, a point GeoJSON) gives each area the Voronoi cell of its
point, clipped to a boundary (``clip``) and flagged ``approximate_geometry``
(:mod:`.centroids`); real polygons imported later replace those cells, keeping the areas'
indicators, and the remaining cells are redrawn around them. Invalid polygons are repaired
with a note naming each feature (:mod:`.repair`), or refused.
"""
from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .. import model
from ..errors import InputError
from ..settings import ANALYSIS_CRS, STORAGE_CRS
from . import centroids
from .area_links import assign_parents, merge_existing, refresh_centroids
from .common import (
    UK_BOUNDS,
    BadRows,
    ImportReport,
    check_file,
    find_col,
    invisible_only,
    sniff_binary,
)
from .limits import check_vector_file, refuse_nul
from .place import filter_la, la_columns, place_of, set_place
from .repair import repaired

#: ONS code prefix -> AssetMap area level.
LEVEL_PREFIXES = {
    "E01": "lsoa", "W01": "lsoa", "S01": "lsoa",
    "E02": "msoa", "W02": "msoa", "S02": "msoa",
    "E05": "ward", "W05": "ward", "S13": "ward",
    "E06": "la", "E07": "la", "E08": "la", "E09": "la", "W06": "la", "S12": "la",
}
#: Column-name patterns of ONS code columns, finest first.
_CODE_PATTERNS = [r"^lsoa\d{2}cd$", r"^msoa\d{2}cd$", r"^wd\d{2}cd$", r"^lad\d{2}cd$",
                  r"^(ctyua|utla|ltla)\d{2}cd$"]
_CODE_NAMES = ["area_code", "code", "lsoa_code", "msoa_code", "ward_code", "geo_code",
               "gss_code", "ref:gss", "la_code", "lad_code"]
_NAME_NAMES = ["area_name", "name", "lsoa_name", "msoa_name", "ward_name", "geo_name",
               "la_name", "lad_name"]


def level_of(code: str) -> str | None:
    return LEVEL_PREFIXES.get(str(code)[:3].upper())


def _detect_code_column(gdf, code_column, file):
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    if code_column:
        col = find_col(cols, [code_column])
        if col is None:
            raise InputError("the code column given is not in the file (columns: "
                             f"{', '.join(cols[:12])})", file=file, field=code_column)
        return col
    for pat in _CODE_PATTERNS:
        for c in cols:
            if re.match(pat, str(c), re.I):
                return c
    c = find_col(cols, _CODE_NAMES)
    if c:
        return c
    for c in cols:   # any column of ONS-looking codes
        vals = gdf[c].dropna().astype(str)
        if len(vals) and vals.str.match(model.AREA_CODE_RE).mean() > 0.9:
            return c
    raise InputError("cannot find the area code column (LSOA21CD, LSOA11CD, WD22CD, area_code "
                     "...); give it with --code-column (columns: "
                     f"{', '.join(map(str, cols[:12]))})", file=file, field="code")


def _detect_name_column(gdf, code_col, name_column, file):
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    if name_column:
        col = find_col(cols, [name_column])
        if col is None:
            raise InputError("the name column given is not in the file", file=file,
                             field=name_column)
        return col
    m = re.match(r"^(.*?)(cd|_code|code)$", str(code_col), re.I)
    cands = []
    if m:
        stem = m.group(1)
        cands += [stem + "NM", stem + "nm", stem + "_name", stem + "name", stem + "NAME"]
    return find_col(cols, cands + _NAME_NAMES)


def _parent_columns(gdf, level):
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    if level in ("lsoa", "msoa"):
        wd = next((c for c in cols if re.match(r"^wd\d{2}cd$", str(c), re.I)), None) or \
            find_col(cols, ["ward_code"])
        if wd:
            nm = find_col(cols, [re.sub("cd$", "nm", wd, flags=re.I), "ward_name"])
            return wd, nm
    if level != "la":
        return la_columns(gdf)
    return None, None


def _read_vector(path, file):
    p = check_file(path, kind="boundary file")
    if p.is_file() and (p.suffix.lower() in (".csv", ".txt", ".xlsx", ".xls")
                        or "".join(p.suffixes[-2:]).lower() in (".csv.gz", ".csv.zip")):
        pts = centroids.read_point_table(p, file)
        if pts is None:
            raise InputError("this is a table without coordinates, not a boundary file "
                             "(GeoJSON, Shapefile or GeoPackage, or a centroid table with "
                             "LONG/LAT or BNG_E/BNG_N columns)", file=file)
        return pts
    what = sniff_binary(p) if p.is_file() else None
    if what and p.suffix.lower() not in (".zip", ".gpkg", ".shp") and not (
            what.startswith("a ZIP") and p.suffix.lower() == ".zip") and not (
            what.startswith("a SQLite") and p.suffix.lower() == ".gpkg"):
        raise InputError(f"this is {what}, not a boundary file", file=file)
    check_vector_file(p, file=file)
    try:
        gdf = gpd.read_file(p)
    except Exception as e:  # pyogrio DataSourceError, JSON errors, ...
        msg = str(e).splitlines()[0][:200]
        raise InputError(f"not a readable boundary file (GeoJSON, Shapefile or GeoPackage): "
                         f"{msg}", file=file) from None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns or \
            gdf.geometry.isna().all():
        raise InputError("the file has no geometry: not a boundary file", file=file,
                         field="geometry")
    if gdf.empty:
        raise InputError("the boundary file has no features", file=file)
    refuse_nul(gdf.drop(columns=gdf.geometry.name), file=file)
    return gdf


def _to_storage_crs(gdf, file, notes):
    x0, y0, x1, y1 = gdf.total_bounds
    if gdf.crs is None:
        if UK_BOUNDS[0] <= x0 and x1 <= UK_BOUNDS[2] and UK_BOUNDS[1] <= y0 and y1 <= UK_BOUNDS[3]:
            gdf = gdf.set_crs(STORAGE_CRS)
            notes.append("the file has no CRS; its coordinates look like longitude/latitude "
                         "(EPSG:4326)")
        elif 0 <= x0 and x1 <= 700_000 and 0 <= y0 and y1 <= 1_300_000:
            gdf = gdf.set_crs(ANALYSIS_CRS)
            notes.append("the file has no CRS; its coordinates look like British National "
                         "Grid (EPSG:27700)")
        else:
            raise InputError("the file has no coordinate reference system and its coordinates "
                             "are neither longitude/latitude nor British National Grid",
                             file=file, field="geometry")
    try:
        out = gdf.to_crs(STORAGE_CRS)
    except (pyproj.exceptions.CRSError, pyproj.exceptions.ProjError, ValueError) as e:
        raise InputError(f"cannot transform from {gdf.crs} to EPSG:4326: {e}", file=file,
                         field="geometry") from None
    bx0, by0, bx1, by1 = out.total_bounds
    ok = np.isfinite([bx0, by0, bx1, by1]).all() and UK_BOUNDS[0] <= bx0 and \
        bx1 <= UK_BOUNDS[2] and UK_BOUNDS[1] <= by0 and by1 <= UK_BOUNDS[3]
    if not ok:
        epsg = gdf.crs.to_epsg() if gdf.crs is not None else None
        raise InputError(f"read as {('EPSG:' + str(epsg)) if epsg else gdf.crs.name}, the "
                         f"coordinates ({x0:.4g}, {y0:.4g} .. {x1:.4g}, {y1:.4g}) fall outside "
                         "the United Kingdom: the file's CRS is wrong or missing",
                         file=file, field="geometry")
    return out


def read_boundaries(path, *, code_column=None, name_column=None, la=None, level=None,
                    skip_bad: bool = False, report: ImportReport | None = None,
                    la_lookup: dict | None = None, clip=None, exclude=None,
                    la_names: dict | None = None) -> gpd.GeoDataFrame:
    """Areas ready for :meth:`Store.write_areas` (EPSG:4326, model.AREA_COLUMNS), read from
    a boundary or centroid file: see :func:`areas_from_frame`."""
    file = str(path)
    report = report or ImportReport("boundaries", file)
    gdf = read_vector(path, report.notes)
    return areas_from_frame(gdf, file, code_column=code_column, name_column=name_column,
                            la=la, level=level, skip_bad=skip_bad, report=report,
                            la_lookup=la_lookup, clip=clip, exclude=exclude, la_names=la_names)


def read_vector(path, notes: list) -> gpd.GeoDataFrame:
    """A boundary file's features, or a centroid table's points, in EPSG:4326."""
    return _to_storage_crs(_read_vector(path, str(path)), str(path), notes)


def areas_from_frame(gdf, file: str, *, code_column=None, name_column=None, la=None,
                     level=None, skip_bad: bool = False, report: ImportReport,
                     la_lookup: dict | None = None, clip=None, exclude=None,
                     la_names: dict | None = None, codes=None) -> gpd.GeoDataFrame:
    """Areas from features (EPSG:4326; the index: the file's data rows from 0). Points
    become Voronoi cells clipped to ``clip`` (EPSG:27700 polygon; the points' buffered
    hull when None) minus ``exclude``. ``codes`` keeps only those areas. ``attrs["place"]``
    is the (code, name) of the authority ``la`` picked, ``attrs["region"]`` the region
    cells were clipped to."""
    code_col = _detect_code_column(gdf, code_column, file)
    name_col = _detect_name_column(gdf, code_col, name_column, file)
    if name_col is None:
        report.notes.append("no name column found: codes are used as names")
    area_codes = gdf[code_col].astype(object).where(gdf[code_col].notna(), None)
    area_codes = area_codes.map(lambda v: None if v is None else str(v).strip().upper())
    gdf = gdf.assign(_code=area_codes, _filerow=np.asarray(gdf.index, dtype=int) + 1)
    if la:
        gdf = filter_la(gdf, la, name_col, file, la_lookup)
    if codes is not None:
        gdf = gdf[gdf["_code"].isin(set(codes)).to_numpy()]
    points = _all_points(gdf)
    region = None
    if points:
        gdf, region = _points_to_cells(gdf, clip, exclude, report)
    bad = BadRows(file, skip_bad, report)
    rows = [r for k in range(len(gdf)) if (r := _area_row(gdf, k, code_col, name_col, level,
                                                           bad, report.notes)) is not None]
    bad.check()
    if not rows:
        raise InputError("no usable areas in the file", file=file)
    out = _merge_duplicates(gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_CRS),
                            report)
    _add_parents(out, gdf.reset_index(drop=True))
    if points:
        pos = gdf.set_index("_filerow")
        out["pwc_lon"] = out["_row"].map(pos["_pwc_lon"]).round(6).to_numpy()
        out["pwc_lat"] = out["_row"].map(pos["_pwc_lat"]).round(6).to_numpy()
    else:
        rp = out.geometry.representative_point()
        out["pwc_lon"] = rp.x.round(6)
        out["pwc_lat"] = rp.y.round(6)
    out["approximate_geometry"] = bool(points)
    for b in model.AGE_BANDS:
        out[b] = np.nan
    out = out.drop(columns="_row").reset_index(drop=True)
    out.attrs["place"] = place_of(gdf, la, name_col, la_names) if la else None
    out.attrs["region"] = region
    return out


def _all_points(gdf) -> bool:
    """True when every geometry the file has is a point (a centroid file)."""
    g = gdf.geometry[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    return bool(len(g)) and bool(g.geom_type.isin(["Point"]).all())


def _points_to_cells(gdf, clip, exclude, report):
    """The points' Voronoi cells as the geometry (their points kept in ``_pwc_lon/lat``),
    and the region they were clipped to (EPSG:27700)."""
    ok = gdf.geometry.notna() & ~gdf.geometry.is_empty
    pts = gdf[ok.to_numpy()].copy()
    xy = np.column_stack([pts.geometry.x, pts.geometry.y])
    region = clip
    if region is None:
        bng = pts.to_crs(ANALYSIS_CRS).geometry
        region = centroids.hull_region(np.column_stack([bng.x, bng.y]), report.notes)
    cells = centroids.cells(pts, region, exclude=exclude, codes=pts["_code"],
                            notes=report.notes)
    pts["_pwc_lon"], pts["_pwc_lat"] = xy[:, 0], xy[:, 1]
    pts = pts.set_geometry(cells.values)
    report.notes.append(f"{len(pts)} areas drawn from their centroids (Voronoi cells clipped "
                        "to the boundary): their shapes are approximate")
    return pd.concat([pts, gdf[~ok.to_numpy()]]), region


def _area_row(gdf, k: int, code_col, name_col, level, bad: BadRows,
              notes: list) -> dict | None:
    """Feature ``k`` (0-based position) as an area record, or None with its error added to
    ``bad`` (named by the file's row)."""
    i = int(gdf["_filerow"].iloc[k])
    code = gdf["_code"].iloc[k]
    geom = gdf.geometry.iloc[k]
    if not code:
        bad.add(i, code_col, "the area code is blank")
        return None
    if not model.AREA_CODE_RE.match(code):
        bad.add(i, code_col, f"'{code}' is not an ONS area code (e.g. E01006074)")
        return None
    lv = level or level_of(code)
    if lv is None:
        bad.add(i, code_col, f"cannot tell the level of '{code}' from its prefix; give "
                             "--level")
        return None
    if geom is None or geom.is_empty:
        bad.add(i, "geometry", "geometry is empty")
        return None
    geom, note, error = repaired(geom, f"area '{code}' (row {i})")
    if error:
        bad.add(i, "geometry", error)
        return None
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        bad.add(i, "geometry", f"geometry is a {geom.geom_type}, not a polygon")
        return None
    if note:
        notes.append(note)
    name = gdf[name_col].iloc[k] if name_col else None
    if invisible_only(name):
        bad.add(i, name_col, "the area name is only invisible characters (zero-width "
                             "spaces)")
        return None
    name = str(name).strip() if name is not None and str(name).strip() not in ("", "nan") \
        else code
    return {"code": code, "name": name, "level": lv, "geometry": geom, "_row": i}


def _merge_duplicates(out: gpd.GeoDataFrame, report: ImportReport) -> gpd.GeoDataFrame:
    """The same code in several pieces: merge them into one multipolygon."""
    dup = out["code"].duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        report.notes.append(f"area '{out['code'].iloc[i]}' appears in several features; "
                            "their polygons were merged")
        out = out.dissolve(by="code", aggfunc="first", as_index=False)
    return out


def _add_parents(out: gpd.GeoDataFrame, src) -> None:
    """Fill parent_code / parent_name from columns in the file (``src``, with the file row
    of each feature in ``_filerow``; ``out["_row"]`` names it)."""
    out["parent_code"] = None
    out["parent_name"] = None
    by_row = src.set_index("_filerow")
    for lv in out["level"].unique():
        pc, pn = _parent_columns(src, lv)
        if pc is None:
            continue
        idx = out.index[out["level"] == lv]
        rows_src = out.loc[idx, "_row"].to_numpy()
        out.loc[idx, "parent_code"] = [_s(by_row[pc].get(j)) for j in rows_src]
        if pn is not None:
            out.loc[idx, "parent_name"] = [_s(by_row[pn].get(j)) for j in rows_src]


def _s(v):
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    s = str(v).strip()
    return s or None


def import_boundaries(store, path, *, code_column=None, name_column=None, la=None,
                      level=None, replace: bool = False, skip_bad: bool = False,
                      clip=None) -> ImportReport:
    """Read a boundary (or centroid) file and write its areas in one transaction.

    ``clip``: a boundary file (or an EPSG:27700 polygon) that areas drawn from centroids
    are clipped to; without it, the store's outline from an earlier import, else the
    points' buffered hull (with a warning). ``la`` also names the store's place."""
    report = ImportReport("boundaries", str(path))
    if level is not None and level not in model.AREA_LEVELS:
        raise InputError(f"level must be one of {', '.join(model.AREA_LEVELS)}", field="level")
    la_lookup, la_names = _lookup_las(store) if la else (None, None)
    region = read_clip(clip, la=la) if clip is not None and not hasattr(clip, "geom_type") \
        else clip
    if region is None:
        region = centroids.load_outline(store)
    exclude = _real_polygons(store)
    areas = read_boundaries(path, code_column=code_column, name_column=name_column, la=la,
                            level=level, skip_bad=skip_bad, report=report, la_lookup=la_lookup,
                            clip=region, exclude=exclude, la_names=la_names)
    with store.transaction() as conn:
        _write_boundaries(store, conn, areas, replace, str(path), report)
    return report


def _write_boundaries(store, conn, areas, replace: bool, file: str, report) -> None:
    """Write the areas read from one file, then what follows from them: the place's name,
    the outline, redrawn approximate cells, centroids from postcodes, ward parents."""
    existing = store.read_areas(level=None, conn=conn)
    if areas["approximate_geometry"].any() and len(existing):
        real = set(existing.loc[~existing["approximate_geometry"].astype(bool), "code"])
        kept = areas["code"].isin(real)
        if kept.any():
            report.notes.append(f"{int(kept.sum())} areas already have a real boundary, kept "
                                "instead of a shape drawn from the centroid")
            areas = areas[~kept.to_numpy()]
    areas = merge_existing(store, conn, areas)
    n = store.write_areas(areas, replace=replace, conn=conn, file=file)
    report.add("areas", n)
    for lv in sorted(set(areas["level"])):
        report.notes.append(f"{int((areas['level'] == lv).sum())} {lv} areas")
    if not replace and not existing.empty:
        others = existing[existing["level"].isin(set(areas["level"])) &
                          ~existing["code"].isin(set(areas["code"]))]
        if len(others):
            report.notes.append(
                f"{len(others)} {'/'.join(sorted(set(others['level'])))} areas already in "
                "the store are not in this file and were kept (use --replace to remove them)")
    if areas.attrs.get("place"):
        code, name = areas.attrs["place"]
        set_place(store, conn, name=name, code=code)
        report.notes.append(f"the store's place is now {name}" + (f" ({code})" if code else ""))
    if areas.attrs.get("region") is not None:
        centroids.save_outline(store, conn, areas.attrs["region"])
    elif not areas["approximate_geometry"].any():
        centroids.retessellate(store, conn, set(areas["level"]), report.notes)
    refresh_centroids(store, conn, codes=list(areas["code"]))
    k = assign_parents(store, conn)
    if k:
        report.notes.append(f"{k} areas given the ward that holds their centroid as parent")


def _lookup_las(store) -> tuple[dict | None, dict | None]:
    """LSOA code -> LA code, and LA code -> LA name, from the stored ONS lookup."""
    from .indicators import load_lookup
    lk = load_lookup(store)
    if lk is None or "lad" not in lk:
        return None, None
    codes = dict(zip(lk["new"], lk["lad"])) | dict(zip(lk["old"], lk["lad"]))
    names = dict(zip(lk["lad"], lk["lad_name"])) if "lad_name" in lk else None
    return codes, names


def _real_polygons(store):
    """The union of the stored real (not approximate) LSOA polygons, EPSG:27700, or None."""
    areas = store.read_areas(level=None)
    real = areas[~areas["approximate_geometry"].astype(bool)] if len(areas) else areas
    real = real[real["level"].isin(["lsoa", "msoa"])] if len(real) else real
    if real.empty:
        return None
    return shapely.union_all(real.to_crs(ANALYSIS_CRS).geometry.values)


def read_clip(path, *, la=None):
    """The boundary in a file as one polygon (EPSG:27700): the features of authority ``la``
    when the file has several and says which, else the union of every polygon."""
    file = str(path)
    gdf = _to_storage_crs(_read_vector(path, file), file, [])
    gdf = gdf[gdf.geometry.notna() & gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if gdf.empty:
        raise InputError("the boundary file has no polygons", file=file, field="geometry")
    if la and len(gdf) > 1:
        key = str(la).strip().lower()
        hit = np.zeros(len(gdf), dtype=bool)
        for c in [c for c in gdf.columns if c != gdf.geometry.name]:
            hit |= gdf[c].astype(str).str.strip().str.lower().eq(key).to_numpy()
        if hit.any():
            gdf = gdf[hit]
    geom = shapely.union_all([repaired(g, "boundary")[0] for g in gdf.geometry])
    return gpd.GeoSeries([geom], crs=STORAGE_CRS).to_crs(ANALYSIS_CRS).iloc[0]

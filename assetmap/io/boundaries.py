"""Area boundaries: ONS LSOA / MSOA / ward / local authority polygons as GeoJSON, Shapefile
(.shp or zipped) or GeoPackage, in any CRS.

The code and name columns are detected (LSOA21CD/LSOA21NM, LSOA11CD, MSOA21CD, WD22CD,
LAD22CD, area_code/area_name, ...) or given; the level comes from the code's prefix (E01
LSOA, E02 MSOA, E05 ward, E06-E09 local authority; the Welsh W0x likewise). Areas are
stored in EPSG:4326. The population-weighted centroid is the polygon's representative
point until a postcode lookup is imported, then the centre of the area's postcodes (a
stand-in for where people live; see :func:`refresh_centroids`).
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
#: Minimum postcodes in an area before their centre replaces the representative point.
MIN_POSTCODES_FOR_CENTROID = 3


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


def _la_columns(gdf):
    """(code column, name column) of a local authority column, if the file has one."""
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    code = next((c for c in cols if re.match(r"^(lad|la|ltla|utla|ctyua)\d{2}cd$", str(c), re.I)),
                None) or find_col(cols, ["la_code", "lad_code", "local_authority_code"])
    name = None
    if code is not None:
        name = find_col(cols, [re.sub("cd$", "nm", code, flags=re.I),
                               re.sub("code$", "name", code, flags=re.I)])
    if name is None:
        name = find_col(cols, ["la_name", "lad_name", "local_authority_name"])
    return code, name


def _parent_columns(gdf, level):
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    if level in ("lsoa", "msoa"):
        wd = next((c for c in cols if re.match(r"^wd\d{2}cd$", str(c), re.I)), None) or \
            find_col(cols, ["ward_code"])
        if wd:
            nm = find_col(cols, [re.sub("cd$", "nm", wd, flags=re.I), "ward_name"])
            return wd, nm
    if level != "la":
        return _la_columns(gdf)
    return None, None


def _read_vector(path, file):
    p = check_file(path, kind="boundary file")
    if p.is_file() and p.suffix.lower() in (".csv", ".txt", ".xlsx", ".xls"):
        raise InputError("this is a table, not a boundary file (GeoJSON, Shapefile or "
                         "GeoPackage)", file=file)
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
                    la_lookup: dict | None = None) -> gpd.GeoDataFrame:
    """Areas ready for :meth:`Store.write_areas` (EPSG:4326, model.AREA_COLUMNS)."""
    file = str(path)
    report = report or ImportReport("boundaries", file)
    gdf = _read_vector(path, file)
    gdf = _to_storage_crs(gdf, file, report.notes)
    code_col = _detect_code_column(gdf, code_column, file)
    name_col = _detect_name_column(gdf, code_col, name_column, file)
    if name_col is None:
        report.notes.append("no name column found: codes are used as names")
    codes = gdf[code_col].astype(object).where(gdf[code_col].notna(), None)
    codes = codes.map(lambda v: None if v is None else str(v).strip().upper())
    gdf = gdf.assign(_code=codes)

    if la:
        gdf = _filter_la(gdf, la, name_col, file, la_lookup)

    bad = BadRows(file, skip_bad, report)
    rows = []
    for i in range(1, len(gdf) + 1):
        row = _area_row(gdf, i, code_col, name_col, level, bad)
        if row is not None:
            rows.append(row)
    bad.check()
    if not rows:
        raise InputError("no usable areas in the file", file=file)
    out = _merge_duplicates(gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_CRS),
                            report)
    _add_parents(out, gdf.reset_index(drop=True))
    rp = out.geometry.representative_point()
    out["pwc_lon"] = rp.x.round(6)
    out["pwc_lat"] = rp.y.round(6)
    for b in model.AGE_BANDS:
        out[b] = np.nan
    return out.drop(columns="_row").reset_index(drop=True)


def _area_row(gdf, i: int, code_col, name_col, level, bad: BadRows) -> dict | None:
    """Row ``i`` (1-based) as an area record, or None with its error added to ``bad``."""
    code = gdf["_code"].iloc[i - 1]
    geom = gdf.geometry.iloc[i - 1]
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
    geom = _polygonal(geom)
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        bad.add(i, "geometry", f"geometry is a {geom.geom_type}, not a polygon")
        return None
    name = gdf[name_col].iloc[i - 1] if name_col else None
    if invisible_only(name):
        bad.add(i, name_col, "the area name is only invisible characters (zero-width "
                             "spaces)")
        return None
    name = str(name).strip() if name is not None and str(name).strip() not in ("", "nan") \
        else code
    return {"code": code, "name": name, "level": lv, "geometry": geom, "_row": i}


def _polygonal(geom):
    """An invalid geometry made valid, keeping only its polygons when that splits it."""
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
        if geom.geom_type == "GeometryCollection":
            geom = shapely.union_all([g for g in geom.geoms
                                      if g.geom_type in ("Polygon", "MultiPolygon")])
    return geom


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
    """Fill parent_code / parent_name from columns in the file (``src``, rows 0-based)."""
    out["parent_code"] = None
    out["parent_name"] = None
    for lv in out["level"].unique():
        pc, pn = _parent_columns(src, lv)
        if pc is None:
            continue
        idx = out.index[out["level"] == lv]
        rows_src = out.loc[idx, "_row"].to_numpy() - 1
        out.loc[idx, "parent_code"] = [_s(src[pc].iloc[j]) for j in rows_src]
        if pn is not None:
            out.loc[idx, "parent_name"] = [_s(src[pn].iloc[j]) for j in rows_src]


def _s(v):
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    s = str(v).strip()
    return s or None


def _filter_la(gdf, la, name_col, file, la_lookup):
    la_s = str(la).strip()
    la_code, la_name = _la_columns(gdf)
    if model.AREA_CODE_RE.match(la_s.upper()):
        la_u = la_s.upper()
        if la_code is not None:
            keep = gdf[la_code].astype(str).str.strip().str.upper() == la_u
        elif la_lookup:
            keep = gdf["_code"].map(lambda c: la_lookup.get(c) == la_u or c == la_u)
        elif (gdf["_code"] == la_u).any():
            keep = gdf["_code"] == la_u
        else:
            raise InputError("the file has no local authority code column to filter on; give "
                             "--la the authority's name instead (e.g. 'Trafford')",
                             file=file, field="la")
    else:
        key = la_s.lower()
        keep = pd.Series(False, index=gdf.index)
        if name_col is not None:
            keep |= gdf[name_col].astype(str).str.strip().str.lower().str.startswith(key)
        if la_name is not None:
            keep |= gdf[la_name].astype(str).str.strip().str.lower() == key
    keep = keep.fillna(False).astype(bool)
    if not keep.any():
        raise InputError(f"no area in the file belongs to local authority '{la}'", file=file,
                         field="la")
    return gdf[keep.to_numpy()].copy()


def _merge_existing(store, conn, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Keep what other imports put on an area (population, parent) when its boundary is
    imported again."""
    old = store.read_areas(level=None, codes=list(areas["code"]), conn=conn)
    if old.empty:
        return areas
    old = old.set_index("code")
    out = areas.copy()
    for col in list(model.AGE_BANDS) + ["parent_code", "parent_name", "pwc_lon", "pwc_lat"]:
        prev = out["code"].map(old[col]) if col in old else None
        if prev is None:
            continue
        if col in ("pwc_lon", "pwc_lat"):
            continue  # recomputed below from postcodes where they exist
        cur = out[col]
        out[col] = cur.where(cur.notna(), prev)
    return out


def assign_parents(store, conn) -> int:
    """Give LSOAs/MSOAs without a parent ward the ward holding their centroid, when wards
    are stored. Returns how many areas changed."""
    areas = store.read_areas(level=None, conn=conn)
    wards = areas[areas["level"] == "ward"]
    if wards.empty:
        return 0
    ward_codes = set(wards["code"])
    small = areas[areas["level"].isin(["lsoa", "msoa"])]
    small = small[~small["parent_code"].isin(ward_codes)]
    if small.empty:
        return 0
    pts = gpd.GeoDataFrame(small[["code"]], geometry=gpd.points_from_xy(
        small["pwc_lon"].fillna(small.geometry.representative_point().x),
        small["pwc_lat"].fillna(small.geometry.representative_point().y)), crs=STORAGE_CRS)
    j = gpd.sjoin(pts, wards[["code", "name", "geometry"]].rename(
        columns={"code": "w_code", "name": "w_name"}), predicate="within", how="inner")
    j = j[~j.index.duplicated()]
    if j.empty:
        return 0
    upd = small.loc[j.index].copy()
    upd["parent_code"] = j["w_code"].values
    upd["parent_name"] = j["w_name"].values
    store.write_areas(upd, conn=conn, file="ward parents")
    return len(upd)


def refresh_centroids(store, conn, codes=None) -> int:
    """Population-weighted centroids from the stored postcodes: the mean of an area's
    postcode points (postcodes follow addresses, so they weigh by where people live), or
    the postcode nearest that mean when the mean falls outside the polygon. Areas with
    fewer than MIN_POSTCODES_FOR_CENTROID postcodes keep their representative point."""
    areas = store.read_areas(level=None, codes=codes, conn=conn)
    if areas.empty:
        return 0
    pcs = store.postcodes_within(areas.total_bounds, conn=conn)
    if pcs.empty:
        return 0
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(pcs.lon, pcs.lat), crs=STORAGE_CRS)
    j = gpd.sjoin(pts, areas[["code", "geometry"]], predicate="within", how="inner")
    if j.empty:
        return 0
    j["x"] = j.geometry.x
    j["y"] = j.geometry.y
    changed = []
    geoms = areas.set_index("code").geometry
    for code, grp in j.groupby("code"):
        if len(grp) < MIN_POSTCODES_FOR_CENTROID:
            continue
        mx, my = grp["x"].mean(), grp["y"].mean()
        if not shapely.contains_xy(geoms[code], mx, my):
            k = int(np.argmin((grp["x"] - mx) ** 2 + (grp["y"] - my) ** 2))
            mx, my = grp["x"].iloc[k], grp["y"].iloc[k]
        changed.append((code, round(float(mx), 6), round(float(my), 6)))
    if not changed:
        return 0
    upd = areas.set_index("code").loc[[c for c, _, _ in changed]].reset_index()
    upd["pwc_lon"] = [x for _, x, _ in changed]
    upd["pwc_lat"] = [y for _, _, y in changed]
    store.write_areas(gpd.GeoDataFrame(upd, geometry="geometry", crs=STORAGE_CRS), conn=conn,
                      file="centroids")
    return len(changed)


def import_boundaries(store, path, *, code_column=None, name_column=None, la=None,
                      level=None, replace: bool = False, skip_bad: bool = False) -> ImportReport:
    """Read a boundary file and write its areas in one transaction."""
    report = ImportReport("boundaries", str(path))
    if level is not None and level not in model.AREA_LEVELS:
        raise InputError(f"level must be one of {', '.join(model.AREA_LEVELS)}", field="level")
    from .indicators import load_lookup
    la_lookup = None
    if la and model.AREA_CODE_RE.match(str(la).upper()):
        lk = load_lookup(store)
        if lk is not None and "lad" in lk:
            la_lookup = dict(zip(lk["new"], lk["lad"])) | dict(zip(lk["old"], lk["lad"]))
    areas = read_boundaries(path, code_column=code_column, name_column=name_column, la=la,
                            level=level, skip_bad=skip_bad, report=report, la_lookup=la_lookup)
    with store.transaction() as conn:
        areas = _merge_existing(store, conn, areas)
        existing = store.read_areas(level=None, conn=conn)
        n = store.write_areas(areas, replace=replace, conn=conn, file=str(path))
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
        refresh_centroids(store, conn, codes=list(areas["code"]))
        k = assign_parents(store, conn)
        if k:
            report.notes.append(f"{k} areas given the ward that holds their centroid as parent")
    return report

"""Postcode -> point lookup for offline geocoding.

Recognised layouts:

* ONS Postcode Directory (ONSPD / NSPL): ``pcds`` (or ``pcd``/``pcd7``/``pcd8``), ``lat``,
  ``long``, and an LSOA column (``lsoa21cd``/``lsoa21``, else ``lsoa11cd``/``lsoa11``);
  postcodes without a grid reference (lat 99.999999) are left out;
* OS Code-Point Open: the per-area CSVs without a header (postcode, quality, eastings,
  northings, ...) or with the documented header (``Postcode, Eastings, Northings``);
* simple tables such as Trafford Data Lab's ``postcode, lon, lat, lsoa_code``.

When areas are stored, only postcodes within 5 km of them are kept (so the national ONSPD
file can be given as is), each postcode's area is the stored LSOA holding it where the file
does not name a stored one, and the areas' population-weighted centroids are refreshed.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import model
from ..errors import InputError
from ..projection import to_lonlat
from ..settings import STORAGE_CRS
from .boundaries import refresh_centroids
from .common import BadRows, ImportReport, check_file, find_col, read_table, sniff_binary

#: Keep postcodes this far (degrees, about 5 km) around the stored areas' bounding box.
MARGIN_DEG = 0.07
CHUNK = 200_000
CODEPOINT_COLUMNS = ["Postcode", "Positional_quality_indicator", "Eastings", "Northings",
                     "Country_code", "NHS_regional_HA_code", "NHS_HA_code",
                     "Admin_county_code", "Admin_district_code", "Admin_ward_code"]


def _headerless_codepoint(path) -> bool:
    with open(path, "rb") as f:
        first = f.readline().decode("utf-8-sig", "replace").strip()
    cells = [c.strip().strip('"') for c in first.split(",")]
    return len(cells) >= 4 and bool(model.POSTCODE_RE.match(
        model.normalise_postcode(cells[0]) or "")) and cells[2].isdigit()


def _columns(cols, file):
    pc = find_col(cols, ["pcds", "postcode", "pcd", "pcd7", "pcd8", "Postcode", "post_code"])
    if pc is None:
        raise InputError("cannot find a postcode column (pcds, postcode, ...)", file=file,
                         field="postcode")
    lat = find_col(cols, ["lat", "latitude"])
    lon = find_col(cols, ["long", "lon", "lng", "longitude"])
    east = find_col(cols, ["Eastings", "oseast1m", "easting", "x"])
    north = find_col(cols, ["Northings", "osnrth1m", "northing", "y"])
    if not (lat and lon) and not (east and north):
        raise InputError("cannot find coordinates: need lat and long (ONSPD) or Eastings and "
                         "Northings (Code-Point Open)", file=file, field="lat")
    area = find_col(cols, ["lsoa21cd", "lsoa21", "lsoa_code", "lsoa21_code", "lsoa11cd",
                           "lsoa11", "area_code"])
    return pc, lat, lon, east, north, area


def read_postcodes(path, *, bbox=None, skip_bad=False, report=None) -> pd.DataFrame:
    """postcode, lon, lat, area_code (as in the file) for the rows inside ``bbox``."""
    file = str(path)
    report = report or ImportReport("postcodes", file)
    chunks = _open_chunks(path, file)
    to_ll = to_lonlat()
    bad = BadRows(file, skip_bad, report)
    out = []
    offset = 0
    no_grid = outside = 0
    try:
        for chunk in chunks:
            chunk.columns = [str(c).strip() for c in chunk.columns]
            cols = _columns(chunk.columns, file)
            first = offset
            offset += len(chunk)
            part, k_grid, k_out = _read_chunk(chunk, cols, first, bbox, to_ll, bad)
            no_grid += k_grid
            outside += k_out
            if part is not None:
                out.append(part)
    except InputError:
        raise
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as e:
        raise InputError(f"malformed or truncated CSV near row {offset}: "
                         f"{str(e).splitlines()[0][:200]}", file=file, row=offset or None) \
            from None
    bad.check()
    return _finish(out, no_grid, outside, report, file)


def _open_chunks(path, file):
    """The file's frames of strings, in chunks (an XLSX sheet as one)."""
    p = check_file(path, kind="postcode file")
    if not str(p).lower().endswith((".gz", ".zip", ".bz2")):
        what = sniff_binary(p)
        if what:
            raise InputError(f"this is {what}, not a postcode CSV", file=file)
    names = CODEPOINT_COLUMNS if _headerless_codepoint(p) else None
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        return [read_table(p, kind="postcode file")]
    return read_table(p, kind="postcode file", chunksize=CHUNK, names=names)


def _chunk_lonlat(chunk, cols, to_ll):
    """(lon, lat arrays, lon column, lat column, rows without a grid reference)."""
    _pc, lat, lon, east, north, _area = cols
    if lat and lon:
        x = pd.to_numeric(chunk[lon].str.strip(), errors="coerce").to_numpy()
        y = pd.to_numeric(chunk[lat].str.strip(), errors="coerce").to_numpy()
        return x, y, lon, lat, (y > 99) | ((x == 0) & (y == 0))
    e = pd.to_numeric(chunk[east].str.strip(), errors="coerce").to_numpy()
    nn = pd.to_numeric(chunk[north].str.strip(), errors="coerce").to_numpy()
    nogrid = (e == 0) & (nn == 0)
    x, y = to_ll.transform(e, nn)
    return np.asarray(x), np.asarray(y), east, north, nogrid


def _read_chunk(chunk, cols, first: int, bbox, to_ll, bad: BadRows):
    """(frame of the chunk's usable postcodes or None, rows without a grid reference, rows
    outside ``bbox``); file rows are numbered from ``first`` + 1."""
    pc, _lat, _lon, _east, _north, area = cols
    rows = np.arange(first + 1, first + len(chunk) + 1)
    codes = chunk[pc].map(model.normalise_postcode)
    x, y, xcol, ycol, nogrid = _chunk_lonlat(chunk, cols, to_ll)
    no_grid = int(np.nansum(nogrid))
    ok = ~nogrid
    for k in np.flatnonzero(ok):
        c = codes.iloc[k]
        if not c or not model.POSTCODE_RE.match(c):
            bad.add(int(rows[k]), pc, f"'{chunk[pc].iloc[k]}' is not a postcode")
            ok[k] = False
        elif not np.isfinite(x[k]) or not np.isfinite(y[k]):
            bad.add(int(rows[k]), ycol if not np.isfinite(y[k]) else xcol,
                    "the coordinate is not a number")
            ok[k] = False
        elif not (-9.0 <= x[k] <= 2.5 and 49.0 <= y[k] <= 61.5):
            bad.add(int(rows[k]), xcol, f"({x[k]:.5g}, {y[k]:.5g}) is outside the "
                                        "United Kingdom (wrong columns or CRS?)")
            ok[k] = False
    outside = 0
    if bbox is not None:
        x0, y0, x1, y1 = bbox
        near = (x >= x0 - MARGIN_DEG) & (x <= x1 + MARGIN_DEG) & \
            (y >= y0 - MARGIN_DEG) & (y <= y1 + MARGIN_DEG)
        outside = int((ok & ~near).sum())
        ok &= near
    if not ok.any():
        return None, no_grid, outside
    return pd.DataFrame({
        "postcode": codes.to_numpy()[ok], "lon": np.round(x[ok], 6),
        "lat": np.round(y[ok], 6),
        "area_code": (chunk[area].str.strip().str.upper().to_numpy()[ok]
                      if area else None)}), no_grid, outside


def _finish(out: list, no_grid: int, outside: int, report: ImportReport,
            file: str) -> pd.DataFrame:
    """The chunks as one frame: notes on what was left out, unknown area codes blanked,
    repeated postcodes dropped."""
    if no_grid:
        report.notes.append(f"{no_grid} postcodes without a grid reference left out")
    if outside:
        report.notes.append(f"{outside} postcodes more than ~5 km from the stored areas left out")
    if not out:
        raise InputError("no usable postcodes in the file" +
                         (" near the stored areas" if outside else ""), file=file)
    df = pd.concat(out, ignore_index=True)
    df["area_code"] = df["area_code"].where(df["area_code"].astype(str).str.match(
        model.AREA_CODE_RE), None)
    dup = df["postcode"].duplicated(keep="first")
    if dup.any():
        report.notes.append(f"{int(dup.sum())} repeated postcodes: the first of each kept")
        df = df[~dup]
    return df.reset_index(drop=True)


def _assign_areas(df, store, conn) -> pd.DataFrame:
    import geopandas as gpd
    areas = store.read_areas(level="lsoa", conn=conn)
    if areas.empty:
        return df
    known = set(areas["code"])
    need = ~df["area_code"].isin(known)
    if not need.any():
        return df
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(df.loc[need, "lon"], df.loc[need, "lat"]),
                           index=df.index[need], crs=STORAGE_CRS)
    j = gpd.sjoin(pts, areas[["code", "geometry"]], predicate="within", how="inner")
    j = j[~j.index.duplicated()]
    df = df.copy()
    df.loc[j.index, "area_code"] = j["code"].values
    return df


def import_postcodes(store, path, *, skip_bad: bool = False) -> ImportReport:
    report = ImportReport("postcodes", str(path))
    areas = store.read_areas(level=None)
    bbox = None if areas.empty else tuple(areas.total_bounds)
    df = read_postcodes(path, bbox=bbox, skip_bad=skip_bad, report=report)
    with store.transaction() as conn:
        df = _assign_areas(df, store, conn)
        report.add("postcodes", store.write_postcodes(df, conn=conn))
        k = refresh_centroids(store, conn)
        if k:
            report.notes.append(f"population-weighted centroids of {k} areas set from their "
                                "postcodes")
    return report

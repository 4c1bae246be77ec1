"""Areas from centroids: when a place has only points for its LSOAs (the ONS
population-weighted centroids, the label points of the BSC boundary table), each area is
drawn as the Voronoi cell of its point, clipped to the authority's boundary, and flagged
``approximate_geometry`` so every map and export says the shapes are estimates.

* :func:`read_point_table` reads a points table (CSV/XLSX with a code column and LONG/LAT,
  lat/lon, BNG_E/BNG_N or x/y) as points in EPSG:4326;
* :func:`cells` tessellates points inside a region (a boundary, or the points' convex hull
  grown by ``settings.CENTROID_HULL_BUFFER_M`` with a warning), leaving out the ground real
  polygons already cover;
* :func:`retessellate` redraws the approximate areas of a store after real polygons came
  in for some of them (their indicators and population are kept: areas are updated by
  code), so cells never overlap the real boundaries.

The cell of a point is the ground nearer to it than to any other point: an estimate, fair
where LSOAs are compact, poor along rivers and main roads that real boundaries follow.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import settings
from ..errors import InputError
from ..settings import ANALYSIS_CRS, STORAGE_CRS
from .common import find_col, read_table

#: Store blob holding the region the cells were clipped to (WKB, EPSG:27700).
OUTLINE_BLOB = "area_outline"
#: (x column, y column, CRS) candidates, most specific first.
_XY_COLUMNS = [(["LONG", "long", "lon", "longitude", "LON", "Longitude"],
                ["LAT", "lat", "latitude", "Latitude"], STORAGE_CRS),
               (["BNG_E", "easting", "Easting", "X_COORD"], ["BNG_N", "northing", "Northing",
                                                           "Y_COORD"], ANALYSIS_CRS),
               (["x", "X"], ["y", "Y"], None)]
#: Cells of points outside the region get a disc this big (metres) instead.
_STRAY_RADIUS_M = 200.0


def point_columns(columns) -> tuple[str, str, str | None] | None:
    """(x column, y column, CRS) of a points table, or None. ``x``/``y`` are British
    National Grid when their values are large, longitude/latitude otherwise (decided later
    from the values: CRS None here)."""
    for xs, ys, crs in _XY_COLUMNS:
        x, y = find_col(columns, xs), find_col(columns, ys)
        if x is not None and y is not None:
            return x, y, crs
    return None


def read_point_table(path, file) -> gpd.GeoDataFrame | None:
    """A centroid table as points (EPSG:4326) with its other columns, or None when the
    table has no coordinate columns. Rows without coordinates are refused by row."""
    df = read_table(path, kind="centroid table")
    cols = point_columns(df.columns)
    if cols is None:
        return None
    return points_from_frame(df, cols, file)


def points_from_frame(df: pd.DataFrame, cols, file) -> gpd.GeoDataFrame:
    """``df`` as points from its coordinate columns ``cols`` (see :func:`point_columns`)."""
    xcol, ycol, crs = cols
    x = pd.to_numeric(df[xcol].astype(str).str.replace(",", ""), errors="coerce")
    y = pd.to_numeric(df[ycol].astype(str).str.replace(",", ""), errors="coerce")
    bad = np.flatnonzero((x.isna() | y.isna()).to_numpy())
    if len(bad):
        i = int(bad[0])
        raise InputError(f"'{df[xcol].iloc[i]}, {df[ycol].iloc[i]}' are not coordinates",
                         file=file, row=int(df.index[i]) + 1, field=xcol)
    if crs is None:
        crs = ANALYSIS_CRS if float(x.abs().max()) > 1000 else STORAGE_CRS
    pts = gpd.GeoDataFrame(df.drop(columns=[xcol, ycol]),
                           geometry=gpd.points_from_xy(x, y), crs=crs)
    return pts.to_crs(STORAGE_CRS)


def hull_region(points_bng: np.ndarray, notes: list) -> shapely.Geometry:
    """The convex hull of the points grown by ``settings.CENTROID_HULL_BUFFER_M``, with a
    warning (the authority's real edge is unknown)."""
    hull = shapely.convex_hull(shapely.multipoints(points_bng))
    notes.append("warning: no boundary given, so the area shapes are clipped to the "
                 f"centroids' outline grown by {settings.CENTROID_HULL_BUFFER_M:g} m; give the "
                 "authority's boundary (--clip / --boundary FILE) for a true edge")
    return hull.buffer(settings.CENTROID_HULL_BUFFER_M)


def cells(points: gpd.GeoDataFrame, region=None, *, exclude=None, codes=None,
          notes: list | None = None) -> gpd.GeoSeries:
    """The Voronoi cell of each point (EPSG:4326, in the points' order), clipped to
    ``region`` (a polygon in EPSG:27700; the buffered hull when None) minus ``exclude``
    (ground real polygons cover, EPSG:27700). ``codes`` name the points in notes."""
    notes = notes if notes is not None else []
    codes = list(codes) if codes is not None else [str(i + 1) for i in range(len(points))]
    xy = np.column_stack([points.to_crs(ANALYSIS_CRS).geometry.x,
                          points.to_crs(ANALYSIS_CRS).geometry.y])
    _check_distinct(xy, codes)
    region = hull_region(xy, notes) if region is None else shapely.make_valid(region)
    if exclude is not None and not exclude.is_empty:
        region = region.difference(exclude)
    raw = _voronoi(xy, region)
    out = []
    for k, cell in enumerate(raw):
        piece = _polygons(cell.intersection(region))
        if piece.is_empty:
            notes.append(f"area '{codes[k]}': its centroid lies outside the boundary (or "
                         f"inside a real polygon); drawn as a {_STRAY_RADIUS_M:g} m disc")
            piece = shapely.Point(xy[k]).buffer(_STRAY_RADIUS_M)
        out.append(piece)
    return gpd.GeoSeries(out, crs=ANALYSIS_CRS).to_crs(STORAGE_CRS)


def _check_distinct(xy: np.ndarray, codes: list) -> None:
    keys = pd.Series([f"{x:.1f},{y:.1f}" for x, y in xy])
    dup = keys.duplicated(keep=False)
    if dup.any():
        both = [codes[i] for i in np.flatnonzero(dup.to_numpy())[:2]]
        raise InputError(f"areas {both[0]} and {both[1]} have the same centroid: cannot draw "
                         "their shapes apart", field="geometry")


def _voronoi(xy: np.ndarray, region) -> list:
    """Voronoi cells of the points, in their order, covering the region's extent."""
    if len(xy) == 1:
        return [region]
    x0, y0, x1, y1 = shapely.total_bounds([region, shapely.multipoints(xy)])
    pad = max(x1 - x0, y1 - y0)
    frame = shapely.box(x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    got = shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=frame, ordered=True)
    return list(got.geoms)


def _polygons(geom):
    """The polygonal part of a geometry (intersections can leave lines and points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


# --- the store's outline and redrawing ---------------------------------------------------------
def save_outline(store, conn, region) -> None:
    """Keep the region cells were clipped to, for redrawing them later."""
    store.put_blob(OUTLINE_BLOB, shapely.to_wkb(region), conn=conn)


def load_outline(store, conn=None):
    blob = store.get_blob(OUTLINE_BLOB, conn=conn)
    return None if blob is None else shapely.from_wkb(bytes(blob[0]))


def retessellate(store, conn, levels, notes: list) -> int:
    """Redraw the approximate areas of ``levels`` around the real polygons now stored (the
    areas keep their codes, so their indicators and population stay); how many changed."""
    areas = store.read_areas(level=None, conn=conn)
    areas = areas[areas["level"].isin(set(levels))]
    approx = areas[areas["approximate_geometry"].astype(bool)]
    real = areas[~areas["approximate_geometry"].astype(bool)]
    if approx.empty or real.empty:
        return 0
    outline = load_outline(store, conn)
    if outline is None:
        outline = shapely.union_all(areas.to_crs(ANALYSIS_CRS).geometry.values)
    exclude = shapely.union_all(real.to_crs(ANALYSIS_CRS).geometry.values)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(approx["pwc_lon"], approx["pwc_lat"]),
                           crs=STORAGE_CRS)
    new = cells(pts, outline, exclude=exclude, codes=approx["code"], notes=notes)
    upd = approx.copy()
    upd = gpd.GeoDataFrame(upd.drop(columns=upd.geometry.name), geometry=new.values,
                           crs=STORAGE_CRS)
    store.write_areas(upd, conn=conn, file="approximate areas redrawn")
    notes.append(f"{len(upd)} approximate area shapes redrawn around the {len(real)} real "
                 "boundaries")
    return len(upd)

"""Invalid polygons (self-intersections, bow-ties, spikes, rings the wrong way round) are
repaired with shapely's ``make_valid`` and the import says so for each feature, naming it
and what was done; a polygon that cannot be repaired into a polygon is refused. Never
repaired silently."""
from __future__ import annotations

import shapely

from ..settings import ANALYSIS_CRS, STORAGE_CRS

#: A repair that changes a polygon's area by more than this share is reported as such
#: (kept, but the note says how much it changed).
AREA_CHANGE_NOTE = 0.01


def repaired(geom, label: str) -> tuple:
    """(geometry, note, error): a valid geometry as it is; an invalid one made valid (its
    polygons kept) with a note saying why it was invalid and what the repair did; or an
    error message when nothing polygonal is left."""
    if geom is None or geom.is_empty or geom.is_valid:
        return geom, None, None
    reason = shapely.is_valid_reason(geom)
    fixed = shapely.make_valid(geom)
    if fixed.geom_type == "GeometryCollection":
        parts = [g for g in fixed.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        fixed = shapely.union_all(parts) if parts else shapely.Polygon()
    if fixed.is_empty or fixed.geom_type not in ("Polygon", "MultiPolygon"):
        return geom, None, (f"the polygon is invalid ({reason}) and cannot be repaired into "
                            "a polygon")
    return fixed, f"{label}: invalid polygon ({reason}) repaired: {_what(geom, fixed)}", None


def _what(before, after) -> str:
    """What a repair did, in words: parts, and the change of area."""
    n0 = len(getattr(before, "geoms", [before]))
    n1 = len(getattr(after, "geoms", [after]))
    parts = f"now {n1} part{'s' if n1 != 1 else ''}" + (f" (was {n0})" if n1 != n0 else "")
    a0 = _area_m2(shapely.buffer(before, 0))        # the area the file's polygon seems to mean
    a1 = _area_m2(after)
    if a0 > 0 and abs(a1 - a0) / a0 > AREA_CHANGE_NOTE:
        return f"{parts}, area {a0 / 1e6:.3f} -> {a1 / 1e6:.3f} km²"
    return f"{parts}, area {a1 / 1e6:.3f} km²"


def _area_m2(geom) -> float:
    """Area in square metres of a geometry in EPSG:4326 (through British National Grid)."""
    import geopandas as gpd
    if geom is None or geom.is_empty:
        return 0.0
    return float(gpd.GeoSeries([geom], crs=STORAGE_CRS).to_crs(ANALYSIS_CRS).area.iloc[0])

"""Reach: which places a provider can serve.

CONTRACT (owned by the reach work; referral, supply, gaps, outreach and the area profile read
it as is, so that they give the same answer for the same place):

    reach_mode(provider_row) -> "venue" | "visits" | "both"
        the record's ``reach``, else by service type (model.VISITING_SERVICE_TYPES)
    coverage(providers, areas) -> np.ndarray (bool, providers x areas)
        for providers that visit: the areas their area served covers (``area_served`` codes,
        an ``area_served_geojson`` polygon, or ``radius_km`` around the base; an LSOA is
        covered when its population-weighted centre, else its representative point, is
        inside); False for venue-only providers
    covers_point(providers, lon, lat, area_code, *, parent_code=None) -> np.ndarray (bool)
        the same rule for one place (a person's postcode or map click); ``parent_code`` is
        the ward holding ``area_code``, so that a ward code in ``area_served`` covers it

Both take ``default_km`` (keyword): the radius of a visiting record that describes no area
served (``settings.REACH_DEFAULT_RADIUS_KM``; a run's ``reach_default_radius_km``).

``providers`` is a (Geo)DataFrame of provider assets as ``store.read_assets`` returns them
(points in any CRS, WGS84 as stored; provider columns); ``areas`` the store's LSOA frame
(with ``parent_code`` = ward code so ward codes in ``area_served`` cover their LSOAs).

Which description of the area served counts, most specific first: the list of area codes
(``area_served``: LSOA or ward codes), else the polygon (``area_served_geojson``), else the
circle of ``radius_km`` around the base, else ``settings.REACH_DEFAULT_RADIUS_KM``. A
home-based provider's base is its published grid-cell centre (the analysis and the pages
never see the home itself), so its circle is centred there too.
"""
from __future__ import annotations

import math
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from .. import model, settings
from ..projection import geoms_to_grid, to_grid


def reach_mode(row) -> str:
    given = str(row.get("reach") or "").strip()
    if given in model.REACH_MODES:
        return given
    types = set(model.split_list(row.get("service_types")))
    return "visits" if types and types <= set(model.VISITING_SERVICE_TYPES) else "venue"


def reach_modes(providers: pd.DataFrame) -> np.ndarray:
    """:func:`reach_mode` of every row (object array)."""
    return np.array([reach_mode(r) for r in providers.to_dict("records")], dtype=object)


def visits(providers: pd.DataFrame) -> np.ndarray:
    """True for the providers that come to people ("visits" or "both")."""
    return np.isin(reach_modes(providers), ("visits", "both"))


def at_venue(providers: pd.DataFrame) -> np.ndarray:
    """True for the providers people travel to ("venue" or "both")."""
    return np.isin(reach_modes(providers), ("venue", "both"))


# --- the area served, as recorded -------------------------------------------------------------
def served_codes(value) -> list[str]:
    """The area codes of an ``area_served`` cell (upper case, in order, no repeats)."""
    out: list[str] = []
    for c in model.split_list(value):
        c = c.upper()
        if c not in out:
            out.append(c)
    return out


@lru_cache(maxsize=4096)
def _polygon_bng(text: str):
    """The polygon of an ``area_served_geojson`` text in EPSG:27700 (None if unusable)."""
    try:
        geom = polygon_from_geojson(text)
    except ValueError:
        return None
    poly = geoms_to_grid(geom)
    shapely.prepare(poly)
    return poly


def polygon_from_geojson(text) -> shapely.Geometry:
    """A (Multi)Polygon from GeoJSON text (geometry, Feature or FeatureCollection, WGS84);
    ValueError in plain words for anything else (``model.area_served_polygon``)."""
    return model.area_served_polygon(text)


def served_by(row) -> str:
    """Which description of the area served counts for a record: "areas", "polygon" or
    "radius" (see the module notes)."""
    if served_codes(row.get("area_served")):
        return "areas"
    text = row.get("area_served_geojson")
    if isinstance(text, str) and text.strip() and _polygon_bng(text.strip()) is not None:
        return "polygon"
    return "radius"


def radius_km(row, default_km: float | None = None) -> float:
    """The record's radius_km, else ``default_km`` (``settings.REACH_DEFAULT_RADIUS_KM``)."""
    default = float(settings.REACH_DEFAULT_RADIUS_KM if default_km is None else default_km)
    try:
        f = float(row.get("radius_km"))
    except (TypeError, ValueError):
        return default
    return f if math.isfinite(f) and f > 0 else default


# --- coverage ------------------------------------------------------------------------------------
def _points_bng(gs: gpd.GeoSeries) -> np.ndarray:
    if not len(gs):
        return np.zeros((0, 2))
    g = gs.to_crs(settings.ANALYSIS_CRS) if gs.crs is not None else gs
    return np.column_stack([g.x.to_numpy(), g.y.to_numpy()])


def area_points(areas: pd.DataFrame) -> np.ndarray:
    """(n, 2) EPSG:27700 point of each area: its population-weighted centre, else its
    representative point."""
    geom = gpd.GeoSeries(areas.geometry, crs=getattr(areas, "crs", None) or settings.STORAGE_CRS)
    rep = _points_bng(geom.representative_point())
    lon = pd.to_numeric(areas.get("pwc_lon"), errors="coerce") if "pwc_lon" in areas else None
    lat = pd.to_numeric(areas.get("pwc_lat"), errors="coerce") if "pwc_lat" in areas else None
    if lon is None or lat is None:
        return rep
    lon, lat = lon.to_numpy(dtype=float), lat.to_numpy(dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    out = rep.copy()
    if ok.any():
        x, y = to_grid().transform(lon[ok], lat[ok])
        out[ok] = np.column_stack([x, y])
    return out


def coverage(providers: pd.DataFrame, areas: pd.DataFrame, *,
             default_km: float | None = None) -> np.ndarray:
    """Providers x areas: True where a visiting provider's area served covers the area
    (``default_km``: the radius of a record that gives none)."""
    n, m = len(providers), len(areas)
    out = np.zeros((n, m), dtype=bool)
    if not n or not m:
        return out
    rows = providers.to_dict("records")
    vis = visits(providers)
    pts = area_points(areas)
    base = _points_bng(providers.geometry)
    codes = areas["code"].astype(str).str.upper().to_numpy()
    parents = (areas["parent_code"].fillna("").astype(str).str.upper().to_numpy()
               if "parent_code" in areas else np.full(m, "", dtype=object))
    radius_rows = []
    for j in np.flatnonzero(vis):
        how = served_by(rows[j])
        if how == "areas":
            want = set(served_codes(rows[j].get("area_served")))
            out[j] = np.isin(codes, list(want)) | np.isin(parents, list(want))
        elif how == "polygon":
            poly = _polygon_bng(rows[j]["area_served_geojson"].strip())
            out[j] = shapely.contains_xy(poly, pts[:, 0], pts[:, 1])
        else:
            radius_rows.append(j)
    if radius_rows:
        tree = cKDTree(pts)
        radii = np.array([radius_km(rows[j], default_km) * 1000.0 for j in radius_rows])
        hits = tree.query_ball_point(base[radius_rows], radii)
        for j, hit in zip(radius_rows, hits):
            out[j, hit] = True
    return out


def covers_point(providers: pd.DataFrame, lon: float, lat: float, area_code: str | None,
                 *, parent_code: str | None = None, default_km: float | None = None
                 ) -> np.ndarray:
    """Per provider: True where it visits and its area served covers the place (lon, lat) in
    area ``area_code`` (ward ``parent_code``): the rule of :func:`coverage` for one place."""
    n = len(providers)
    out = np.zeros(n, dtype=bool)
    if not n:
        return out
    x, y = to_grid().transform(float(lon), float(lat))
    here = {str(c).upper() for c in (area_code, parent_code) if c}
    rows = providers.to_dict("records")
    base = _points_bng(providers.geometry)
    for j in np.flatnonzero(visits(providers)):
        how = served_by(rows[j])
        if how == "areas":
            out[j] = bool(here & set(served_codes(rows[j].get("area_served"))))
        elif how == "polygon":
            out[j] = bool(shapely.contains_xy(_polygon_bng(rows[j]["area_served_geojson"]
                                                           .strip()), x, y))
        else:
            out[j] = math.hypot(base[j, 0] - x, base[j, 1] - y) <= \
                radius_km(rows[j], default_km) * 1000.0
    return out


def describe(row, area_names: dict | None = None) -> str:
    """How a record reaches people, in words ("Comes to you: Eastgate, Ashbrook 014F";
    "Comes to you within 5 km of its base"; "At a venue")."""
    mode = reach_mode(row)
    if mode == "venue":
        return "At a venue"
    how = served_by(row)
    head = "Comes to you" if mode == "visits" else "At a venue and comes to you"
    if how == "areas":
        names = [(area_names or {}).get(c, c) for c in served_codes(row.get("area_served"))]
        shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        return f"{head}: {shown}"
    if how == "polygon":
        return f"{head} within the area it has drawn"
    return f"{head} within {radius_km(row):g} km of its base"

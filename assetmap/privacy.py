"""Never publish a home: approximate locations for home-based providers, and the fields a
public viewer may see.

Micro-providers often work from home. Wherever an asset leaves the store for a page, an
export, the API or a map, it goes through :func:`public_assets`, which moves home-based
providers to the centre of a ``settings.HOME_GRID_M`` grid cell (British National Grid),
drops their street address, and drops contact details the contributor did not publish.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from . import settings
from .projection import grid_xy, to_lonlat
from .settings import ANALYSIS_CRS, HOME_GRID_M, STORAGE_CRS

#: Fields never shown to the public for a home-based provider.
HOME_PRIVATE_FIELDS = ("address", "postcode")
#: Fields shown only when the contributor allowed it (contact_public).
CONTACT_FIELDS = ("contact",)
#: Internal bookkeeping never shown publicly.
INTERNAL_FIELDS = ("created_by", "updated_by")
#: Shown publicly only where the council publishes its preferred provider list
#: (``settings.PUBLISH_PREFERRED_LIST``); signed-in staff always see it.
PREFERRED_FIELD = "preferred_list"


def snap_to_grid(x: np.ndarray, y: np.ndarray, cell: float = HOME_GRID_M):
    """Centre of the grid cell (size ``cell`` metres) holding each projected point."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    return (np.floor(x / cell) + 0.5) * cell, (np.floor(y / cell) + 0.5) * cell


def approximate_location(points: gpd.GeoSeries, cell: float = HOME_GRID_M) -> gpd.GeoSeries:
    """Points moved to their grid-cell centres, in the input CRS."""
    gx, gy = snap_to_grid(*grid_xy(points), cell)
    if points.crs is None or points.crs == STORAGE_CRS:
        x, y = to_lonlat().transform(gx, gy)
        out = gpd.GeoSeries(gpd.points_from_xy(x, y), index=points.index, crs=STORAGE_CRS)
    else:
        out = gpd.GeoSeries(gpd.points_from_xy(gx, gy), index=points.index,
                            crs=ANALYSIS_CRS).to_crs(points.crs)
    none = (points.isna() | points.is_empty).to_numpy()
    if none.any():                                # no location stays no location
        out = out.copy()
        out.values[none] = points.values[none]      # None or empty in any CRS
    return out


def home_based(gdf: gpd.GeoDataFrame) -> pd.Series:
    """True for the records whose point is somebody's home."""
    if "home_based" not in gdf:
        return pd.Series(False, index=gdf.index)
    return gdf["home_based"].fillna(False).astype(bool)


def published_points(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The same records with every home moved to its grid-cell centre, fields untouched:
    what the analysis measures from, so that nothing computed from a home (walking minutes,
    E2SFCA, isochrones, distances) can be inverted to find it."""
    home = home_based(gdf)
    if not home.any():
        return gdf
    out = gdf.copy()
    out.loc[home, out.geometry.name] = approximate_location(out.geometry[home]).values
    return out


def public_assets(gdf: gpd.GeoDataFrame, *, private_ok: bool = False) -> gpd.GeoDataFrame:
    """What a viewer may see of these assets.

    ``private_ok`` (signed-in planners and coordinators) keeps contact details, internal
    fields and the preferred-list flag (public only with settings.PUBLISH_PREFERRED_LIST),
    but home locations are approximated for everyone: the exact point stays in the store
    for the moderator's own record only.
    """
    out = gdf.copy()
    if len(out) == 0:
        return out
    home = out["home_based"].fillna(False).astype(bool) if "home_based" in out else \
        pd.Series(False, index=out.index)
    if home.any():
        out.loc[home, out.geometry.name] = approximate_location(out.geometry[home]).values
        for f in HOME_PRIVATE_FIELDS:
            if f in out:
                out[f] = out[f].astype(object)
                out.loc[home, f] = None
        out["location_note"] = np.where(home, "Approximate location (home-based)", "")
    if not private_ok:
        if "contact_public" in out:
            hide = ~out["contact_public"].fillna(False).astype(bool)
            for f in CONTACT_FIELDS:
                if f in out:
                    out[f] = out[f].astype(object)
                    out.loc[hide, f] = None
        out = out.drop(columns=[c for c in INTERNAL_FIELDS if c in out])
        if not settings.PUBLISH_PREFERRED_LIST and PREFERRED_FIELD in out:
            out = out.drop(columns=[PREFERRED_FIELD])
    return out

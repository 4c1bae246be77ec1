"""What links a stored area to the rest of the store, kept up to date after each import:
what other imports put on it (population, parent) when its boundary comes again, the ward
that holds it, and its population-weighted centroid from the stored postcodes."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from .. import model
from ..settings import STORAGE_CRS

#: Minimum postcodes in an area before their centre replaces the representative point.
MIN_POSTCODES_FOR_CENTROID = 3


def merge_existing(store, conn, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
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

"""The demo's postcode file: several thousand invented postcodes (ONS-style, in the wards'
``AS<n>`` districts) tiling every area, plus every postcode a demo address uses, so that a
postcode typed into the referral finder or the directory is found out of the box.

Each area gets :data:`PER_AREA` points spread inside it (a fixed seed of its own); the
district is the one its ward's addresses use. A postcode printed on a published address sits
at that asset; home-based providers' postcodes are left out (their addresses are never
published, and a postcode placed at a home would find it).
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import model, privacy, settings

PER_AREA = 24
LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def _districts(areas: gpd.GeoDataFrame, assets: gpd.GeoDataFrame) -> dict[str, str]:
    """Ward code -> the postcode district (``AS<n>``) most of its addresses use."""
    wards = areas[areas["level"] == "ward"][["code", "geometry"]]
    pts = assets[assets["postcode"].notna()][["postcode", "geometry"]]
    hit = gpd.sjoin(pts, wards, how="inner", predicate="within")
    hit["district"] = hit["postcode"].str.split(" ").str[0]
    return hit.groupby("code")["district"].agg(lambda s: s.mode().iloc[0]).to_dict()


def _inside(rng, poly, n: int) -> list:
    minx, miny, maxx, maxy = poly.bounds
    out: list = []
    while len(out) < n:
        xy = rng.uniform([minx, miny], [maxx, maxy], size=(4 * n, 2))
        ok = shapely.contains_xy(poly, xy[:, 0], xy[:, 1])
        out += [tuple(p) for p in xy[ok]]
    return out[:n]


def postcode_frame(areas: gpd.GeoDataFrame, assets: gpd.GeoDataFrame,
                   seed: int = settings.DEMO_SEED) -> pd.DataFrame:
    """Columns postcode, lon, lat, area_code (``model`` POSTCODE_COLUMNS)."""
    rng = np.random.default_rng([seed, 9127])
    lsoas = areas[areas["level"] == "lsoa"].to_crs(settings.ANALYSIS_CRS)
    district = _districts(areas, assets)
    taken = {model.normalise_postcode(p) for p in assets["postcode"].dropna()}
    rows = []
    for a in lsoas.itertuples():
        d = district.get(a.parent_code)
        if d is None:
            continue
        for x, y in _inside(rng, a.geometry, PER_AREA):
            for _ in range(50):                      # a unit not used yet in the district
                pc = (f"{d} {int(rng.integers(1, 10))}{LETTERS[int(rng.integers(20))]}"
                      f"{LETTERS[int(rng.integers(20))]}")
                if pc not in taken:
                    break
            taken.add(pc)
            rows.append((pc, x, y, a.code))
    grid = gpd.GeoDataFrame(rows, columns=["postcode", "x", "y", "area_code"],
                            geometry=gpd.points_from_xy([r[1] for r in rows],
                                                        [r[2] for r in rows]),
                            crs=settings.ANALYSIS_CRS).to_crs(settings.STORAGE_CRS)
    out = pd.DataFrame({"postcode": grid["postcode"], "lon": grid.geometry.x,
                        "lat": grid.geometry.y, "area_code": grid["area_code"]})
    return pd.concat([out, _address_postcodes(areas, assets)], ignore_index=True)


def _address_postcodes(areas, assets) -> pd.DataFrame:
    pub = assets[assets["postcode"].notna() & ~privacy.home_based(assets)]
    lsoas = areas[areas["level"] == "lsoa"][["code", "geometry"]]
    hit = gpd.sjoin(pub[["postcode", "geometry"]], lsoas, how="left", predicate="within")
    hit = hit.drop_duplicates("postcode")
    return pd.DataFrame({"postcode": hit["postcode"].map(model.normalise_postcode),
                         "lon": hit.geometry.x, "lat": hit.geometry.y,
                         "area_code": hit["code"]})

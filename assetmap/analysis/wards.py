"""Wards: the run's per-area results gathered up to the wards (or other parent areas) they
belong to, for the ward ranking and ward profiles.

* population, residents aged 65+ and the number of areas are sums;
* the need index, loneliness risk and isolation score are means over the ward's areas
  weighted by their residents aged 65+ (the people the indices are about; an area without a
  value is left out of its ward's mean);
* gaps and hot spots are counts of the ward's areas that are gaps (all providers) or
  significant hot spots;
* social assets per 1,000 residents count the approved assets of the social categories
  inside the ward's boundary (``settings.SOCIAL_CATEGORIES``; home-based providers by their
  published grid-cell point).

Ranks: 1 = the ward with most need (``need_rank``), most isolation (``isolation_rank``).
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import settings

#: The ward table's columns, in order.
COLUMNS = ("ward_code", "ward_name", "areas", "population", "pop_65_plus", "need_index",
           "loneliness_risk", "isolation", "gaps", "hot_spots", "social_assets",
           "social_assets_per_1000", "need_rank", "isolation_rank")


def _weighted(group: pd.DataFrame, col: str) -> float:
    if col not in group:
        return float("nan")
    v = group[col].to_numpy(dtype=float)
    w = group["pop_65_plus"].to_numpy(dtype=float) if "pop_65_plus" in group else \
        np.ones(len(group))
    ok = ~np.isnan(v) & (w > 0)
    return float(np.average(v[ok], weights=w[ok])) if ok.any() else float("nan")


def _social_counts(assets: gpd.GeoDataFrame | None, wards: gpd.GeoDataFrame | None
                   ) -> pd.Series:
    if assets is None or wards is None or not len(assets) or not len(wards):
        return pd.Series(dtype=float)
    social = assets[assets["category"].isin(settings.SOCIAL_CATEGORIES)]
    if not len(social):
        return pd.Series(0.0, index=wards["code"])
    joined = gpd.sjoin(social[["geometry"]].to_crs(wards.crs),
                       wards[["code", "geometry"]], how="inner", predicate="within")
    return joined.groupby("code").size().reindex(wards["code"], fill_value=0).astype(float)


def _one(code, group: pd.DataFrame) -> dict:
    name = group["parent_name"].dropna()
    return {
        "ward_code": code, "ward_name": str(name.iloc[0]) if len(name) else str(code),
        "areas": int(len(group)),
        "population": float(np.nansum(group.get("population", pd.Series(dtype=float)))),
        "pop_65_plus": float(np.nansum(group.get("pop_65_plus", pd.Series(dtype=float)))),
        "need_index": _weighted(group, "need_index"),
        "loneliness_risk": _weighted(group, "loneliness_risk"),
        "isolation": _weighted(group, "isolation"),
        "gaps": int(group["is_gap"].fillna(False).astype(bool).sum()) if "is_gap" in group
        else 0,
        "hot_spots": int((group["gi_class"] == "hot").sum()) if "gi_class" in group else 0,
    }


def ward_table(areas: pd.DataFrame, assets: gpd.GeoDataFrame | None = None,
               wards: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """One row per ward (``COLUMNS``) from the run's ``areas`` frame (``parent_code`` and
    ``parent_name`` name the ward), the approved ``assets`` and the ``wards`` polygons."""
    a = areas[areas["parent_code"].notna()] if "parent_code" in areas else areas.iloc[0:0]
    rows = [_one(code, g) for code, g in a.groupby("parent_code", sort=True)]
    out = pd.DataFrame(rows, columns=list(COLUMNS[:10]))
    counts = _social_counts(assets, wards)
    out["social_assets"] = out["ward_code"].map(counts).astype(float) if len(counts) else \
        np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        out["social_assets_per_1000"] = np.where(
            out["population"] > 0, out["social_assets"] / out["population"] * 1000.0, np.nan)
    out["need_rank"] = out["need_index"].rank(ascending=False, method="min")
    out["isolation_rank"] = out["isolation"].rank(ascending=False, method="min")
    return out[list(COLUMNS)]

"""Gaps: need against supply, classed and ranked.

Each area gets a need class and a supply class by tertile (``settings.GAP_CLASSES`` = 3 by
default; 1 = low, 3 = high) of its rank among the areas (ties share a class), combined into a
bivariate class ``"N3-S1"``. A *gap* is high need with low supply (need class = top, supply
class = 1; ``is_gap``). Gaps are ranked by ``gap_score = need percentile - supply
percentile`` (1 = the widest gap). Separately, :func:`missing_within_reach` lists the asset
categories whose nearest asset is farther than ``settings.GAP_REACH_MINUTES`` away.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import settings


def classes(values, k: int | None = None) -> np.ndarray:
    """Quantile class 1..k of each value by percentile rank (ties share a class; NaN -> 0)."""
    k = settings.GAP_CLASSES if k is None else int(k)
    v = pd.Series(np.asarray(values, dtype=float))
    pct = v.rank(method="average", pct=True).to_numpy()
    out = np.clip(np.ceil(pct * k - 1e-9), 1, k)
    return np.where(np.isnan(pct), 0, out).astype(int)


def percentile(values) -> np.ndarray:
    return pd.Series(np.asarray(values, dtype=float)).rank(method="average", pct=True).to_numpy()


def classify(need, supply, k: int | None = None) -> pd.DataFrame:
    """Bivariate need x supply classes for one group of areas (aligned arrays)."""
    k = settings.GAP_CLASSES if k is None else int(k)
    nc = classes(need, k)
    sc = classes(supply, k)
    gap = (nc == k) & (sc == 1)
    score = percentile(need) - percentile(supply)
    rank = np.full(len(nc), np.nan)            # empty where not a gap
    if gap.any():
        order = pd.Series(np.where(gap, score, np.nan)).rank(method="min", ascending=False)
        rank[gap] = order[gap].to_numpy()
    return pd.DataFrame({
        "need_class": nc, "supply_class": sc,
        "bivariate_class": [f"N{a}-S{b}" if a and b else "" for a, b in zip(nc, sc)],
        "is_gap": gap, "gap_score": score, "gap_rank": rank,
    })


def missing_within_reach(minutes: pd.DataFrame, reach: float | None = None) -> pd.Series:
    """Per area (rows), the categories (columns of minutes to the nearest) beyond ``reach``,
    joined with '|' ('' when all are within reach)."""
    reach = settings.GAP_REACH_MINUTES if reach is None else float(reach)
    far = minutes.to_numpy(dtype=float) > reach
    cats = np.asarray(minutes.columns, dtype=object)
    return pd.Series(["|".join(cats[row]) for row in far], index=minutes.index, dtype=object)

"""Gaps: need against supply, classed and ranked.

Classes (``k`` = ``settings.GAP_CLASSES``, 3 by default: tertiles):

* **Supply class 0** is zero (or missing) supply: an area no provider of the group reaches.
  It is its own class, the lowest, however many areas share it.
* **Supply classes 1..k** split the areas with some supply (positive values only) by their
  percentile rank among them, ties taking the average rank (``pandas.Series.rank(method=
  "average", pct=True)``): class ``ceil(k x percentile)``. Tied values always share a class,
  so a break never falls inside a tie and no class is made of arbitrary halves of one; with
  fewer distinct positive values than ``k``, there are as many classes as distinct values
  (one distinct value: every supplied area is class 1).
* **Need classes 1..k** are made the same way from the need index of every area that has
  one (0 = no need value); with fewer distinct values than ``k``, as many classes.

The bivariate class is ``"N3-S1"`` (``"N3-S0"``: high need, no supply; ``""`` without a need
value). A **gap** is an area in the top need class (of at least two) whose supply class is 0
or 1: high need with no or low supply (``is_gap``). Gaps are ranked by ``gap_score = need
percentile - supply percentile`` over all areas (1 = the widest gap). Separately,
:func:`missing_within_reach` lists the asset categories whose nearest asset is farther than
``settings.GAP_REACH_MINUTES`` away.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import settings


def _rank_classes(values: np.ndarray, k: int) -> np.ndarray:
    """Class 1..min(k, distinct values) by average percentile rank (ties share a class)."""
    if not len(values):
        return np.zeros(0, dtype=int)
    kk = max(1, min(int(k), int(pd.unique(values).size)))
    pct = pd.Series(values).rank(method="average", pct=True).to_numpy()
    return np.clip(np.ceil(pct * kk - 1e-9), 1, kk).astype(int)


def classes(values, k: int | None = None) -> np.ndarray:
    """Quantile class 1..k of each value by average percentile rank (ties share a class;
    fewer distinct values than k: as many classes; NaN -> 0)."""
    k = settings.GAP_CLASSES if k is None else int(k)
    v = np.asarray(values, dtype=float)
    out = np.zeros(len(v), dtype=int)
    ok = ~np.isnan(v)
    out[ok] = _rank_classes(v[ok], k)
    return out


def supply_classes(values, k: int | None = None) -> np.ndarray:
    """0 for zero or missing supply; 1..k over the positive values (see the module notes)."""
    k = settings.GAP_CLASSES if k is None else int(k)
    v = np.asarray(values, dtype=float)
    out = np.zeros(len(v), dtype=int)
    pos = np.nan_to_num(v, nan=0.0) > 0
    out[pos] = _rank_classes(v[pos], k)
    return out


def percentile(values) -> np.ndarray:
    return pd.Series(np.asarray(values, dtype=float)).rank(method="average", pct=True).to_numpy()


def classify(need, supply, k: int | None = None) -> pd.DataFrame:
    """Bivariate need x supply classes for one group of areas (aligned arrays)."""
    return classify_many(need, [supply], k)


def _labels(nc: np.ndarray, sc: np.ndarray, k: int) -> np.ndarray:
    """"N{need class}-S{supply class}" ("" without a need class)."""
    table = np.array([[f"N{a}-S{b}" if a else "" for b in range(k + 1)] for a in range(k + 1)],
                     dtype=object)
    return table[nc, sc]


def classify_many(need, supplies, k: int | None = None) -> pd.DataFrame:
    """:func:`classify` for many groups of the same areas (one ``need``, a supply array per
    group), their frames stacked in the groups' order: the need's classes and percentiles
    are worked out once."""
    k = settings.GAP_CLASSES if k is None else int(k)
    nc = classes(need, k)
    top = int(nc.max(initial=0))
    need_pct = percentile(need)
    parts: dict[str, list] = {c: [] for c in ("supply_class", "is_gap", "gap_score",
                                               "gap_rank")}
    for supply in supplies:
        supply_v = np.nan_to_num(np.asarray(supply, dtype=float), nan=0.0)
        sc = supply_classes(supply, k)
        gap = (nc == top) & (top >= 2) & (sc <= 1)
        score = need_pct - percentile(supply_v)
        rank = np.full(len(nc), np.nan)            # empty where not a gap
        if gap.any():
            order = pd.Series(np.where(gap, score, np.nan)).rank(method="min", ascending=False)
            rank[gap] = order[gap].to_numpy()
        for c, v in zip(parts, (sc, gap, score, rank)):
            parts[c].append(v)
    empty = {"supply_class": int, "is_gap": bool, "gap_score": float, "gap_rank": float}
    cols = {c: np.concatenate(v) if v else np.zeros(0, dtype=empty[c])
            for c, v in parts.items()}
    nc_all = np.tile(nc, len(parts["gap_rank"]))
    return pd.DataFrame({"need_class": nc_all, "supply_class": cols["supply_class"],
                         "bivariate_class": _labels(nc_all, cols["supply_class"], k),
                         "is_gap": cols["is_gap"], "gap_score": cols["gap_score"],
                         "gap_rank": cols["gap_rank"]})


def missing_within_reach(minutes: pd.DataFrame, reach: float | None = None) -> pd.Series:
    """Per area (rows), the categories (columns of minutes to the nearest) beyond ``reach``,
    joined with '|' ('' when all are within reach)."""
    reach = settings.GAP_REACH_MINUTES if reach is None else float(reach)
    far = minutes.to_numpy(dtype=float) > reach
    cats = np.asarray(minutes.columns, dtype=object)
    return pd.Series(["|".join(cats[row]) for row in far], index=minutes.index, dtype=object)

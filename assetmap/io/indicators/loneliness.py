"""Loneliness model inputs derived from the census tables already stored (the ones a census
table gives directly, lon_health_* and lon_aged_75_79, come from :mod:`.census`)."""
from __future__ import annotations

import pandas as pd

from ... import model
from .batch import EXTRA_INDICATORS

#: Stored indicators lon_household_size is derived from (with the areas' 65+ population).
DERIVED_FROM = ("living_alone_65", "older_family_households", "mean_household_size")


def derive_loneliness_inputs(store, conn) -> int:
    """lon_household_size from what is stored: the mean household size of people aged 65+,
    approximated as people in one-person 66+ households (size 1) + two per all-66+ family
    household (size 2) + the rest of the 65+ population living in the area's typical
    multi-person household (at least 2; the mean household size when the household size
    table is stored, else 2.4, England's 2021 mean)."""
    vals = store.read_values(list(DERIVED_FROM), conn=conn)
    if vals.empty:
        return 0
    w = vals.pivot(index="area_code", columns="indicator_id", values="count")
    if "living_alone_65" not in w or "older_family_households" not in w:
        return 0
    mvals = vals.pivot(index="area_code", columns="indicator_id", values="value")
    areas = store.read_areas(level=None, codes=list(w.index), conn=conn).set_index("code")
    rows = []
    for code in w.index:
        if code not in areas.index:
            continue
        a = areas.loc[code]
        p65 = sum(float(a[b]) for b in ("pop_65_74", "pop_75_84", "pop_85_plus")
                  if a[b] is not None and not pd.isna(a[b]))
        n1, n2 = w.at[code, "living_alone_65"], w.at[code, "older_family_households"]
        if not p65 or pd.isna(n1) or pd.isna(n2):
            continue
        m = mvals.at[code, "mean_household_size"] if "mean_household_size" in mvals else None
        m = 2.4 if m is None or pd.isna(m) else float(m)
        rest = max(p65 - n1 - 2 * n2, 0.0)
        size = (n1 * 1 + 2 * n2 * 2 + rest * max(2.0, m)) / max(p65, n1 + 2 * n2)
        rows.append({"indicator_id": "lon_household_size", "area_code": code,
                     "value": round(size, 4), "count": None, "denominator": round(p65, 3),
                     "lower_ci": None, "upper_ci": None})
    if not rows:
        return 0
    m = EXTRA_INDICATORS["lon_household_size"]
    store.write_indicators(pd.DataFrame([{k: getattr(m, k) for k in model.INDICATOR_COLUMNS}]),
                           conn=conn)
    store.write_values(pd.DataFrame(rows), conn=conn, file="derived loneliness inputs")
    return len(rows)

"""Indicators derived from census tables already stored: people aged 66+ living alone as a
share of the residents aged 66+ (``living_alone_65``) and the loneliness model's mean
household size of people aged 65+ (``lon_household_size``). The inputs a census table gives
directly (lon_health_*, lon_aged_75_79) come from :mod:`.census`."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ... import model, settings
from .batch import EXTRA_INDICATORS

#: Stored indicators the derived ones are made from (with the areas' population by age).
DERIVED_FROM = ("one_person_66_households", "older_family_households", "mean_household_size")


def aged_66_plus(areas: pd.DataFrame) -> np.ndarray:
    """Residents aged 66+ per area from the stored age bands: 65+ less the share of the 65-74
    band aged 65 (``settings.AGED_65_SHARE_OF_65_74``). NaN where no band is known."""
    bands = areas[["pop_65_74", "pop_75_84", "pop_85_plus"]].apply(
        pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    known = ~np.isnan(bands).all(axis=1)
    b = np.nan_to_num(bands)
    p66 = b[:, 0] * (1.0 - settings.AGED_65_SHARE_OF_65_74) + b[:, 1] + b[:, 2]
    return np.where(known, p66, np.nan)


def derive_living_alone(store, conn) -> int:
    """``living_alone_65`` where both the household composition and the ages are stored:
    people aged 66+ living alone (the count of one-person 66+ households) as a percentage of
    the residents aged 66+ (:func:`aged_66_plus`), capped at 100 (census counts are
    perturbed a little in small areas). The number of areas written."""
    vals = store.read_values(["one_person_66_households"], conn=conn)
    vals = vals[vals["count"].notna()]
    if vals.empty:
        return 0
    areas = store.read_areas(level=None, codes=list(vals["area_code"]), conn=conn)
    p66 = pd.Series(aged_66_plus(areas), index=areas["code"])
    den = p66.reindex(vals["area_code"]).to_numpy()
    n1 = vals["count"].to_numpy(dtype=float)
    ok = np.isfinite(den) & (den > 0)
    if not ok.any():
        return 0
    out = pd.DataFrame({"indicator_id": "living_alone_65", "area_code": vals["area_code"][ok],
                        "value": np.minimum(100.0 * n1[ok] / den[ok], 100.0).round(6),
                        "count": n1[ok], "denominator": den[ok].round(3),
                        "lower_ci": None, "upper_ci": None})
    m = model.INDICATORS["living_alone_65"]
    meta = {k: getattr(m, k) for k in model.INDICATOR_COLUMNS}
    stored = store.read_indicators(conn=conn).set_index("id")
    if "one_person_66_households" in stored.index:
        period = stored.at["one_person_66_households", "period"]
        meta["period"] = period if isinstance(period, str) and period else None
    store.write_indicators(pd.DataFrame([meta]), conn=conn)
    store.write_values(out, conn=conn, file="derived living alone")
    return len(out)


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
    if "one_person_66_households" not in w or "older_family_households" not in w:
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
        n1, n2 = w.at[code, "one_person_66_households"], w.at[code, "older_family_households"]
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

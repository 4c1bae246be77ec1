"""Census 2021 long tables as Trafford Data Lab publishes them (``area_code, indicator,
[category], measure, unit, value``): age by five-year band, household composition,
household size, disability, general health, unpaid care, car availability.

Each table's category counts per area become AssetMap's rates (and, for age, the area's
population by age band and the loneliness model's 75-79 share)."""
from __future__ import annotations

import re

from ... import model
from ..common import BadRows
from .batch import IndicatorBatch, clean_code, num, rnd

_STD_LONG = {"area_code", "area_name", "geography", "period", "indicator", "measure", "unit",
             "value"}


def read_census_long(df, file, bad) -> IndicatorBatch | None:
    """A Census 2021 long table as a batch, or None when ``df`` is not one."""
    if not {"area_code", "indicator", "value"} <= set(df.columns):
        return None
    cat_col = _category_column(df)
    if cat_col is None:
        return None
    kind = _census_kind(cat_col, set(df[cat_col].astype(str).str.strip().unique()))
    if kind is None:
        return None
    b = IndicatorBatch(kind, code_year="2021")
    period = str(df["period"].iloc[0])[:4] if "period" in df else None
    counts, first_row = _category_counts(df, cat_col, bad)
    per = {"period": period}
    table = _TABLES[kind]
    for code, d in counts.items():
        table(b, code, d, sum(d.values()), first_row[code], per)
    return b


def _category_column(df) -> str | None:
    """The column holding the categories: the one non-standard column, else ``indicator``
    (None when there are several non-standard columns)."""
    extra = [c for c in df.columns if c not in _STD_LONG]
    return extra[0] if len(extra) == 1 else ("indicator" if not extra else None)


def _census_kind(cat_col: str, cats: set) -> str | None:
    """Which census table the categories (or the category column's name) say this is."""
    if any(c.startswith("Aged ") and c.endswith(("years", "years and over", "years and under"))
           for c in cats):
        return "census_age"
    if "One-person household: Aged 66 years and over" in cats:
        return "census_household_composition"
    if any(re.match(r"^\d+ (people|person) in household", c) for c in cats):
        return "census_household_size"
    if cat_col == "disability_category" or any(c.startswith("Disabled under the Equality Act")
                                               for c in cats):
        return "census_disability"
    if cat_col == "general_health" or "Very good health" in cats:
        return "census_general_health"
    if cat_col == "unpaid_care" or "Provides no unpaid care" in cats:
        return "census_unpaid_care"
    if cat_col == "availability_category" or "No cars or vans in household" in cats:
        return "census_car_availability"
    return None


def _category_counts(df, cat_col: str, bad: BadRows) -> tuple[dict, dict]:
    """Area -> {category: summed count}, and each area's first row (for error messages)."""
    counts: dict[str, dict[str, float]] = {}
    first_row: dict[str, int] = {}
    for i, (code, cat, val) in enumerate(zip(df["area_code"], df[cat_col], df["value"]),
                                         start=1):
        c = clean_code(bad, code, i, "area_code")
        v = num(bad, val, i, "value")
        if c is None or v is None:
            continue
        d = counts.setdefault(c, {})
        d[str(cat).strip()] = d.get(str(cat).strip(), 0.0) + v
        first_row.setdefault(c, i)
    return counts, first_row


# --- one function per table: (batch, code, category counts, total, row, period) -------------
def _age(b, code, d, total, row, per) -> None:
    band = age_bands(d)
    b.area_columns[code] = {k: rnd(v, 3) for k, v in band.items()}
    p65 = band["pop_65_74"] + band["pop_75_84"] + band["pop_85_plus"]
    b.want("pop_65_plus", **per)
    b.rate("pop_65_plus", code, p65, total, row=row)
    b.want("lon_aged_75_79", **per)
    b.put("lon_aged_75_79", code, value=rnd(d.get("Aged 75 to 79 years", 0) / p65)
          if p65 else None, count=d.get("Aged 75 to 79 years"), denominator=p65, row=row)


def _household_composition(b, code, d, total, row, per) -> None:
    """Shares of all households; the people aged 66+ living alone (one-person 66+
    households) become ``living_alone_65`` over the residents aged 66+ once the ages are
    stored (:func:`.loneliness.derive_living_alone`), not over households."""
    n1 = d.get("One-person household: Aged 66 years and over", 0.0)
    n2 = d.get("Single family household: All aged 66 years and over", 0.0)
    b.want("one_person_66_households", **per)
    b.rate("one_person_66_households", code, n1, total, row=row)
    b.want("older_family_households", **per)
    b.rate("older_family_households", code, n2, total, row=row)


def _household_size(b, code, d, total, row, per) -> None:
    hh = {int(m.group(1)): v for k, v in d.items() if (m := re.match(r"^(\d+)", k))}
    occupied = sum(v for k, v in hh.items() if k >= 1)
    people = sum(k * v for k, v in hh.items())
    b.want("mean_household_size", **per)
    b.put("mean_household_size", code, value=rnd(people / occupied, 4) if occupied
          else None, count=people, denominator=occupied, row=row)


def _disability(b, code, d, total, row, per) -> None:
    lim = sum(v for k, v in d.items() if k.startswith("Disabled under the Equality Act"))
    b.want("llti", **per)
    b.rate("llti", code, lim, total, row=row)


def _general_health(b, code, d, total, row, per) -> None:
    good = d.get("Good health", 0.0)
    fair = d.get("Fair health", 0.0)
    poor = d.get("Bad health", 0.0) + d.get("Very bad health", 0.0)
    b.want("bad_health", **per)
    b.rate("bad_health", code, poor, total, row=row)
    # The Age UK loneliness model wants the health of people aged 65+. Census 2021
    # tables at LSOA level give general health for all ages only, so the all-age
    # shares stand in for the 65+ shares here (they rank areas similarly, but
    # understate poor health among older people). A mapping file with an age-specific
    # table can supply lon_health_* directly instead.
    for ind, n in (("lon_health_good", good), ("lon_health_fair", fair),
                   ("lon_health_poor", poor)):
        b.want(ind, **per)
        b.put(ind, code, value=rnd(n / total) if total else None, count=n,
              denominator=total, row=row)


def _unpaid_care(b, code, d, total, row, per) -> None:
    carers = sum(v for k, v in d.items() if k != "Provides no unpaid care")
    b.want("unpaid_carers", **per)
    b.rate("unpaid_carers", code, carers, total, row=row)


def _car_availability(b, code, d, total, row, per) -> None:
    b.want("no_car_households", **per)
    b.rate("no_car_households", code, d.get("No cars or vans in household", 0.0), total,
           row=row)


_TABLES = {"census_age": _age,
           "census_household_composition": _household_composition,
           "census_household_size": _household_size,
           "census_disability": _disability,
           "census_general_health": _general_health,
           "census_unpaid_care": _unpaid_care,
           "census_car_availability": _car_availability}


def age_bands(d: dict) -> dict:
    """Five-year census bands -> AssetMap's bands. The 15-19 band straddles 0-17 and
    18-64: three fifths go to 0-17 and two fifths to 18-64 (ages spread evenly)."""
    out = {k: 0.0 for k in model.AGE_BANDS}
    for label, v in d.items():
        nums = [int(x) for x in re.findall(r"\d+", label)]
        if not nums:
            continue
        if "under" in label:
            lo, hi = 0, nums[0]
        elif "over" in label:
            lo, hi = nums[0], 120
        else:
            lo, hi = nums[0], nums[-1]
        for age in range(lo, hi + 1):
            share = v / (hi - lo + 1)
            if age <= 17:
                out["pop_0_17"] += share
            elif age <= 64:
                out["pop_18_64"] += share
            elif age <= 74:
                out["pop_65_74"] += share
            elif age <= 84:
                out["pop_75_84"] += share
            else:
                out["pop_85_plus"] += share
            if "over" in label:   # open band: all of it in its first year's band
                if age >= 85:
                    out["pop_85_plus"] += v - share
                break
    return out

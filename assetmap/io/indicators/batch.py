"""What every reader yields (:class:`IndicatorBatch`), the indicators the recognisers know,
and the cell helpers they share (numbers, area codes, the code vintage of a column)."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ... import model
from ..common import BadRows, blank, to_float

#: Extra indicators the recognisers produce beyond model.INDICATORS.
EXTRA_INDICATORS = {m.id: m for m in [
    model.IndicatorMeta("no_car_households", "Households with no car or van (% of households)",
                        "%", "high_bad", "wilson", "Census 2021 (ONS), car or van availability",
                        description="Households with no car or van (TS045) as a share of "
                                    "all households."),
    model.IndicatorMeta("pop_60_plus", "People aged 60+ (% of population)", "%", "neutral",
                        "wilson", "English Indices of Deprivation 2019 (MHCLG), File 6 "
                        "population denominators (mid-2015, excluding prisoners)"),
    model.IndicatorMeta("mean_household_size", "Mean household size (people)", "people",
                        "neutral", "none", "Census 2021 (ONS), household size",
                        description="Usual residents in households over occupied households "
                                    "(TS017); '8 or more people' counts as 8, so a slight "
                                    "underestimate where such households exist."),
    model.IndicatorMeta("one_person_66_households",
                        "One-person households aged 66+ (% of households)", "%", "neutral",
                        "wilson", "Census 2021 (ONS), household composition",
                        description="Households of one person aged 66 or over (TS003 "
                                    "'One-person household: Aged 66 years and over') as a "
                                    "share of all households. The count is the number of "
                                    "people aged 66+ living alone: living_alone_65 divides "
                                    "it by the residents aged 66+ once ages are stored."),
    model.IndicatorMeta("older_family_households",
                        "Single-family households all aged 66+ (% of households)", "%",
                        "neutral", "wilson", "Census 2021 (ONS), household composition",
                        description="Single-family households whose members are all aged "
                                    "66 or over (TS003) as a share of all households."),
    model.IndicatorMeta("lon_health_good", "Loneliness model input: share in good health",
                        "share", "neutral", "none",
                        "Census 2021 general health, all ages (no 65+ breakdown published "
                        "at LSOA level)"),
    model.IndicatorMeta("lon_health_fair", "Loneliness model input: share in fair health",
                        "share", "neutral", "none",
                        "Census 2021 general health, all ages (approximation for 65+)"),
    model.IndicatorMeta("lon_health_poor",
                        "Loneliness model input: share in bad or very bad health", "share",
                        "neutral", "none",
                        "Census 2021 general health, all ages (approximation for 65+)"),
    model.IndicatorMeta("lon_widowed", "Loneliness model input: share of 65+ widowed", "share",
                        "neutral", "none", "Census marital status (mapping file)"),
    model.IndicatorMeta("lon_aged_75_79", "Loneliness model input: share of 65+ aged 75-79",
                        "share", "neutral", "none", "Census 2021 (ONS), age by five-year band"),
    model.IndicatorMeta("lon_household_size",
                        "Loneliness model input: mean household size of people aged 65+",
                        "people", "neutral", "none",
                        "Derived from Census 2021 household composition, household size and "
                        "age (approximation)"),
]}
KNOWN = {**model.INDICATORS, **EXTRA_INDICATORS}

#: The value columns of AssetMap's own long layout.
VALUE_COLS = ["value", "count", "denominator", "lower_ci", "upper_ci"]


@dataclass
class IndicatorBatch:
    """What one file yields: indicator metadata, values per area (codes as in the file),
    optional area columns (population by age band) and the code vintage."""

    kind: str
    meta: dict = field(default_factory=dict)            # id -> dict of INDICATOR_COLUMNS
    values: list = field(default_factory=list)          # dicts: indicator_id, area_code, ...
    area_columns: dict = field(default_factory=dict)    # code -> {pop_0_17: ...}
    code_year: str | None = None
    notes: list = field(default_factory=list)
    lookup: pd.DataFrame | None = None
    #: the file's columns the reader took something from (the rest are reported skipped)
    used: set = field(default_factory=set)
    #: where ``area_columns`` (population by age band) come from, and whether they are only
    #: a stand-in, written where an area has no better population (IoD File 6)
    population_source: str | None = None
    population_fallback: bool = False
    #: area names as the file gives them (code -> name), for the 2021 -> 2011 lookup
    names: dict = field(default_factory=dict)
    #: England's value of indicators (id -> value), when the file gives it
    benchmarks: dict = field(default_factory=dict)

    def want(self, ind_id: str, **overrides) -> None:
        if ind_id in self.meta:
            return
        m = KNOWN.get(ind_id)
        d = {"id": ind_id, "title": ind_id, "unit": "value", "polarity": "neutral",
             "ci_method": "none", "source": None, "period": None, "description": None}
        if m is not None:
            d.update({k: getattr(m, k) for k in d if k != "id"})
        d.update({k: v for k, v in overrides.items() if v is not None and str(v).strip()})
        self.meta[ind_id] = d

    def put(self, ind_id, code, value=None, count=None, denominator=None, lower_ci=None,
            upper_ci=None, row=None) -> None:
        self.values.append({"indicator_id": ind_id, "area_code": code, "value": value,
                            "count": count, "denominator": denominator, "lower_ci": lower_ci,
                            "upper_ci": upper_ci, "_row": row})

    def rate(self, ind_id, code, count, denom, *, mult=100.0, row=None) -> None:
        value = None if not denom else count / denom * mult
        self.put(ind_id, code, value=value, count=count, denominator=denom, row=row)


def num_column(bad: BadRows, series, col) -> np.ndarray:
    """A column as floats (NaN where blank; thousands separators and % dropped); every cell
    that is not a number is a bad row (its row: the frame's index + 1, the data row of the
    file as :func:`..common.read_table` numbers it, also in a subset of the rows)."""
    raw = series.astype(object).where(series.notna(), "")
    txt = raw.map(lambda v: str(v).replace(",", "").replace("%", "").strip())
    empty = txt.map(blank).to_numpy(bool)
    out = np.array(pd.to_numeric(txt.where(~empty, None), errors="coerce"), dtype=float)
    wrong = np.flatnonzero(~np.isfinite(out) & ~empty)
    for i in wrong[:1000]:
        bad.add(int(series.index[i]) + 1, col, f"'{raw.iloc[i]}' is not a number")
    out[~np.isfinite(out)] = np.nan
    return out


def code_column(bad: BadRows, series, col) -> list:
    """A column of ONS area codes, upper case (None where blank or not a code: bad rows
    numbered as in :func:`num_column`)."""
    return [clean_code(bad, v, int(i) + 1, col) for i, v in zip(series.index, series.tolist())]


def rnd(v, nd=6):
    """``v`` rounded to ``nd`` places; None for None or NaN."""
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), nd)


def num(bad: BadRows, v, row, col):
    """A cell as a float (None when blank); a bad row when it is not a number."""
    try:
        return to_float(v)
    except (TypeError, ValueError):
        bad.add(row, col, f"'{v}' is not a number")
        return None


def clean_code(bad: BadRows, v, row, col):
    """A cell as an upper-case ONS area code; a bad row when blank or not a code."""
    s = None if blank(v) else str(v).strip().upper()
    if s is None:
        bad.add(row, col, "the area code is blank")
        return None
    if not model.AREA_CODE_RE.match(s):
        bad.add(row, col, f"'{v}' is not an ONS area code (e.g. E01006074)")
        return None
    return s


def year_of(col: str) -> str | None:
    """The code vintage a column name says ("2011", "2021"), or None."""
    c = col.lower()
    if re.search(r"(11cd|2011|_11\b|\(2011\))", c):
        return "2011"
    if re.search(r"(21cd|2021|_21\b|\(2021\))", c):
        return "2021"
    return None

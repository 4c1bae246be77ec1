"""Population by age band (``model.AGE_BANDS``) from the layouts councils have:

* ONS mid-year small-area estimates, wide: one column per single year of age ("0" ..
  "89", "90+"; ONS's "F0".."F90" / "M0".."M90" summed over sexes) or per age band
  ("0-4", "aged_85_plus", "Aged 65 to 69" ...), optionally one row per sex (the
  "Persons" rows are used, else females and males are added up);
* IoD 2019 File 6 (and File 7's denominator columns): total, 0-15, 16-59 and 60+ at
  mid-2015. Only 60+ is given for older people, so it is shared out over 65-74 / 75-84 /
  85+ by England's age mix (``settings.IOD_60_PLUS_SHARES``). This is a stand-in: written
  only where an area has no better population (``IndicatorBatch.population_fallback``).

Census 2021 age tables (long or Nomis wide) are read by :mod:`.census` / :mod:`.nomis`.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ... import model, settings
from ..common import find_col
from .batch import IndicatorBatch, code_column, num_column, rnd, year_of

#: File 6 / File 7 denominator columns (regex on the lower-case name).
IOD_DENOMINATORS = {
    "total": r"^total population", "children": r"^dependent children aged 0-15",
    "16_59": r"^population aged 16-59", "60_plus": r"^older population aged 60 and over",
    "working_age": r"^working age population 18-59/64",
}
_CODE_COLUMNS = ["area_code", "LSOA 2021 Code", "LSOA 2011 Code", "LSOA Code", "LSOA21CD",
                 "LSOA11CD", "lsoa_code", "LSOA code (2011)", "LSOA code (2021)", "Area Codes",
                 "Area Code", "geography code", "code"]
#: Band edges: the first age of each of model.AGE_BANDS.
_EDGES = (0, 18, 65, 75, 85)
IOD_SOURCE = "IoD 2019 File 6 population denominators (mid-2015; 65+ bands estimated)"


# --- IoD File 6 -------------------------------------------------------------------------
def iod_denominator_columns(columns) -> dict:
    """denominator key -> column, for File 6 / File 7 denominator columns."""
    out = {}
    for c in columns:
        for key, pat in IOD_DENOMINATORS.items():
            if key not in out and re.match(pat, str(c).strip().lower()):
                out[key] = c
    return out


def iod_denominators(df, bad, cols: dict) -> dict:
    """denominator key -> float array (thousands separators allowed)."""
    return {k: num_column(bad, df[c], c) for k, c in cols.items()}


def iod_bands(total, children, p16_59, p60) -> dict:
    """File 6 counts -> AssetMap's age bands (arrays), see the module docstring."""
    sh = settings.IOD_60_PLUS_SHARES
    under18 = settings.IOD_16_59_YEARS_UNDER_18 / 44.0
    return {"pop_0_17": children + p16_59 * under18,
            "pop_18_64": p16_59 * (1 - under18) + p60 * sh["60_64"],
            "pop_65_74": p60 * sh["65_74"], "pop_75_84": p60 * sh["75_84"],
            "pop_85_plus": p60 * sh["85_plus"]}


def add_iod_population(b: IndicatorBatch, df, codes, dens: dict, cols: dict) -> None:
    """File 6 denominators onto ``b``: population bands (a stand-in) and ``pop_60_plus``."""
    need = ("total", "children", "16_59", "60_plus")
    if not all(k in dens for k in need):
        return
    b.used |= {cols[k] for k in dens}
    bands = iod_bands(dens["total"], dens["children"], dens["16_59"], dens["60_plus"])
    b.want("pop_60_plus", period="2015")
    for k, code in enumerate(codes):
        if code is None or np.isnan(dens["total"][k]):
            continue
        b.area_columns[code] = {band: rnd(float(v[k]), 3) for band, v in bands.items()}
        b.rate("pop_60_plus", code, float(dens["60_plus"][k]), float(dens["total"][k]),
               row=int(df.index[k]) + 1)
    b.population_source = IOD_SOURCE
    b.population_fallback = True
    b.notes.append("population from IoD 2019 File 6 (mid-2015): the 60+ count is shared over "
                   "65-74, 75-84 and 85+ by England's age mix (settings.IOD_60_PLUS_SHARES); "
                   "it is used only where an area has no better population")


def read_iod_denominators(df, file, bad) -> IndicatorBatch | None:
    """IoD 2019 File 6 (denominators only) as a batch, or None when ``df`` is not it."""
    cols = iod_denominator_columns(df.columns)
    if not {"total", "60_plus"} <= set(cols):
        return None
    code_col = find_col(df.columns, _CODE_COLUMNS, required=True, file=file,
                        what="LSOA code (2011)")
    b = IndicatorBatch("iod_denominators", code_year=year_of(code_col) or "2011")
    b.used.add(code_col)
    codes = code_column(bad, df[code_col], code_col)
    add_iod_population(b, df, codes, iod_denominators(df, bad, cols), cols)
    return b


# --- ONS mid-year estimates ---------------------------------------------------------------
_SINGLE = re.compile(r"^(?:(f|m)_?)?(?:aged?_?)?(\d{1,3})(\+)?$")
_RANGE = re.compile(r"^(?:aged?\s*)?(\d{1,3})\s*(?:-|to)\s*(\d{1,3})(?:\s*years?)?$")
_OPEN = re.compile(r"^(?:aged?\s*)?(\d{1,3})\s*(?:\+|plus|and over|years and over|and_over)$")


def age_range(column) -> tuple[str, int, int | None] | None:
    """A column name as (sex '' / 'f' / 'm', first age, last age or None for "and over")."""
    name = re.sub(r"[_\s]+", " ", str(column).strip().lower())
    compact = name.replace(" ", "")
    m = _SINGLE.match(compact)
    if m:
        return m.group(1) or "", int(m.group(2)), None if m.group(3) else int(m.group(2))
    m = _RANGE.match(name)
    if m:
        return "", int(m.group(1)), int(m.group(2))
    m = _OPEN.match(name)
    if m:
        return "", int(m.group(1)), None
    return None


def partition(columns) -> dict[str, list] | None:
    """sex -> [(first, last, column)] covering ages 0.. with an open last band, finest
    columns chosen (aggregates such as "aged_65_and_over" dropped); None without one."""
    by_sex: dict[str, list] = {}
    for c in columns:
        r = age_range(c)
        if r is not None:
            by_sex.setdefault(r[0], []).append((r[1], r[2], c))
    out = {}
    for sex, ranges in by_sex.items():
        leaves = _leaves(ranges)
        if leaves is not None:
            out[sex] = leaves
    if "" in out:
        return {"": out[""]}
    return out if {"f", "m"} <= set(out) else None


def _leaves(ranges: list) -> list | None:
    """The ranges no other range lies inside, if they tile 0.. contiguously (the last,
    when a closed single year of 85 or more, is taken as "and over", as ONS's 90 is)."""
    def inside(a, b):   # a within b
        bh = b[1] if b[1] is not None else 10 ** 6
        ah = a[1] if a[1] is not None else 10 ** 6
        return a is not b and b[0] <= a[0] and ah <= bh
    leaves = sorted((r for r in ranges if not any(inside(s, r) for s in ranges)),
                    key=lambda r: r[0])
    if len(leaves) < 5 or leaves[0][0] != 0:
        return None
    for a, b in zip(leaves, leaves[1:]):
        if a[1] is None or b[0] != a[1] + 1:
            return None
    last = leaves[-1]
    if last[1] is not None:
        if last[1] < 85:
            return None
        leaves[-1] = (last[0], None, last[2])
    return leaves


#: England's 60+ age groups (settings.IOD_60_PLUS_SHARES keys): first, last age, band.
_OLD_GROUPS = (("60_64", 60, 64, "pop_18_64"), ("65_74", 65, 74, "pop_65_74"),
               ("75_84", 75, 84, "pop_75_84"), ("85_plus", 85, None, "pop_85_plus"))


def bands_from_ranges(counts: list[tuple[int, int | None, float]]) -> dict:
    """(first, last, count) -> AssetMap's bands: closed ranges spread evenly over their
    years; an open band ("65 and over") shared over the bands it spans by England's age
    mix (``settings.IOD_60_PLUS_SHARES``), all of it in 85+ when it starts at 85 or later."""
    out = {b: 0.0 for b in model.AGE_BANDS}
    for lo, hi, v in counts:
        if hi is None:
            _open_band(lo, v, out)
            continue
        for age in range(lo, hi + 1):
            out[_band(age)] += v / (hi - lo + 1)
    return out


def _open_band(lo: int, v: float, out: dict) -> None:
    if lo >= 85:
        out["pop_85_plus"] += v
        return
    sh = settings.IOD_60_PLUS_SHARES
    w: dict[str, float] = {}
    for key, a, z, band in _OLD_GROUPS:
        if z is not None and z < lo:
            continue
        frac = 1.0 if z is None else (z - max(a, lo) + 1) / (z - a + 1)
        w[band] = w.get(band, 0.0) + sh[key] * frac
    total = sum(w.values())
    for band, x in w.items():
        out[band] += v * x / total


def _band(age: int) -> str:
    return model.AGE_BANDS[max(i for i, e in enumerate(_EDGES) if age >= e)]


def read_mid_year(df, file, bad) -> IndicatorBatch | None:
    """ONS mid-year small-area estimates (wide, by single year or band) as a batch."""
    part = partition(df.columns)
    code_col = find_col(df.columns, _CODE_COLUMNS)
    if part is None or code_col is None:
        return None
    data = _persons(df)
    period = _period(data, file)
    b = IndicatorBatch("mid_year_estimates", code_year=year_of(code_col))
    b.used |= {code_col, "sex"} | {c for leaves in part.values() for _, _, c in leaves}
    codes = code_column(bad, data[code_col], code_col)
    ranges, cols = _summed_columns(bad, data, part)
    sums = pd.DataFrame(np.column_stack(cols), index=data.index).assign(_code=codes)
    sums = sums.dropna(subset=["_code"]).groupby("_code", sort=False).sum()
    first_row = {c: int(i) + 1 for c, i in zip(codes, data.index) if c}
    b.population_source = f"ONS mid-year population estimates{' ' + period if period else ''}"
    for code, row in zip(sums.index, sums.to_numpy()):
        _add_area(b, str(code), [(lo, hi, float(v)) for (lo, hi), v in zip(ranges, row)],
                  first_row[code], period)
    return b


def _summed_columns(bad, data, part: dict) -> tuple[list, list]:
    """The age ranges of the partition and each one's counts (summed over sexes)."""
    ranges: list[tuple] = []
    cols: list[np.ndarray] = []
    for leaves in part.values():
        for lo, hi, col in leaves:
            v = np.nan_to_num(num_column(bad, data[col], col))
            if (lo, hi) in ranges:
                cols[ranges.index((lo, hi))] = cols[ranges.index((lo, hi))] + v
            else:
                ranges.append((lo, hi))
                cols.append(v)
    return ranges, cols


def _persons(df):
    """The "Persons" rows of a file with a sex column; females + males are both kept
    (summed per area later) when there is no persons row."""
    sex = find_col(df.columns, ["sex", "Sex", "gender"])
    if sex is None:
        return df
    s = df[sex].astype(str).str.strip().str.lower()
    persons = s.isin(["persons", "person", "all", "all persons", "total", "people"])
    if persons.any():
        return df[persons.to_numpy()]
    return df[s.isin(["females", "female", "males", "male", "f", "m"]).to_numpy()]


def _period(df, file) -> str | None:
    for col in ("period", "date", "year", "mid_year"):
        if col in df.columns and len(df):
            m = re.search(r"(19|20)\d\d", str(df[col].iloc[0]))
            if m:
                return m.group(0)
    m = re.search(r"(?:mid[-_ ]?(?:year)?[-_ ]?)((?:19|20)\d\d)", str(file), re.I)
    return m.group(1) if m else None


def _add_area(b: IndicatorBatch, code: str, counts, row: int, period) -> None:
    """One area's age counts onto ``b``: bands, the 65+ share, the 75-79 share of 65+."""
    bands = bands_from_ranges(counts)
    b.area_columns[code] = {k: rnd(v, 3) for k, v in bands.items()}
    total = sum(bands.values())
    p65 = bands["pop_65_74"] + bands["pop_75_84"] + bands["pop_85_plus"]
    b.want("pop_65_plus", period=period, source=b.population_source)
    b.rate("pop_65_plus", code, p65, total, row=row)
    a75 = sum(v * _overlap(lo, hi, 75, 79) for lo, hi, v in counts if hi is not None)
    if a75 and p65:
        b.want("lon_aged_75_79", period=period,
               source="ONS mid-year population estimates, single years of age")
        b.put("lon_aged_75_79", code, value=rnd(a75 / p65), count=rnd(a75, 3),
              denominator=rnd(p65, 3), row=row)


def _overlap(lo: int, hi: int, a: int, z: int) -> float:
    """The share of ages lo..hi that lie in a..z (ages evenly spread)."""
    n = max(0, min(hi, z) - max(lo, a) + 1)
    return n / (hi - lo + 1)

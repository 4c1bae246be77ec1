"""Census 2021 tables as Nomis gives them, read as the Trafford Data Lab long tables are
(:mod:`.census`: the same table recognition and the same indicators).

* Bulk / wide CSV (``census2021-ts007a-lsoa.csv``): ``date, geography, geography code``
  then one column per category, "Age: Aged 4 years and under" or "Household composition:
  One person household: Aged 66 years and over; measures: Value". "Total" columns,
  subtotals (a category that others extend, "Disability: Disabled under the Equality
  Act") and "; measures: Percent" columns are not counted;
* the Nomis API's long CSV (``GEOGRAPHY_CODE, C2021_AGE_19_NAME, MEASURES_NAME,
  OBS_VALUE``): the "Value" rows.

Category names are matched to the long tables' spelling ("One person household" is
"One-person household" there).
"""
from __future__ import annotations

import re

import numpy as np

from ..common import find_col, norm
from .batch import IndicatorBatch, code_column, num_column
from .census import _TABLES, _census_kind

_CODE_COLUMNS = ["geography code", "GEOGRAPHY_CODE", "mnemonic", "area_code", "LSOA21CD",
                 "LSOA11CD", "MSOA21CD", "OA21CD"]
_ID_COLUMNS = {"date", "geography", "geography code", "geography_code", "geography_name",
               "mnemonic", "area_name", "area_code", "lsoa21nm", "lsoa21cd", "lsoa11cd",
               "lsoa11nm", "msoa21cd", "msoa21nm"}
#: The long tables' spelling of categories Nomis spells otherwise.
_CANONICAL = {norm(c): c for c in (
    "One-person household: Aged 66 years and over", "One-person household: Other",
    "Single family household: All aged 66 years and over")}


def canonical(label: str) -> str:
    """A Nomis category label in the long tables' spelling."""
    label = re.sub(r"\s+", " ", label.strip())
    return _CANONICAL.get(norm(label), label)


def category_columns(columns) -> dict:
    """column -> category label, for the counted category columns of a Nomis wide table
    (the table's name prefix, totals, subtotals and percentages dropped)."""
    cats = {}
    for c in columns:
        name = str(c).strip()
        if name.lower() in _ID_COLUMNS or ":" not in name:
            continue
        if re.search(r";\s*measures:\s*(percent|percentage)\s*$", name, re.I):
            continue
        name = re.sub(r";\s*measures:\s*value\s*$", "", name, flags=re.I)
        cats[c] = name.split(":", 1)[1].strip()
    labels = set(cats.values())
    out = {}
    for c, label in cats.items():
        if re.match(r"^total\b", label, re.I):
            continue
        if any(other.startswith(label + ":") for other in labels):
            continue   # a subtotal
        out[c] = canonical(label)
    return out


def read_nomis_wide(df, file, bad) -> IndicatorBatch | None:
    """A Nomis bulk (wide) Census 2021 table as a batch, or None when ``df`` is not one."""
    code_col = find_col(df.columns, _CODE_COLUMNS)
    cats = category_columns(df.columns)
    if code_col is None or len(cats) < 2:
        return None
    kind = _census_kind("", set(cats.values()))
    if kind is None:
        return None
    codes = code_column(bad, df[code_col], code_col)
    values = {label: num_column(bad, df[c], c) for c, label in cats.items()}
    counts: dict[str, dict[str, float]] = {}
    first_row: dict[str, int] = {}
    for k, code in enumerate(codes):
        if code is None:
            continue
        d = counts.setdefault(code, {})
        for label, v in values.items():
            if not np.isnan(v[k]):
                d[label] = d.get(label, 0.0) + float(v[k])
        first_row.setdefault(code, int(df.index[k]) + 1)
    b = _batch(kind, counts, first_row, _period(df))
    b.used |= {code_col, *cats}
    return b


def read_nomis_api_long(df, file, bad) -> IndicatorBatch | None:
    """The Nomis API's long CSV (``GEOGRAPHY_CODE, C2021_..._NAME, OBS_VALUE``), or None."""
    code_col = find_col(df.columns, ["GEOGRAPHY_CODE"])
    value_col = find_col(df.columns, ["OBS_VALUE"])
    cat_col = next((c for c in df.columns if re.match(r"^C20\d\d_.*_NAME$", str(c), re.I)),
                   None)
    if code_col is None or value_col is None or cat_col is None:
        return None
    data = df
    measure = find_col(df.columns, ["MEASURES_NAME"])
    if measure is not None:
        data = df[df[measure].astype(str).str.strip().str.lower() == "value"]
    labels = data[cat_col].astype(str).str.strip()
    keep = ~labels.str.match(r"^total\b", case=False)
    uniq = set(labels)
    subtotals = {lab for lab in uniq if any(o.startswith(lab + ":") for o in uniq)}
    keep &= ~labels.isin(subtotals)
    data, labels = data[keep.to_numpy()], labels[keep.to_numpy()].map(canonical)
    kind = _census_kind("", set(labels))
    if kind is None:
        return None
    codes = code_column(bad, data[code_col], code_col)
    vals = num_column(bad, data[value_col], value_col)
    counts: dict[str, dict[str, float]] = {}
    first_row: dict[str, int] = {}
    for code, label, v, i in zip(codes, labels, vals, data.index):
        if code is None or np.isnan(v):
            continue
        d = counts.setdefault(code, {})
        d[label] = d.get(label, 0.0) + float(v)
        first_row.setdefault(code, int(i) + 1)
    b = _batch(kind, counts, first_row, _period(df))
    b.used |= {code_col, value_col, cat_col} | ({measure} if measure else set())
    return b


def _batch(kind: str, counts: dict, first_row: dict, period) -> IndicatorBatch:
    """The census table's indicators (and, for age, population) from category counts."""
    b = IndicatorBatch(kind, code_year="2021")
    table = _TABLES[kind]
    for code, d in counts.items():
        table(b, code, d, sum(d.values()), first_row[code], {"period": period})
    if b.area_columns:
        b.population_source = "Census 2021 (ONS), age"
    return b


def _period(df) -> str | None:
    col = find_col(df.columns, ["date", "DATE", "DATE_NAME"])
    if col is None or not len(df):
        return "2021"
    m = re.search(r"(19|20)\d\d", str(df[col].iloc[0]))
    return m.group(0) if m else "2021"

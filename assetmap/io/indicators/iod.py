"""English Indices of Deprivation 2019, every domain and both supplementary indices.

* The long file (``lsoa11cd, index_domain, decile, rank, score, year``, as Trafford Data
  Lab publishes File 7): one row per LSOA and index;
* the wide MHCLG files: File 1 (IMD), File 2 (domain ranks and deciles), File 3 (IDACI,
  IDAOPI), File 5 (scores), File 7 (all scores, ranks, deciles and denominators), with
  columns such as "Income Score (rate)", "Crime Rank (where 1 is most deprived)" or
  "Living Environment Decile (where 1 is most deprived 10% of LSOAs)";
* File 6 (population denominators only): see :mod:`.population`.

Each index gives ``<stem>_score`` / ``_rank`` / ``_decile`` (``model.IOD_DOMAINS``; the
IMD keeps ``imd_score``, IDACI and IDAOPI their bare stem for the score). Rate scores
(income, employment, IDACI, IDAOPI) are stored as percentages, with count and denominator
where the file has the denominator (File 7), so they get Wilson intervals. Sub-domain
scores are not indicators here: the report names them among the skipped columns.
"""
from __future__ import annotations

import re

import numpy as np

from ... import model
from ..common import blank, find_col
from .batch import IndicatorBatch, code_column, num_column, rnd, year_of
from .population import (
    add_iod_population,
    iod_denominator_columns,
    iod_denominators,
    read_iod_denominators,
)

#: ``index_domain`` text of the long file -> id stem.
LONG_DOMAINS = {
    "Index of Multiple Deprivation": "imd", "Income": "iod_income",
    "Employment": "iod_employment", "Education, Skills and Training": "iod_education",
    "Health Deprivation and Disability": "iod_health", "Crime": "iod_crime",
    "Barriers to Housing and Services": "iod_housing", "Living Environment": "iod_environment",
    "Income Deprivation Affecting Children": "idaci",
    "Income Deprivation Affecting Older People": "idaopi",
}
#: id stem -> how the wide files name the index (a regex, lower case) before
#: "Score" / "Rank" / "Decile".
WIDE_NAMES = {
    "imd": r"index of multiple deprivation \(imd\)", "iod_income": r"income",
    "iod_employment": r"employment", "iod_education": r"education, skills and training",
    "iod_health": r"health deprivation and disability", "iod_crime": r"crime",
    "iod_housing": r"barriers to housing and services", "iod_environment": r"living environment",
    "idaci": r"income deprivation affecting children( index)? \(idaci\)",
    "idaopi": r"income deprivation affecting older people( index)? \(idaopi\)",
}
#: Scores that are the share of a group deprived (x 100 to a percentage), and the File 6/7
#: denominator of that group.
RATE_DENOMINATOR = {"iod_income": "total", "iod_employment": "working_age",
                    "idaci": "children", "idaopi": "60_plus"}
MEASURES = ("score", "rank", "decile")
_CODE_COLUMNS = ["LSOA code (2011)", "LSOA code (2021)", "lsoa11cd", "lsoa21cd", "lsoa_code",
                 "area_code"]


def indicator_id(stem: str, measure: str) -> str:
    """``("imd", "score")`` -> ``imd_score``; ``("idaopi", "score")`` -> ``idaopi``."""
    if measure == "score":
        return "imd_score" if stem == "imd" else model.iod_score_id(stem)
    return f"{stem}_{measure}"


def _multiplier(stem: str, measure: str) -> float:
    return 100.0 if measure == "score" and stem in RATE_DENOMINATOR else 1.0


def read_iod_long(df, file, bad) -> IndicatorBatch | None:
    """The IoD long file as a batch (the 2019 rows when it has several years), or None."""
    if not {"index_domain"} <= set(df.columns) or not set(MEASURES) & set(df.columns):
        return None
    code_col = find_col(df.columns, ["lsoa11cd", "lsoa21cd", "lsoa_code", "area_code"])
    if code_col is None:
        return None
    b = IndicatorBatch("iod_long", code_year=year_of(code_col) or "2011")
    data, year = _one_year(df, b)
    b.used |= {code_col, "index_domain", "year"} | (set(MEASURES) & set(df.columns))
    domains = data["index_domain"].astype(str).str.strip()
    unknown = sorted(set(domains) - set(LONG_DOMAINS))
    if unknown:
        b.notes.append("index_domain values not recognised, skipped: " + ", ".join(unknown))
    codes = dict(zip(data.index, code_column(bad, data[code_col], code_col)))
    for measure in MEASURES:
        if measure not in data.columns:
            continue
        vals = num_column(bad, data[measure], measure)
        for (i, dom), v in zip(domains.items(), vals):
            stem = LONG_DOMAINS.get(dom)
            code = codes[i]
            if stem is None or code is None or np.isnan(v):
                continue
            ind = indicator_id(stem, measure)
            b.want(ind, period=year)
            b.put(ind, code, value=rnd(v * _multiplier(stem, measure)), row=int(i) + 1)
    return b


def _one_year(df, b: IndicatorBatch):
    """The rows of 2019 (else the latest year) and that year; all rows and None without a
    ``year`` column. Notes the other years on the batch."""
    if "year" not in df.columns:
        return df, None
    years = sorted({str(y) for y in df["year"] if not blank(y)})
    year = "2019" if "2019" in years else years[-1]
    data = df[df["year"].astype(str) == year]
    if len(years) > 1:
        others = ", ".join(y for y in years if y != year)
        b.notes.append(f"used the {year} rows (file also has {others})")
    return data, year


def wide_columns(columns) -> dict:
    """(stem, measure) -> column, for every IoD index column among ``columns``."""
    found = {}
    for c in columns:
        name = str(c).strip().lower()
        for stem, pat in WIDE_NAMES.items():
            m = re.match(rf"^{pat}\s+(?P<measure>score|rank|decile)\b", name)
            if m and (stem, m.group("measure")) not in found:
                found[(stem, m.group("measure"))] = c
                break
    return found


def read_iod_wide(df, file, bad) -> IndicatorBatch | None:
    """A wide MHCLG IoD 2019 file as a batch, or None when no IoD index column is there
    (File 6, denominators only, is read by :func:`.population.read_iod_denominators`)."""
    found = wide_columns(df.columns)
    if not found:
        return read_iod_denominators(df, file, bad)
    code_col = find_col(df.columns, _CODE_COLUMNS, required=True, file=file,
                        what="LSOA code (2011)")
    b = IndicatorBatch("iod_wide", code_year=year_of(code_col) or "2011")
    codes = code_column(bad, df[code_col], code_col)
    den_cols = iod_denominator_columns(df.columns)
    dens = iod_denominators(df, bad, den_cols)
    if dens:
        add_iod_population(b, df, codes, dens, den_cols)
    b.used |= {code_col, *found.values()}
    for (stem, measure), col in found.items():
        vals = num_column(bad, df[col], col)
        ind = indicator_id(stem, measure)
        b.want(ind, period="2019")
        den = dens.get(RATE_DENOMINATOR.get(stem)) if measure == "score" else None
        mult = _multiplier(stem, measure)
        for k, (code, v) in enumerate(zip(codes, vals)):
            if code is None or np.isnan(v):
                continue
            d = None if den is None or np.isnan(den[k]) else float(den[k])
            b.put(ind, code, value=rnd(v * mult), count=rnd(v * d, 1) if d else None,
                  denominator=d, row=int(df.index[k]) + 1)
    return b

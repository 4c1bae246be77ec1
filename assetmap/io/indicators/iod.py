"""English Indices of Deprivation 2019: the long file (``lsoa11cd, index_domain, decile,
rank, score, year``) and the wide MHCLG files (File_1/2/5/7 columns such as
"Index of Multiple Deprivation (IMD) Score" or "... Rank (where 1 is most deprived)")."""
from __future__ import annotations

import re

from ..common import blank, find_col
from .batch import IndicatorBatch, clean_code, num, rnd, year_of

_IOD_LONG = {"Index of Multiple Deprivation": [("imd_score", "score", 1.0),
                                               ("imd_decile", "decile", 1.0),
                                               ("imd_rank", "rank", 1.0)],
             "Income Deprivation Affecting Older People": [("idaopi", "score", 100.0)]}

_IOD_WIDE = [  # (indicator, column regex, multiplier)
    ("imd_score", r"^index of multiple deprivation \(imd\) score", 1.0),
    ("imd_rank", r"^index of multiple deprivation \(imd\) rank", 1.0),
    ("imd_decile", r"^index of multiple deprivation \(imd\) decile", 1.0),
    ("idaopi", r"^income deprivation affecting older people \(idaopi\) score", 100.0),
]


def read_iod_long(df, file, bad) -> IndicatorBatch | None:
    """The IoD long file as a batch (the 2019 rows when it has several years), or None."""
    if not {"index_domain", "score"} <= set(df.columns):
        return None
    code_col = find_col(df.columns, ["lsoa11cd", "lsoa21cd", "lsoa_code", "area_code"])
    if code_col is None:
        return None
    b = IndicatorBatch("iod_long", code_year=year_of(code_col) or "2011")
    data, year = _one_year(df, b)
    for i, rec in zip(data.index + 1, data.to_dict("records")):
        dom = str(rec["index_domain"]).strip()
        if dom not in _IOD_LONG:
            continue
        code = clean_code(bad, rec[code_col], i, code_col)
        if code is None:
            continue
        for ind, col, mult in _IOD_LONG[dom]:
            if col not in rec:
                continue
            v = num(bad, rec[col], i, col)
            if v is None:
                continue
            b.want(ind, period=year)
            b.put(ind, code, value=rnd(v * mult), row=int(i))
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


def read_iod_wide(df, file, bad) -> IndicatorBatch | None:
    """A wide MHCLG IoD 2019 file as a batch, or None when no IoD column is there."""
    found = {}
    for ind, pat, mult in _IOD_WIDE:
        c = next((c for c in df.columns if re.match(pat, c.strip(), re.I)), None)
        if c:
            found[ind] = (c, mult)
    if not found:
        return None
    code_col = find_col(df.columns, ["LSOA code (2011)", "LSOA code (2021)", "lsoa11cd",
                                     "lsoa21cd", "area_code"], required=True, file=file,
                        what="LSOA code (2011)")
    den_col = next((c for c in df.columns if re.match(r"^older population aged 60 and over",
                                                      c.strip(), re.I)), None)
    b = IndicatorBatch("iod_wide", code_year=year_of(code_col) or "2011")
    for i, rec in enumerate(df.to_dict("records"), start=1):
        code = clean_code(bad, rec[code_col], i, code_col)
        if code is None:
            continue
        for ind, (col, mult) in found.items():
            v = num(bad, rec[col], i, col)
            if v is None:
                continue
            b.want(ind, period="2019")
            if ind == "idaopi" and den_col:
                den = num(bad, rec[den_col], i, den_col)
                b.put(ind, code, value=rnd(v * mult), count=rnd(v * den, 1) if den else None,
                      denominator=den, row=i)
            else:
                b.put(ind, code, value=rnd(v * mult), row=i)
    return b

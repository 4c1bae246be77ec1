"""Layouts that are not one publisher's: AssetMap's own long layout (``area_code,
indicator_id, value, count, denominator, lower_ci, upper_ci``) and wide layout (one column
per indicator id with optional ``<id>_count`` / ``_denominator`` / ``_lower_ci`` /
``_upper_ci`` columns), and other long files with ``area_code, indicator, [measure], value``
(one indicator per distinct ``indicator`` text)."""
from __future__ import annotations

import re

from ... import model
from ..common import blank, find_col
from .batch import VALUE_COLS, IndicatorBatch, clean_code, num, year_of


def read_own_long(df, file, bad) -> IndicatorBatch | None:
    """AssetMap's long layout as a batch, or None when ``df`` is not in it."""
    code_col = find_col(df.columns, ["area_code", "code"])
    ind_col = find_col(df.columns, ["indicator_id"])
    if code_col is None or ind_col is None or "value" not in df.columns:
        return None
    b = IndicatorBatch("long", code_year=year_of(code_col))
    meta_cols = [c for c in model.INDICATOR_COLUMNS if c != "id" and c in df.columns]
    b.used |= {code_col, ind_col, *meta_cols, *(set(VALUE_COLS) & set(df.columns))}
    for i, rec in enumerate(df.to_dict("records"), start=1):
        code = clean_code(bad, rec[code_col], i, code_col)
        ind = None if blank(rec[ind_col]) else str(rec[ind_col]).strip()
        if ind is None:
            bad.add(i, ind_col, "the indicator id is blank")
        if code is None or ind is None:
            continue
        b.want(ind, **{c: (None if blank(rec[c]) else str(rec[c])) for c in meta_cols})
        vals = {k: num(bad, rec[k], i, k) for k in VALUE_COLS if k in rec}
        b.put(ind, code, row=i, **vals)
    return b


def read_own_wide(df, file, bad, known_ids) -> IndicatorBatch | None:
    """AssetMap's wide layout (columns named by ``known_ids``) as a batch, or None."""
    code_col = find_col(df.columns, ["area_code", "code", "LSOA21CD", "LSOA11CD", "MSOA21CD",
                                     "lsoa_code", "ward_code", "geography code",
                                     "Area Code"])
    if code_col is None:
        return None
    ids = [c for c in df.columns if c in known_ids]
    if not ids:
        return None
    b = IndicatorBatch("wide", code_year=year_of(code_col))
    b.used |= {code_col, *ids} | {f"{i}_{k}" for i in ids for k in VALUE_COLS[1:]}
    for i, rec in enumerate(df.to_dict("records"), start=1):
        code = clean_code(bad, rec[code_col], i, code_col)
        if code is None:
            continue
        for ind in ids:
            vals = {"value": num(bad, rec[ind], i, ind)}
            for k in ("count", "denominator", "lower_ci", "upper_ci"):
                c = f"{ind}_{k}"
                if c in rec:
                    vals[k] = num(bad, rec[c], i, c)
            if all(v is None for v in vals.values()):
                continue
            b.want(ind)
            b.put(ind, code, row=i, **vals)
    return b


def _slug(s: str) -> str:
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9]+", "_", s.lower())).strip("_")[:60] or "indicator"


def read_named_long(df, file, bad) -> IndicatorBatch | None:
    """area_code, indicator (text), [measure], [unit], [period], value."""
    if not {"area_code", "indicator", "value"} <= set(df.columns):
        return None
    b = IndicatorBatch("named_long", code_year=year_of("area_code"))
    b.used |= {"area_code", "indicator", "value", "measure", "unit", "period"}
    for (name, code), g in _named_groups(df, bad).items():
        ind = _slug(name)
        pct = next((g[m] for m in ("percentage", "percent", "proportion", "rate", "score", "")
                    if m in g), None)
        cnt = g.get("count")
        unit = "%" if "percentage" in g or "percent" in g else str(g.get("unit") or "")[:40]
        if pct is None:
            pct = next(v for k, v in g.items() if k not in ("row", "unit", "period"))
            unit = str(g.get("unit") or "")[:40]
        b.want(ind, title=name[:300], unit=unit,
               period=None if blank(g.get("period")) else str(g["period"])[:60])
        b.put(ind, code, value=pct, count=cnt if cnt is not pct else None, row=g["row"])
    return b


def _named_groups(df, bad) -> dict[tuple, dict]:
    """(indicator text, area code) -> {measure: value, "row", "unit", "period"}."""
    has_measure = "measure" in df.columns
    groups: dict[tuple, dict] = {}
    for i, rec in enumerate(df.to_dict("records"), start=1):
        code = clean_code(bad, rec["area_code"], i, "area_code")
        v = num(bad, rec["value"], i, "value")
        if code is None or v is None:
            continue
        name = str(rec["indicator"]).strip()
        measure = str(rec.get("measure") or "").strip().lower() if has_measure else ""
        g = groups.setdefault((name, code), {"row": i})
        g[measure] = v
        g["unit"] = rec.get("unit")
        g["period"] = rec.get("period")
    return groups

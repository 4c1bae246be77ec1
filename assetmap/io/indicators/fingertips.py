"""Fingertips (OHID) exports (``Indicator ID, Indicator Name, Area Code, Value, Lower CI 95.0
limit, ..., Count, Denominator``): the latest period of each indicator, persons, no
category breakdowns; each indicator becomes ``ph_<Indicator ID>``.

An export does not state an indicator's polarity, but its "Compared to England value or
percentiles" column does in effect: an area above England flagged "Worse" means high is
bad. The polarity is taken from those flags (neutral when they only say higher/lower), and
England's own row (E92000001) becomes the England benchmark the analysis compares with
(store meta ``england_benchmarks``)."""
from __future__ import annotations

import re

from ... import model
from ..common import blank, find_col
from .batch import IndicatorBatch, num

_COLUMNS = ["Indicator ID", "Indicator Name", "Area Code", "Value", "Lower CI 95.0 limit",
            "Upper CI 95.0 limit", "Count", "Denominator", "Time period", "Sex", "Age",
            "Time period Sortable", "Category Type", "Compared to England value or percentiles"]
ENGLAND = "E92000001"
#: Codes of England (E92), its regions (E12) and the UK/GB/E&W (K02-K04): comparators.
_BENCHMARK_PREFIXES = ("E92", "E12", "K02", "K03", "K04")
_VALUES = (("value", "Value"), ("lower_ci", "Lower CI 95.0 limit"),
           ("upper_ci", "Upper CI 95.0 limit"), ("count", "Count"),
           ("denominator", "Denominator"))


def read_fingertips(df, file, bad) -> IndicatorBatch | None:
    """A Fingertips export as a batch, or None when ``df`` is not one."""
    if not {"Indicator ID", "Area Code", "Value"} <= set(df.columns):
        return None
    col = {c: find_col(df.columns, [c]) for c in _COLUMNS}
    data = _latest_persons(df, col)
    b = IndicatorBatch("fingertips")
    b.used |= {c for c in col.values() if c}
    england = _england(data, col)
    polarity = _polarities(data, col, england)
    if col["Compared to England value or percentiles"]:
        b.used.add(col["Compared to England value or percentiles"])
    b.benchmarks = england
    for i, rec in zip(data.index + 1, data.to_dict("records")):
        code = str(rec[col["Area Code"]]).strip().upper()
        if not model.AREA_CODE_RE.match(code) or code[:3] in _BENCHMARK_PREFIXES:
            continue   # England, its regions, the UK: benchmarks, not areas
        ind = _ind(rec[col["Indicator ID"]])
        b.want(ind, title=str(rec.get(col["Indicator Name"]) or ind)[:300], ci_method="given",
               source="Fingertips (OHID)", unit="", polarity=polarity.get(ind),
               period=str(rec.get(col["Time period"]) or "")[:60] or None)
        vals = {k: num(bad, rec[col[c]], int(i), col[c]) if col[c] else None
                for k, c in _VALUES}
        b.put(ind, code, row=int(i), **vals)
    return b


def _latest_persons(df, col: dict):
    """The rows without a category breakdown, for persons (when the file has them), of each
    indicator's latest time period."""
    data = df.copy()
    if col["Category Type"]:
        data = data[data[col["Category Type"]].map(blank)]
    if col["Sex"] and (data[col["Sex"]] == "Persons").any():
        data = data[data[col["Sex"]] == "Persons"]
    order = col["Time period Sortable"] or col["Time period"]
    if order:
        latest = data.groupby(col["Indicator ID"])[order].transform("max")
        data = data[data[order] == latest]
    return data


def _ind(v) -> str:
    return "ph_" + re.sub(r"\W", "", str(v))


def _england(data, col: dict) -> dict:
    """Indicator id -> England's value, from the export's E92000001 rows."""
    eng = data[data[col["Area Code"]].astype(str).str.strip().str.upper() == ENGLAND]
    out = {}
    for ind, v in zip(eng[col["Indicator ID"]], eng[col["Value"]]):
        try:
            out[_ind(ind)] = float(str(v).replace(",", ""))
        except ValueError:
            continue
    return out


def _polarities(data, col: dict, england: dict) -> dict:
    """Indicator id -> polarity, from areas' "Compared to England" flags against England's
    value: "Worse" above England (or "Better" below) means high is bad; only "Higher" /
    "Lower" flags, neutral; none, not known (left to the default)."""
    flag_col = col["Compared to England value or percentiles"]
    if flag_col is None:
        return {}
    votes: dict[str, list[str]] = {}
    for ind, v, flag in zip(data[col["Indicator ID"]], data[col["Value"]], data[flag_col]):
        ind, flag = _ind(ind), str(flag).strip().lower()
        try:
            above = float(str(v).replace(",", "")) > england[ind]
        except (KeyError, ValueError):
            above = None
        if flag in ("better", "worse") and above is not None:
            votes.setdefault(ind, []).append("high_bad" if (flag == "worse") == above
                                             else "high_good")
        elif flag in ("higher", "lower"):
            votes.setdefault(ind, []).append("neutral")
    return {k: max(set(v), key=v.count) for k, v in votes.items()}

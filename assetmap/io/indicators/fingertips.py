"""Fingertips (OHID) exports (``Indicator ID, Indicator Name, Area Code, Value, Lower CI 95.0
limit, ..., Count, Denominator``): the latest period of each indicator, persons, no
category breakdowns; each indicator becomes ``ph_<Indicator ID>``."""
from __future__ import annotations

import re

from ... import model
from ..common import blank, find_col
from .batch import IndicatorBatch, num

_COLUMNS = ["Indicator ID", "Indicator Name", "Area Code", "Value", "Lower CI 95.0 limit",
            "Upper CI 95.0 limit", "Count", "Denominator", "Time period", "Sex", "Age",
            "Time period Sortable", "Category Type"]
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
    for i, rec in zip(data.index + 1, data.to_dict("records")):
        code = str(rec[col["Area Code"]]).strip().upper()
        if not model.AREA_CODE_RE.match(code):
            continue   # England / region rows with other codes are skipped below anyway
        ind = "ph_" + re.sub(r"\W", "", str(rec[col["Indicator ID"]]))
        b.want(ind, title=str(rec.get(col["Indicator Name"]) or ind)[:300], ci_method="given",
               source="Fingertips (OHID)", unit="",
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

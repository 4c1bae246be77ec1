"""``import_indicators``: read a file, re-key it to the stored areas, check its area codes
and write indicators, values, area populations and derived loneliness inputs in one
transaction."""
from __future__ import annotations

import pandas as pd

from ... import model
from ...errors import InputError
from ..common import BadRows, ImportReport
from .codes import save_lookup, translate_codes
from .loneliness import DERIVED_FROM, derive_living_alone, derive_loneliness_inputs
from .readers import read_indicator_file


def import_indicators(store, path, *, mapping=None, skip_bad: bool = False) -> ImportReport:
    """Read an indicator (or lookup) file and store it in one transaction."""
    report = ImportReport("indicators", str(path))
    known = set(store.read_indicators()["id"])
    batch = read_indicator_file(path, mapping=mapping, skip_bad=skip_bad, report=report,
                                known_ids=known)
    report.notes.extend(batch.notes)
    file = str(path)
    with store.transaction() as conn:
        if batch.kind == "lsoa_lookup":
            n = save_lookup(store, conn, batch.lookup)
            report.add("lookup rows", n)
            report.notes.append("LSOA 2011 -> 2021 lookup stored; later files keyed by 2011 "
                                "codes are joined to the stored 2021 areas")
            return report
        values = translate_codes(batch, store, conn, report)
        values = _check_area_codes(values, store, conn, file, skip_bad, report)
        if not values:
            raise InputError("none of the file's area codes are in the store (import the "
                             "boundaries, and for 2011 codes the ONS LSOA lookup, first)",
                             file=file, field="area_code")
        _write(store, conn, batch, values, file, report)
    return report


def _write(store, conn, batch, values, file, report) -> None:
    """Indicators, values, area populations, then the derived indicators they allow
    (living alone over the residents aged 66+, the loneliness inputs)."""
    used = {v["indicator_id"] for v in values}
    meta = pd.DataFrame([m for k, m in batch.meta.items() if k in used])
    report.add("indicators", store.write_indicators(meta, conn=conn, file=file))
    vdf = pd.DataFrame(values).drop(columns="_row")
    vdf = vdf.drop_duplicates(["indicator_id", "area_code"], keep="first")
    report.add("values", store.write_values(vdf, conn=conn, file=file))
    if batch.area_columns:
        report.add("areas updated", _write_area_columns(store, conn, batch.area_columns))
    derive = bool(used & set(DERIVED_FROM) or batch.area_columns)
    n = derive_living_alone(store, conn) if derive else 0
    if n:
        report.notes.append(f"living_alone_65 (people aged 66+ living alone, % of residents "
                            f"aged 66+) derived for {n} areas")
    k = derive_loneliness_inputs(store, conn) if derive else 0
    if k:
        report.notes.append(f"loneliness model input lon_household_size derived for {k} "
                            "areas")


def _check_area_codes(values, store, conn, file, skip_bad, report):
    """The values of stored areas. A file mostly outside the store (national, regional)
    keeps its stored areas' rows with a note; otherwise unknown codes are bad rows."""
    stored = set(store.read_areas(level=None, conn=conn)["code"])
    codes = {v["area_code"] for v in values}
    unknown = codes - stored
    if not unknown:
        return values
    matched = len(codes) - len(unknown)
    if matched and matched / len(codes) < 0.5:
        # a national or regional file: keep this store's areas, say how many were left out
        report.notes.append(f"{len(unknown)} area codes in the file are outside the stored "
                            f"areas and were ignored ({matched} matched)")
        return [v for v in values if v["area_code"] in stored]
    if matched == 0:
        return []
    bad = BadRows(file, skip_bad, report)
    seen = set()
    for v in values:
        c = v["area_code"]
        if c in unknown and c not in seen:
            seen.add(c)
            bad.add(v["_row"], "area_code", f"unknown area code '{c}' (not among the stored "
                                            "areas)")
    bad.check()
    return [v for v in values if v["area_code"] in stored]


def _write_area_columns(store, conn, area_columns) -> int:
    """Population by age band onto the stored areas; the number of areas updated."""
    codes = [c for c in area_columns]
    areas = store.read_areas(level=None, codes=codes, conn=conn)
    if areas.empty:
        return 0
    for col in model.AGE_BANDS:
        areas[col] = [area_columns.get(c, {}).get(col, v) for c, v in
                      zip(areas["code"], areas[col])]
    store.write_areas(areas, conn=conn, file="population by age")
    return len(areas)

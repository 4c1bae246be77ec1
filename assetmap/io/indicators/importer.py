"""``import_indicators``: read a file, re-key it to the stored areas, check its area codes
and write indicators, values, area populations and derived loneliness inputs in one
transaction (:func:`store_batch` does the writing, also for ``assetmap area``)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ... import model
from ...errors import InputError
from ..common import BadRows, ImportReport
from ..place import place_code, set_place
from .codes import save_lookup, translate_codes
from .loneliness import DERIVED_FROM, derive_living_alone, derive_loneliness_inputs
from .readers import read_indicator_file

#: Store meta key: where the stored population by age band came from, and whether it is
#: only a stand-in ("fallback: ...") that a better source replaces.
POPULATION_META = "population_source"


def import_indicators(store, path, *, mapping=None, skip_bad: bool = False) -> ImportReport:
    """Read an indicator (or lookup) file and store it in one transaction."""
    report = ImportReport("indicators", str(path))
    known = set(store.read_indicators()["id"])
    batch = read_indicator_file(path, mapping=mapping, skip_bad=skip_bad, report=report,
                                known_ids=known)
    with store.transaction() as conn:
        store_batch(store, conn, batch, str(path), skip_bad, report)
    return report


def store_batch(store, conn, batch, file: str, skip_bad: bool, report: ImportReport) -> None:
    """Write one read file (``batch``) inside the caller's transaction ``conn``."""
    report.notes.extend(batch.notes)
    if batch.kind == "lsoa_lookup":
        n = save_lookup(store, conn, batch.lookup)
        report.add("lookup rows", n)
        _place_from_lookup(store, conn, batch.lookup, report)
        report.notes.append("LSOA 2011 -> 2021 lookup stored; later files keyed by either "
                            "vintage are joined to the stored areas")
        return
    values = translate_codes(batch, store, conn, report)
    values = _check_area_codes(values, store, conn, file, skip_bad, report)
    stored = set(store.read_areas(level=None, conn=conn)["code"])
    if not values and not set(batch.area_columns) & stored:
        raise InputError("none of the file's area codes are in the store (import the "
                         "boundaries, and for codes of the other census the ONS LSOA lookup, "
                         "first)", file=file, field="area_code")
    _write(store, conn, batch, values, file, report)


def _place_from_lookup(store, conn, lk, report) -> None:
    """Name the store's place from the lookup (its ONS code and name) when nothing has
    given it a code yet: the authority most of the stored LSOAs belong to."""
    if "lad" not in lk or place_code(store, conn):
        return
    codes = set(store.read_areas(level=None, conn=conn)["code"])
    rows = lk[lk["new"].isin(codes) | lk["old"].isin(codes)]
    if rows.empty:
        return
    code = str(rows["lad"].mode().iloc[0])
    name = None
    if "lad_name" in rows:
        name = str(rows.loc[rows["lad"] == code, "lad_name"].iloc[0]) or None
    set_place(store, conn, name=name if not store.get_meta("area_name", conn=conn) else None,
              code=code)
    report.notes.append(f"the store's place is {name or code} ({code}), as the lookup says")


def _write(store, conn, batch, values, file, report) -> None:
    """Indicators, values, area populations, then the derived indicators they allow
    (living alone over the residents aged 66+, the loneliness inputs)."""
    used = {v["indicator_id"] for v in values}
    if values:
        meta = pd.DataFrame([m for k, m in batch.meta.items() if k in used])
        report.add("indicators", store.write_indicators(meta, conn=conn, file=file))
        vdf = pd.DataFrame(values).drop(columns=["_row", "_src"], errors="ignore")
        vdf = vdf.drop_duplicates(["indicator_id", "area_code"], keep="first")
        report.add("values", store.write_values(vdf, conn=conn, file=file))
    if batch.benchmarks:
        _write_benchmarks(store, conn, {k: v for k, v in batch.benchmarks.items() if k in used},
                          report)
    if batch.area_columns:
        n = _write_population(store, conn, batch, report)
        if n:
            report.add("areas updated", n)
    derive = bool(used & set(DERIVED_FROM) or batch.area_columns)
    n = derive_living_alone(store, conn) if derive else 0
    if n:
        report.notes.append(f"living_alone_65 (people aged 66+ living alone, % of residents "
                            f"aged 66+) derived for {n} areas")
    k = derive_loneliness_inputs(store, conn) if derive else 0
    if k:
        report.notes.append(f"loneliness model input lon_household_size derived for {k} "
                            "areas")


def _write_benchmarks(store, conn, england: dict, report) -> None:
    """England's values into the store meta the analysis compares with."""
    if not england:
        return
    try:
        have = json.loads(store.get_meta("england_benchmarks", conn=conn) or "{}")
    except ValueError:
        have = {}
    have.update(england)
    store.set_meta("england_benchmarks", json.dumps(have, sort_keys=True), conn=conn)
    report.notes.append(f"England values kept as benchmarks for {len(england)} indicator(s)")


def _check_area_codes(values, store, conn, file, skip_bad, report):
    """The values of stored areas. A file mostly outside the store (national, regional)
    keeps its stored areas' rows with a note; otherwise unknown codes are bad rows, named
    by the code the file gives (before any re-keying)."""
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
        src = v.get("_src", c)
        if c in unknown and src not in seen:
            seen.add(src)
            via = "" if src == c else f" (through the lookup: '{c}')"
            bad.add(v["_row"], "area_code", f"unknown area code '{src}'{via} (not among the "
                                            "stored areas)")
    bad.check()
    return [v for v in values if v["area_code"] in stored]


def _write_population(store, conn, batch, report) -> int:
    """Population by age band onto the stored areas; the number of areas updated. A
    stand-in (``batch.population_fallback``) fills only areas without a population, unless
    the stored one is itself a stand-in."""
    areas = store.read_areas(level=None, codes=list(batch.area_columns), conn=conn)
    if areas.empty:
        return 0
    current = store.get_meta(POPULATION_META, conn=conn) or ""
    bands = list(model.AGE_BANDS)
    has = areas[bands].notna().any(axis=1).to_numpy()
    if batch.population_fallback and not current.startswith("fallback:"):
        keep = ~has
        if not keep.any():
            report.notes.append(f"population kept from {current or 'earlier imports'}; the "
                                "file's stand-in population was not used")
            return 0
        if has.any():
            report.notes.append(f"{int(has.sum())} areas kept their population from "
                                f"{current or 'earlier imports'}")
        areas = areas[keep]
    for col in bands:
        areas[col] = [batch.area_columns.get(c, {}).get(col, v) for c, v in
                      zip(areas["code"], areas[col])]
    store.write_areas(areas, conn=conn, file="population by age")
    source = batch.population_source or "Census 2021 (ONS), age"
    if not (batch.population_fallback and current and not current.startswith("fallback:")):
        store.set_meta(POPULATION_META, ("fallback: " if batch.population_fallback else "")
                       + source, conn=conn)
    total = float(np.nansum(areas[bands].to_numpy(dtype=float)))
    report.notes.append(f"population by age band for {len(areas)} areas from {source} "
                        f"({total:,.0f} people)")
    return len(areas)

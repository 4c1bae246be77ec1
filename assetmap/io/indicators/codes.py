"""The ONS "LSOA (2011) to LSOA (2021) to Local Authority District (2022)" lookup: reading it,
keeping it (store blob ``lsoa_lookup``), and re-keying a file's values to the code vintage
of the stored areas, in either direction:

* 2011 codes onto 2021 areas: an area merged from several 2011 LSOAs takes their weighted
  mean (counts summed), an area split from one takes its parent's value (counts unknown);
  a 2021 LSOA missing from the lookup (the lookup lists one successor per 2011 code)
  inherits from the 2011 LSOA split into its neighbour of the same MSOA;
* 2021 codes onto 2011 areas (a store built from 2011 centroids or polygons): the same
  rules the other way round; a 2021 code missing from the lookup is placed by its name's
  MSOA stem when the file names its areas.

Population counts (``area_columns``) are shared out, not copied: an area split in two gets
half its parent's people. Values keep the file's own code (``_src``), so errors name codes
that are really in the file.
"""
from __future__ import annotations

import io
import re

import pandas as pd

from ... import model
from ..common import ImportReport, find_col
from .batch import IndicatorBatch, rnd

LOOKUP_BLOB = "lsoa_lookup"
_NAME_COLUMNS = (("old_name", "LSOA11NM"), ("new_name", "LSOA21NM"))
_LAD_CODES = ["LAD22CD", "LAD21CD", "LAD23CD", "LAD24CD"]
_LAD_NAMES = ["LAD22NM", "LAD21NM", "LAD23NM", "LAD24NM"]


def read_lookup_file(df, file, bad) -> IndicatorBatch | None:
    """The lookup file as a batch holding the lookup (``old, new, [lad, old_name,
    new_name, lad_name]``), or None when ``df`` has no LSOA11CD and LSOA21CD columns."""
    old = find_col(df.columns, ["LSOA11CD"])
    new = find_col(df.columns, ["LSOA21CD"])
    if old is None or new is None:
        return None
    lk = pd.DataFrame({"old": df[old].str.strip().str.upper(),
                       "new": df[new].str.strip().str.upper()})
    lad = find_col(df.columns, _LAD_CODES)
    if lad:
        lk["lad"] = df[lad].str.strip().str.upper()
        lad_name = find_col(df.columns, _LAD_NAMES)
        if lad_name:
            lk["lad_name"] = df[lad_name].str.strip()
    for key, col in _NAME_COLUMNS:
        c = find_col(df.columns, [col])
        if c:
            lk[key] = df[c].str.strip()
    for key, col in (("old", old), ("new", new)):
        ok = lk[key].fillna("").str.match(model.AREA_CODE_RE.pattern)
        for i in lk.index[~ok.to_numpy()]:
            bad.add(int(i) + 1, col, f"'{lk.at[i, key]}' is not an ONS area code")
    return IndicatorBatch("lsoa_lookup", lookup=lk)


def load_lookup(store, conn=None) -> pd.DataFrame | None:
    """The stored lookup (columns ``old, new, [lad]``), or None when none is stored."""
    blob = store.get_blob(LOOKUP_BLOB, conn=conn)
    if blob is None:
        return None
    return pd.read_csv(io.BytesIO(blob[0]), dtype=str, keep_default_na=False)


def save_lookup(store, conn, lk: pd.DataFrame) -> int:
    """Store the lookup rows that touch the store's areas (and their LA); the row count."""
    areas = store.read_areas(level=None, conn=conn)
    if not areas.empty:   # keep the rows that touch this store's areas (and their LA)
        codes = set(areas["code"])
        keep = lk["new"].isin(codes) | lk["old"].isin(codes)
        if "lad" in lk:
            lads = set(lk.loc[keep, "lad"]) | codes
            keep |= lk["lad"].isin(lads)
        lk = lk[keep]
    store.put_blob(LOOKUP_BLOB, lk.to_csv(index=False).encode(), conn=conn)
    return len(lk)


def parents_for_orphans(lk: pd.DataFrame, stored: pd.DataFrame) -> dict:
    """2021 LSOAs missing from a one-row-per-2011-code lookup (the second half of a split)
    inherit from the 2011 LSOA that was split into a neighbouring new-coded 2021 LSOA of the
    same MSOA (same name stem, e.g. 'Trafford 001G' and 'Trafford 001H')."""
    lsoa = stored[stored["level"] == "lsoa"]
    covered = set(lk["new"])
    orphans = lsoa[~lsoa["code"].isin(covered)]
    if orphans.empty:
        return {}
    changed = lk[lk["old"] != lk["new"]]
    by_new = changed.groupby("new")["old"].apply(list).to_dict()
    geo = lsoa.set_index("code")
    out = {}
    for code, name, geom in zip(orphans["code"], orphans["name"], orphans.geometry):
        stem = re.sub(r"[A-Z]$", "", str(name))
        best, best_len = None, 0.0
        for new, olds in by_new.items():
            if new not in geo.index or new == code:
                continue
            if re.sub(r"[A-Z]$", "", str(geo.at[new, "name"])) != stem:
                continue
            shared = geom.intersection(geo.at[new, "geometry"]).length
            if shared > best_len or best is None:
                best, best_len = olds, shared
        if best:
            out[code] = best
    return out


def vintage(codes, lk: pd.DataFrame) -> str | None:
    """The census vintage ("2011" or "2021") of a set of LSOA codes: which side of the
    lookup holds more of the codes that changed; None when no code tells (every code the
    same in both, or none in the lookup)."""
    lsoa = {c for c in codes if str(c)[:3] in ("E01", "W01")}
    old, new = set(lk["old"]), set(lk["new"])
    only11, only21 = len(lsoa & (old - new)), len(lsoa & (new - old))
    if only11 == only21:
        return None
    return "2011" if only11 > only21 else "2021"


def translate_codes(batch: IndicatorBatch, store, conn, report: ImportReport) -> list[dict]:
    """The batch's values re-keyed to the vintage of the stored areas (and its
    ``area_columns`` too), through the stored lookup; unchanged when the file is already in
    the store's vintage or no lookup is stored. Every value keeps its file code (``_src``)."""
    values = [dict(v, _src=v.get("_src", v["area_code"])) for v in batch.values]
    lk = load_lookup(store, conn)
    if lk is None:
        return values
    stored = store.read_areas(level=None, conn=conn)
    store_year = vintage(stored["code"], lk)
    file_codes = {v["area_code"] for v in values} | set(batch.area_columns)
    file_year = batch.code_year or vintage(file_codes, lk)
    if store_year is None or file_year is None or store_year == file_year:
        return values
    if file_year == "2011":
        mapping = _old_to_new(lk, stored)
    else:
        mapping = _new_to_old(lk, batch.names, report)
    out, merged, split = _rekeyed(values, mapping)
    batch.area_columns = _shared_counts(batch.area_columns, mapping)
    report.notes.append(f"{file_year} area codes joined to the stored {store_year} areas "
                        f"through the ONS lookup ({len(merged)} areas merged from several, "
                        f"{len(split)} areas split from one given their parent's value)")
    return out


def _old_to_new(lk: pd.DataFrame, stored: pd.DataFrame) -> dict:
    """2011 code -> its 2021 codes, orphans of a split included."""
    old_to_new = lk.groupby("old")["new"].apply(list).to_dict()
    for new, olds in parents_for_orphans(lk, stored).items():
        for o in olds:
            old_to_new.setdefault(o, []).append(new)
    return old_to_new


def _new_to_old(lk: pd.DataFrame, names: dict, report: ImportReport) -> dict:
    """2021 code -> its 2011 codes; a 2021 code the lookup lacks (the other half of a
    split) goes to the 2011 LSOA split into a same-stem successor, when the file names it."""
    new_to_old = lk.groupby("new")["old"].apply(list).to_dict()
    if "new_name" not in lk or not names:
        return new_to_old
    changed = lk[lk["old"] != lk["new"]]
    by_stem = changed.groupby(changed["new_name"].map(_stem))["old"].apply(set).to_dict()
    for code, name in names.items():
        if code in new_to_old:
            continue
        olds = by_stem.get(_stem(name), set())
        if len(olds) == 1:
            new_to_old[code] = sorted(olds)
        elif olds:
            report.notes.append(f"{code} ({name}) is not in the lookup and could be part of "
                                f"{len(olds)} 2011 areas: left out")
    return new_to_old


def _stem(name) -> str:
    return re.sub(r"[A-Z]$", "", str(name).strip())


def _shared_counts(area_columns: dict, mapping: dict) -> dict:
    """Population counts re-keyed: each source area's people shared equally among the
    areas it maps to, then summed per target area."""
    out: dict[str, dict] = {}
    for code, cols in area_columns.items():
        targets = sorted(set(mapping.get(code, [code])))
        for t in targets:
            d = out.setdefault(t, {})
            for k, v in cols.items():
                if v is not None:
                    d[k] = rnd((d.get(k) or 0.0) + v / len(targets), 3)
    return out


def _rekeyed(values: list, mapping: dict) -> tuple[list, set, set]:
    """Values per (indicator, target code), and the target codes merged from several
    source areas and split from one (``mapping``: source code -> target codes)."""
    groups: dict[tuple, list] = {}
    for v in values:
        for new in mapping.get(v["area_code"], [v["area_code"]]):
            groups.setdefault((v["indicator_id"], new), []).append(v)
    out = []
    merged, split = set(), set()
    split_olds = {o for o, ns in mapping.items() if len(set(ns)) > 1}
    for (ind, new), vs in groups.items():
        if len(vs) == 1:
            v = dict(vs[0], area_code=new)
            if v["area_code"] != vs[0]["area_code"] and vs[0]["area_code"] in split_olds:
                split.add(new)
                v["count"] = v["denominator"] = None   # a split area's counts are unknown
            out.append(v)
            continue
        merged.add(new)
        out.append(_merged(ind, new, vs))
    return out, merged, split


def _merged(ind: str, new: str, vs: list) -> dict:
    """One value from several 2011 areas' values: the denominator-weighted mean when every
    one has a denominator, else the plain mean; counts and denominators summed."""
    den = [x["denominator"] for x in vs]
    val = [x["value"] for x in vs]
    if all(d for d in den) and all(x is not None for x in val):
        value = sum(x * d for x, d in zip(val, den)) / sum(den)
    else:
        vv = [x for x in val if x is not None]
        value = sum(vv) / len(vv) if vv else None
    cnt = [x["count"] for x in vs]
    return {"indicator_id": ind, "area_code": new, "value": rnd(value),
            "count": sum(cnt) if all(c is not None for c in cnt) else None,
            "denominator": sum(den) if all(d is not None for d in den) else None,
            "lower_ci": None, "upper_ci": None, "_row": vs[0]["_row"],
            "_src": vs[0].get("_src", vs[0]["area_code"])}

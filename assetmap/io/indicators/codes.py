"""The ONS "LSOA (2011) to LSOA (2021) to Local Authority District (2022)" lookup: reading it,
keeping it (store blob ``lsoa_lookup``), and re-keying values given by 2011 LSOA codes to
the stored 2021 areas (merged areas take the weighted mean, split areas their parent's
value; a 2021 LSOA missing from the lookup inherits from its split MSOA neighbour)."""
from __future__ import annotations

import io
import re

import pandas as pd

from ... import model
from ..common import ImportReport, find_col
from .batch import IndicatorBatch, rnd

LOOKUP_BLOB = "lsoa_lookup"


def read_lookup_file(df, file, bad) -> IndicatorBatch | None:
    """The lookup file as a batch holding the lookup (``old, new, [lad]``), or None when
    ``df`` has no LSOA11CD and LSOA21CD columns."""
    old = find_col(df.columns, ["LSOA11CD"])
    new = find_col(df.columns, ["LSOA21CD"])
    if old is None or new is None:
        return None
    lad = find_col(df.columns, ["LAD22CD", "LAD21CD", "LAD23CD"])
    lk = pd.DataFrame({"old": df[old].str.strip().str.upper(),
                       "new": df[new].str.strip().str.upper()})
    if lad:
        lk["lad"] = df[lad].str.strip().str.upper()
    for i, (o, n) in enumerate(zip(lk["old"], lk["new"]), start=1):
        if not model.AREA_CODE_RE.match(o or ""):
            bad.add(i, old, f"'{o}' is not an ONS area code")
        if not model.AREA_CODE_RE.match(n or ""):
            bad.add(i, new, f"'{n}' is not an ONS area code")
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


def translate_codes(batch: IndicatorBatch, store, conn, report: ImportReport) -> list[dict]:
    """Values re-keyed to the stored areas: 2011 LSOA codes through the lookup when the
    file is keyed by 2011 codes (or its codes are not stored but the lookup knows them)."""
    values = batch.values
    stored = store.read_areas(level=None, conn=conn)
    stored_codes = set(stored["code"])
    file_codes = {v["area_code"] for v in values}
    direct = len(file_codes & stored_codes)
    lk = load_lookup(store, conn)
    if lk is None or batch.code_year == "2021":
        return values
    old_to_new = _old_to_new(lk, stored)
    via = {n for c in file_codes for n in old_to_new.get(c, []) if n in stored_codes}
    if batch.code_year != "2011" and len(via) <= direct:
        return values
    out, merged, split = _rekeyed(values, old_to_new)
    report.notes.append(f"2011 area codes joined to the stored 2021 areas through the ONS "
                        f"lookup ({len(merged)} areas merged from several, {len(split)} areas "
                        "split from one given their parent's value)")
    return out


def _old_to_new(lk: pd.DataFrame, stored: pd.DataFrame) -> dict:
    """2011 code -> its 2021 codes, orphans of a split included."""
    old_to_new = lk.groupby("old")["new"].apply(list).to_dict()
    for new, olds in parents_for_orphans(lk, stored).items():
        for o in olds:
            old_to_new.setdefault(o, []).append(new)
    return old_to_new


def _rekeyed(values: list, old_to_new: dict) -> tuple[list, set, set]:
    """Values per (indicator, 2021 code), and the 2021 codes merged from several 2011 areas
    and split from one."""
    groups: dict[tuple, list] = {}
    for v in values:
        for new in old_to_new.get(v["area_code"], [v["area_code"]]):
            groups.setdefault((v["indicator_id"], new), []).append(v)
    out = []
    merged, split = set(), set()
    split_olds = {o for o, ns in old_to_new.items() if len(set(ns)) > 1}
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
            "lower_ci": None, "upper_ci": None, "_row": vs[0]["_row"]}

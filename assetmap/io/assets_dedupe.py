"""Imported asset rows matched to stored records and written.

:func:`dedupe_against_store` re-points rows at the stored record they are (same CQC id,
charity or company number, or same name and postcode), keeping planners' decisions and the
record's creation stamp; :func:`write_assets` drops in-file repeats, validates through the
model (bad rows named by their row in the file) and writes assets and providers together.
"""
from __future__ import annotations

import geopandas as gpd
import pandas as pd

from .. import model
from ..errors import InputError, InputErrors
from ..settings import STORAGE_CRS
from .common import BadRows, blank, norm

#: Provider identifiers that make two records the same provider, in order of trust.
_PROVIDER_KEYS = ("cqc_location_id", "charity_number", "company_number")


def dedupe_against_store(assets: list, prov: list, store, conn, report, *,
                         match: bool = True) -> None:
    """Re-point rows at stored records that are the same provider or asset: same CQC id,
    charity or company number, or same name and postcode. Keeps planners' decisions (a
    rejected or retired record stays so) and the record's creation stamp."""
    if not assets:
        return
    by_key = _stored_provider_keys(store.read_providers(conn=conn))
    stored_a = store.read_assets(statuses=None, with_providers=False, cross_border=False,
                                 conn=conn)
    by_np = {(norm(n), p): i for i, n, p in zip(stored_a["id"], stored_a["name"],
                                                  stored_a["postcode"]) if p}
    pmap = {p["asset_id"]: p for p in prov}
    moved = 0
    for a in (assets if match else []):
        p = pmap.get(a["id"])
        new_id = _stored_id(a, p, by_key, by_np)
        if new_id is not None and new_id != a["id"]:
            if p is not None:
                p["asset_id"] = new_id
            a["id"] = new_id
            moved += 1
    if moved:
        report.notes.append(f"{moved} rows matched records already stored (same CQC id, "
                            "charity/company number or name and postcode) and updated them")
    _keep_stored_stamps(assets, stored_a)


def _stored_provider_keys(stored_p: pd.DataFrame) -> dict:
    """(identifier column, normalised value) -> asset id of the stored providers."""
    by_key = {}
    for col in _PROVIDER_KEYS:
        for aid, v in zip(stored_p["asset_id"], stored_p[col]):
            if v:
                by_key[(col, norm(v))] = aid
    return by_key


def _stored_id(a: dict, p: dict | None, by_key: dict, by_np: dict):
    """The id of the stored record row ``a`` (with provider ``p``) is, or None."""
    if p is not None:
        for col in _PROVIDER_KEYS:
            if not blank(p.get(col)) and (col, norm(p[col])) in by_key:
                return by_key[(col, norm(p[col]))]
    if a.get("postcode"):
        return by_np.get((norm(a["name"]), a["postcode"]))
    return None


def _keep_stored_stamps(assets: list, stored_a: pd.DataFrame) -> None:
    """Rows that update a stored record keep its moderation status (when rejected or
    retired, or when the row gives none), creation stamp and first source."""
    ids = [a["id"] for a in assets]
    old = stored_a[stored_a["id"].isin(ids)].set_index("id")
    for a in assets:
        if a["id"] in old.index:
            o = old.loc[a["id"]]
            if o["status"] in ("rejected", "retired") or a.get("status") is None:
                a["status"] = o["status"]
            a["created_at"] = o["created_at"]
            a["created_by"] = o["created_by"]
            a["source"] = o["source"]            # where the record first came from
            a["source_ref"] = o["source_ref"] or a.get("source_ref")


def write_assets(store, conn, assets: list, prov: list, *, file, report, skip_bad) -> None:
    """Drop in-file duplicates, validate through the model (bad rows named by their row in
    the file) and write."""
    seen: dict[str, int] = {}
    keep = []
    for a in assets:
        if a["id"] in seen:
            report.notes.append(f"row {a['_row']} repeats '{a['name']}' (row {seen[a['id']]}): "
                                "the first kept")
            continue
        seen[a["id"]] = a["_row"]
        keep.append(a)
    assets = keep
    prov = _first_provider_each(prov, seen)
    for _ in range(3):
        if not assets:
            break
        gdf = _frame(assets)
        pdf = pd.DataFrame(prov) if prov else None
        if pdf is not None:
            pdf = pdf.reindex(columns=list(model.PROVIDER_COLUMNS))
        try:
            model.validate_assets(gdf, file=file)
            if pdf is not None:
                model.validate_providers(pdf, file=file)
        except InputError as e:
            errs = e.errors if isinstance(e, InputErrors) else [e]
            is_prov = pdf is not None and any(
                x.field in model.PROVIDER_COLUMNS and x.field not in model.ASSET_COLUMNS
                for x in errs)
            remapped = []
            for x in errs:
                src = (prov if is_prov and x.field not in model.ASSET_COLUMNS else assets)
                k = (x.row or 1) - 1
                aid = src[k]["asset_id"] if src is prov else src[k]["id"]
                row = seen.get(aid)
                remapped.append(InputError(x.message, file=file, row=row, field=x.field))
            bad = BadRows(file, skip_bad, report)
            for x in remapped:
                bad.add_error(x)
            bad.check()
            drop = {x.row for x in remapped}
            assets = [a for a in assets if a["_row"] not in drop]
            prov = [p for p in prov if seen.get(p["asset_id"]) not in drop]
            continue
        break
    if not assets:
        raise InputError("no usable rows in the file", file=file)
    gdf = _frame(assets)
    pdf = pd.DataFrame(prov).reindex(columns=list(model.PROVIDER_COLUMNS)) if prov else None
    report.add("assets", store.write_assets(gdf, pdf, conn=conn, file=file))
    if prov:
        report.add("providers", len(prov))


def _frame(assets: list) -> gpd.GeoDataFrame:
    df = pd.DataFrame(assets)
    geom = gpd.points_from_xy(df["lon"].astype(float), df["lat"].astype(float))
    cols = [c for c in model.ASSET_COLUMNS if c in df.columns]
    out = gpd.GeoDataFrame(df[cols], geometry=geom, crs=STORAGE_CRS)
    if "footprint" in df:        # outlines of polygons and lines, for display (store)
        out["footprint"] = [None if isinstance(f, float) else f for f in df["footprint"]]
    return out


def _first_provider_each(prov: list, seen: dict) -> list:
    """The provider records of kept rows, the first of each asset id."""
    pids: set[str] = set()
    out = []
    for p in prov:
        if p["asset_id"] in seen and p["asset_id"] not in pids:
            pids.add(p["asset_id"])
            out.append(p)
    return out

"""CQC care directory -> providers.

Reads the layouts councils get from the Care Quality Commission:

* the care directory CSV (``Name, Address, Postcode, Phone number, Service's website (if
  available), Service types, Date of latest check, Specialisms/services, Provider name,
  Local authority, Location URL, CQC Location ID (for office use only), ...``; leading
  title lines before the header are skipped);
* the "HSCA active locations" file (``Location ID, Location Name, Location Postal Code,
  Location Latitude, Location Longitude, Care homes beds, Location Latest Overall Rating,
  Service type - ... , Service user band - ...`` with ``Y`` flags);
* tidied copies such as Trafford Data Lab's ``name, cqc_id, type, address, postcode,
  telephone, website, provider, inspection_date, lon, lat``.

Each location becomes an asset (category ``other``; source ``cqc``; id ``cqc-<location
id>``) with a provider record: CQC registered with its location id, service types from the
CQC service types (care homes -> accommodation, homecare -> domiciliary_care, supported
living -> home_support), client groups from the specialisms / service user bands, care home
beds as capacity in places, the latest overall rating (``Location Latest Overall Rating``)
as ``cqc_rating`` (and in the description). Locations whose file names no client group are
taken to serve older people (the report says how many). Rows repeating a location id are dropped; a
location already stored (by CQC id) is updated in place.
"""
from __future__ import annotations

import re

import pandas as pd

from ..errors import InputError
from . import assets_csv, provider_trust
from .common import ImportReport, blank, check_file, find_col, read_table, text

_COLS = {
    "name": ["Location Name", "name", "Name"],
    "cqc_location_id": ["CQC Location ID (for office use only)", "Location ID", "cqc_id",
                        "cqc_location_id", "location_id"],
    "postcode": ["Location Postal Code", "postcode", "Postcode"],
    "lat": ["Location Latitude", "lat", "latitude"],
    "lon": ["Location Longitude", "lon", "long", "longitude"],
    "address": ["address", "Address", "Location Street Address"],
    "contact": ["Location Telephone Number", "telephone", "Phone number", "phone"],
    "website": ["Location Web Address", "Service's website (if available)", "website"],
    "last_reviewed": ["Date of latest check", "inspection_date", "Publication Date",
                      "Location Latest Overall Rating Publication Date"],
    "types": ["Service types", "type", "Location Type/Sector", "service_types"],
    "specialisms": ["Specialisms/services", "specialisms", "client_groups"],
    "rating": ["Location Latest Overall Rating", "Overall rating", "rating"],
    "beds": ["Care homes beds", "beds"],
    "provider": ["Provider Name", "Provider name", "provider"],
    "company_number": ["Provider Companies House Number", "company_number"],
    "charity_number": ["Provider Charity Number", "charity_number"],
    "url": ["Location URL", "cqc_webpage"],
}
_SERVICE_WORDS = [
    (r"nursing home|residential home|care home|shared lives|extra care", "accommodation"),
    (r"homecare|home care|domiciliary", "domiciliary_care"),
    (r"supported living", "home_support"),
    (r"day care|day centre|day service", "day_activities"),
]
_CLIENT_WORDS = [
    (r"65|older people|elderly", "older_people"), (r"dementia", "dementia"),
    (r"learning disab", "learning_disability"), (r"autis", "autism"),
    (r"mental health", "mental_health"), (r"physical disab|sensory", "physical_disability"),
    (r"carer", "carers"),
]


def _read(path) -> pd.DataFrame:
    p = check_file(path, kind="CQC file")
    skip = None
    if p.suffix.lower() not in (".xlsx", ".xlsm", ".gz"):
        with open(p, "rb") as f:
            head = [f.readline().decode("utf-8-sig", "replace") for _ in range(12)]
        for k, line in enumerate(head):
            low = line.lower()
            if "postcode" in low or "postal code" in low:
                skip = k or None
                break
    return read_table(p, kind="CQC file", skiprows=skip)


def _pick(words, value) -> list[str]:
    out = []
    low = str(value or "").lower()
    for pat, key in words:
        if re.search(pat, low) and key not in out:
            out.append(key)
    return out


def _rating(value) -> str | None:
    """CQC's overall rating as ``model.CQC_RATINGS`` spells it; None when not rated ("Not
    yet rated", blank) or worded otherwise (the description keeps the file's words)."""
    try:
        return provider_trust.cqc_rating_of(text(value))
    except ValueError:
        return None


def standardise_cqc(df: pd.DataFrame, file) -> tuple[pd.DataFrame, int]:
    col = {k: find_col(df.columns, v) for k, v in _COLS.items()}
    if col["name"] is None:
        raise InputError("not a CQC directory: no location name column", file=file,
                         field="name")
    if col["cqc_location_id"] is None:
        raise InputError("not a CQC directory: no CQC location id column (e.g. 'CQC Location "
                         "ID (for office use only)', 'Location ID' or 'cqc_id')", file=file,
                         field="cqc_location_id")
    flag_types = [c for c in df.columns if c.lower().startswith("service type - ")]
    flag_users = [c for c in df.columns if c.lower().startswith("service user band - ")]
    rows, assumed = [], 0
    for rec in df.to_dict("records"):
        types = str(rec.get(col["types"]) or "") if col["types"] else ""
        types += "|" + "|".join(c[15:] for c in flag_types if str(rec.get(c)).upper() == "Y")
        users = str(rec.get(col["specialisms"]) or "") if col["specialisms"] else ""
        users += "|" + "|".join(c[20:] for c in flag_users if str(rec.get(c)).upper() == "Y")
        services = _pick(_SERVICE_WORDS, types) or ["other"]
        clients = _pick(_CLIENT_WORDS, users)
        if not clients:
            clients = ["older_people"]
            assumed += 1
        r = {k: rec.get(c) if c else None for k, c in col.items()}
        bits = [text(r["types"])]
        if text(r["provider"]):
            bits.append(f"Run by {text(r['provider'])}")
        if text(r["rating"]):
            bits.append(f"CQC rating: {text(r['rating'])}")
        if text(r["url"]):
            bits.append(text(r["url"]))
        out = {
            "name": r["name"], "category": "other", "postcode": r["postcode"],
            "lat": r["lat"], "lon": r["lon"], "address": r["address"],
            "contact": r["contact"], "website": r["website"],
            "last_reviewed": r["last_reviewed"],
            "description": ". ".join(b for b in bits if b),
            "cqc_location_id": None if blank(r["cqc_location_id"]) else
            re.sub(r"\s+", "", str(r["cqc_location_id"])),
            "service_types": "|".join(services), "client_groups": "|".join(clients),
            "cqc_registered": "true", "capacity_places": r["beds"],   # beds are places, not hours
            "company_number": r["company_number"], "charity_number": r["charity_number"],
            "cqc_rating": _rating(r["rating"]),
        }
        rows.append(out)
    return pd.DataFrame(rows, index=df.index), assumed


def import_cqc(store, path, *, skip_bad: bool = False) -> ImportReport:
    file = str(path)
    report = ImportReport("cqc", file)
    df = _read(path)
    std, assumed = standardise_cqc(df, file)
    blank_id = std["cqc_location_id"].isna()
    if blank_id.any():
        from .common import BadRows
        bad = BadRows(file, skip_bad, report)
        for i in blank_id.to_numpy().nonzero()[0]:
            bad.add(int(i) + 1, "cqc_location_id", "the CQC location id is blank")
        bad.check()
    if assumed:
        report.notes.append(f"{assumed} locations list no client group: older people assumed")
    with store.transaction() as conn:
        assets, prov = assets_csv.build_assets(std, store, conn, file=file, report=report,
                                               skip_bad=skip_bad, source="cqc")
        keep = {a["id"] for a in assets if not blank_id.iloc[a["_row"] - 1]}
        assets = [a for a in assets if a["id"] in keep]
        prov = [p for p in prov if p["asset_id"] in keep]
        assets_csv.dedupe_against_store(assets, prov, store, conn, report)
        assets_csv.write_assets(store, conn, assets, prov, file=file, report=report,
                                skip_bad=skip_bad)
    return report

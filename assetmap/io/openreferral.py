"""Open Referral UK (HSDS 3.0, UK profile): export the store's services, import a feed.

Mapping (DESIGN.md): each approved asset is one ``service`` of its own ``organization``,
delivered at one ``location`` (``service_at_location``):

=========================  ===============================================================
AssetMap                   HSDS 3.0 / Open Referral UK
=========================  ===============================================================
name, description          service.name/description (organization.name/description too)
website                    service.url, organization.website
contact (if public)        service.email when an e-mail, else service.contacts[].phones[]
point, address, postcode   location.latitude/longitude, location.addresses[] (physical)
home_based                 location at the centre of its HOME_GRID_M cell, no address
opening_hours              service.schedules[].description (OSM opening_hours syntax)
last_reviewed              service.assured_date; updated_at -> service.last_modified
category, service types,   service.attributes[] -> taxonomy_term of the AssetMap
client groups              taxonomies (asset categories, service types, client groups)
hourly_price               service.cost_options[] (GBP, "per hour")
capacity_hours, vacancies  service.capacities[] (service_capacity: maximum, available;
                           unit "hours per week")
quality_mark               service.accreditations ("AssetMap quality mark: gold")
cqc / charity / company    organization.organization_identifiers[] (CQC location ID,
                           GB-CHC, GB-COH)
other provider fields,     service.attributes[] with a value, taxonomy "AssetMap provider
AssetMap id                details" (direct_payments, preferred_list, staff_fte,
                           community_focus, radius_km, home_based, contact_public,
                           assetmap_id)
=========================  ===============================================================

Identifiers are UUIDs derived from the AssetMap id (uuid5), so an export is stable and a
re-import finds the same records. :func:`services_page` builds the ``/services`` page the
web app serves (the UK profile's page envelope: ``total_items, total_pages, page_number,
size, first_page, last_page, empty, contents``).
"""
from __future__ import annotations

import json
import math
import re
import uuid
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .. import model, settings
from ..errors import InputError
from . import assets_csv
from .common import ImportReport, blank, check_file, text
from .csvsafe import restore_cell, write_csv

NAMESPACE = uuid.UUID("6f1c3c1e-7f3a-5b7e-9a53-2b1d6c0a4e11")
TAXONOMIES = {
    "category": ("AssetMap asset categories", model.ASSET_CATEGORIES),
    "service_type": ("AssetMap service types", model.SERVICE_TYPES),
    "client_group": ("AssetMap client groups", model.CLIENT_GROUPS),
    "detail": ("AssetMap provider details", {
        "assetmap_id": "AssetMap record id", "direct_payments": "Accepts direct payments",
        "preferred_list": "On the preferred provider list", "staff_fte": "Staff (FTE)",
        "community_focus": "Community focus", "radius_km": "Area served (radius, km)",
        "home_based": "Home-based (location approximate)",
        "contact_public": "Contact details published"}),
}
LINK_TYPES = {"category": "service_category", "service_type": "service_type",
              "client_group": "audience", "detail": "detail"}
CAPACITY_UNIT = "hours per week"
QUALITY_PREFIX = "AssetMap quality mark: "
#: CSV tables written by the export (HSDS tabular names) and read by the import (singular
#: or plural file names accepted).
TABLES = ["organizations", "organization_identifiers", "services", "locations", "addresses",
          "service_at_locations", "taxonomies", "taxonomy_terms", "attributes", "cost_options",
          "service_capacities", "units", "contacts", "phones", "schedules"]


def uid(kind: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def _v(row, k):
    x = row.get(k) if hasattr(row, "get") else None
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return None
    if hasattr(x, "item"):
        x = x.item()
    return x


# --- export ---------------------------------------------------------------------------------------
def _public(frame) -> gpd.GeoDataFrame:
    from ..privacy import public_assets
    return public_assets(frame)


def _assets_of(source) -> gpd.GeoDataFrame:
    """Approved assets with provider columns from a Store, or a given (Geo)DataFrame."""
    if hasattr(source, "read_assets"):
        return source.read_assets(statuses=("approved",))
    return source


def _term(kind: str, code: str) -> dict:
    tax_name, vocab = TAXONOMIES[kind]
    return {"id": uid("taxonomy_term", f"{kind}:{code}"), "code": code,
            "name": vocab.get(code, code), "description": vocab.get(code, code),
            "taxonomy": tax_name, "taxonomy_id": uid("taxonomy", kind), "language": "en"}


def _attr(sid: str, kind: str, code: str, value=None) -> dict:
    return {"id": uid("attribute", f"{sid}:{kind}:{code}"), "link_id": sid,
            "link_type": LINK_TYPES[kind], "link_entity": "service",
            "taxonomy_term_id": uid("taxonomy_term", f"{kind}:{code}"),
            "value": None if value is None else str(value), "taxonomy_term": _term(kind, code)}


def service_record(row, *, base_url: str | None = None) -> dict:
    """One asset (a row with asset and optional provider columns, public already) as a
    fully nested HSDS 3.0 service."""
    aid = str(row["id"])
    sid, oid, lid = uid("service", aid), uid("organization", aid), uid("location", aid)
    geom = row.get("geometry")
    lon = _v(row, "lon") if geom is None else geom.x
    lat = _v(row, "lat") if geom is None else geom.y
    home = bool(_v(row, "home_based"))
    contact = _v(row, "contact")
    is_provider = _v(row, "service_types") is not None
    # without a website, the service's own record in the feed (``base_url`` is the feed's
    # root, e.g. https://site/openreferral)
    url = _v(row, "website") or (f"{base_url.rstrip('/')}/services/{sid}" if base_url else None)

    idents = []
    for col, scheme, label in (("cqc_location_id", "", "CQC location ID"),
                               ("charity_number", "GB-CHC", "Charity number"),
                               ("company_number", "GB-COH", "Company number")):
        if _v(row, col):
            idents.append({"id": uid("organization_identifier", f"{aid}:{col}"),
                           "organization_id": oid, "identifier_scheme": scheme,
                           "identifier_type": label, "identifier": str(_v(row, col))})
    org = {"id": oid, "name": row["name"], "description": _v(row, "description") or row["name"],
           "email": contact if contact and "@" in str(contact) else None,
           "website": _v(row, "website"), "organization_identifiers": idents}

    addresses = []
    if not home and (_v(row, "address") or _v(row, "postcode")):
        addr = _v(row, "address") or ""
        parts = [p.strip() for p in addr.split(",") if p.strip()]
        addresses.append({"id": uid("address", aid), "location_id": lid,
                          "address_1": addr, "city": parts[-1] if len(parts) > 1 else "",
                          "state_province": "", "postal_code": _v(row, "postcode") or "",
                          "country": "GB", "address_type": "physical"})
    location = {"id": lid, "location_type": "physical", "organization_id": oid,
                "name": "Approximate location (home-based)" if home else row["name"],
                "description": "Shown at the centre of its grid cell: the exact address of a "
                               "home-based provider is never published" if home else None,
                "latitude": None if lat is None else round(float(lat), 6),
                "longitude": None if lon is None else round(float(lon), 6),
                "addresses": addresses}

    category = _v(row, "category") or ("micro_provider" if is_provider else "other")
    attrs = [_attr(sid, "category", category),
             _attr(sid, "detail", "assetmap_id", aid)]
    if home:
        attrs.append(_attr(sid, "detail", "home_based", "true"))
    attrs.append(_attr(sid, "detail", "contact_public", str(bool(_v(row, "contact_public"))).lower()))
    cost, caps = [], []
    accreditations = None
    if is_provider:
        for t in model.split_list(_v(row, "service_types")):
            attrs.append(_attr(sid, "service_type", t))
        for c in model.split_list(_v(row, "client_groups")):
            attrs.append(_attr(sid, "client_group", c))
        for k in ("direct_payments", "preferred_list"):
            attrs.append(_attr(sid, "detail", k, str(bool(_v(row, k))).lower()))
        for k in ("staff_fte", "community_focus", "radius_km"):
            if _v(row, k) is not None:
                attrs.append(_attr(sid, "detail", k, _v(row, k)))
        if _v(row, "hourly_price") is not None:
            cost.append({"id": uid("cost_option", aid), "service_id": sid,
                         "option": "Hourly rate", "currency": "GBP",
                         "amount": float(_v(row, "hourly_price")), "amount_description": "per hour"})
        if _v(row, "capacity_hours") is not None or _v(row, "vacancies") is not None:
            vac = _v(row, "vacancies")
            caps.append({"id": uid("service_capacity", aid), "service_id": sid,
                         "unit_id": uid("unit", CAPACITY_UNIT),
                         "unit": {"id": uid("unit", CAPACITY_UNIT), "name": CAPACITY_UNIT},
                         "maximum": _v(row, "capacity_hours"),
                         "available": vac if vac is not None else (_v(row, "capacity_hours") or 0),
                         "description": "Weekly capacity" + ("" if vac is not None else
                                                             "; vacancies not known"),
                         "updated": _v(row, "updated_at") or _v(row, "last_reviewed") or ""})
        qm = _v(row, "quality_mark")
        if qm and qm != "none":
            accreditations = QUALITY_PREFIX + qm
    contacts = []
    email = None
    if contact:
        if "@" in str(contact):
            email = str(contact)
        else:
            contacts.append({"id": uid("contact", aid), "service_id": sid, "name": None,
                             "phones": [{"id": uid("phone", aid), "contact_id": uid("contact", aid),
                                         "number": str(contact)}]})
    schedules = []
    if _v(row, "opening_hours"):
        schedules.append({"id": uid("schedule", aid), "service_id": sid,
                          "description": _v(row, "opening_hours")})
    assured = _v(row, "last_reviewed")
    return {
        "id": sid, "organization_id": oid, "name": row["name"],
        "description": _v(row, "description") or "", "url": url, "email": email,
        "status": "active", "accreditations": accreditations,
        "assured_date": str(assured)[:10] if assured else None,
        "last_modified": _v(row, "updated_at"),
        "organization": org,
        "service_at_locations": [{"id": uid("service_at_location", aid), "service_id": sid,
                                  "location_id": lid, "location": location}],
        "schedules": schedules, "contacts": contacts, "cost_options": cost,
        "capacities": caps, "attributes": attrs,
    }


LIST_FIELDS = ("id", "organization_id", "name", "description", "url", "email", "status",
               "accreditations", "assured_date", "last_modified", "organization")


def services_page(source, *, page: int = 1, per_page: int = 50, full: bool = True,
                  base_url: str | None = None) -> dict:
    """The ``/services`` response: a page of services in the UK profile's envelope.

    ``source`` is a Store or a (Geo)DataFrame of assets (providers or all); home-based
    locations are approximated and unpublished contacts dropped here whatever it held.
    ``full=False`` gives the list form (one-to-one fields and the organization only).
    """
    frame = _public(_assets_of(source))
    total = len(frame)
    per_page = max(1, int(per_page))
    pages = max(1, math.ceil(total / per_page))
    page = max(1, int(page))
    rows = frame.iloc[(page - 1) * per_page: page * per_page]
    contents = []
    for rec in _rows(rows):
        s = service_record(rec, base_url=base_url)
        if not full:
            s = {k: s[k] for k in LIST_FIELDS}
            s["organization"] = {k: v for k, v in s["organization"].items()
                                 if k != "organization_identifiers"}
        contents.append(s)
    return {"total_items": total, "total_pages": pages, "page_number": page,
            "size": len(contents), "first_page": page == 1, "last_page": page >= pages,
            "empty": len(contents) == 0, "contents": contents}


def _rows(frame):
    if isinstance(frame, gpd.GeoDataFrame):
        gname = frame.geometry.name
        for rec, geom in zip(frame.drop(columns=gname).to_dict("records"), frame.geometry):
            rec["geometry"] = geom
            yield rec
    else:
        yield from frame.to_dict("records")


def service_by_id(source, service_id: str, *, base_url=None) -> dict | None:
    """``/services/{id}``: the fully nested service, or None. ``source`` as for
    :func:`services_page` (a Store or a frame of assets)."""
    frame = _public(_assets_of(source))
    for rec in _rows(frame):
        if uid("service", str(rec["id"])) == service_id or str(rec["id"]) == service_id:
            return service_record(rec, base_url=base_url)
    return None


def _flatten(services: list) -> dict[str, list]:
    t = {k: [] for k in TABLES}
    seen_terms, seen_tax, seen_units = set(), set(), set()
    for s in services:
        org = dict(s["organization"])
        for i in org.pop("organization_identifiers", []):
            t["organization_identifiers"].append(i)
        t["organizations"].append(org)
        base = {k: v for k, v in s.items() if not isinstance(v, (list, dict))}
        t["services"].append(base)
        for sal in s["service_at_locations"]:
            loc = dict(sal["location"])
            for a in loc.pop("addresses", []):
                t["addresses"].append(a)
            t["locations"].append(loc)
            t["service_at_locations"].append({k: v for k, v in sal.items() if k != "location"})
        for a in s["attributes"]:
            term = a["taxonomy_term"]
            if term["id"] not in seen_terms:
                seen_terms.add(term["id"])
                t["taxonomy_terms"].append(term)
            if term["taxonomy_id"] not in seen_tax:
                seen_tax.add(term["taxonomy_id"])
                t["taxonomies"].append({"id": term["taxonomy_id"], "name": term["taxonomy"],
                                        "description": term["taxonomy"], "version": "1"})
            t["attributes"].append({k: v for k, v in a.items() if k != "taxonomy_term"})
        t["cost_options"] += s["cost_options"]
        for c in s["capacities"]:
            u = c["unit"]
            if u["id"] not in seen_units:
                seen_units.add(u["id"])
                t["units"].append(u)
            t["service_capacities"].append({k: v for k, v in c.items() if k != "unit"})
        for c in s["contacts"]:
            for ph in c.get("phones", []):
                t["phones"].append(ph)
            t["contacts"].append({k: v for k, v in c.items() if k != "phones"})
        t["schedules"] += s["schedules"]
    return t


def export_openreferral(store, out_dir, *, base_url: str | None = None) -> dict:
    """Write ``services.json`` (all services, fully nested, in one page envelope) and the
    HSDS tabular CSV files into ``out_dir`` (formula-safe: :mod:`assetmap.io.csvsafe`).
    ``base_url`` (the feed's root) defaults to ``settings.BASE_URL`` + ``/openreferral``
    when that is set. Returns counts per table."""
    if base_url is None and settings.BASE_URL:
        base_url = settings.BASE_URL + "/openreferral"
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    page = services_page(store, page=1, per_page=10 ** 9, base_url=base_url)
    page["size"] = len(page["contents"])
    (out / "services.json").write_text(json.dumps(page, indent=1, default=str), encoding="utf-8")
    tables = _flatten(page["contents"])
    for name, rows in tables.items():
        write_csv(rows, out / f"{name}.csv")
    return {"services": len(page["contents"]), **{k: len(v) for k, v in tables.items()}}


# --- import ---------------------------------------------------------------------------------------
def _load_json(path) -> list:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as e:
        raise InputError(f"not valid JSON (truncated?): {e.msg} at line {e.lineno}",
                         file=str(path), row=e.lineno) from None
    except UnicodeDecodeError:
        raise InputError("not a JSON text file", file=str(path)) from None
    if isinstance(data, dict) and "contents" in data:
        data = data["contents"]
    elif isinstance(data, dict) and "id" in data and "name" in data:
        data = [data]
    if not isinstance(data, list) or not all(isinstance(s, dict) for s in data):
        raise InputError("not an Open Referral services feed (expected a page with "
                         "'contents', a list of services or one service)", file=str(path))
    return data


def _read_csv_dir(folder: Path) -> list:
    def table(name):
        for cand in (name, name.rstrip("s"), name[:-3] + "y" if name.endswith("ies") else None):
            if cand and (folder / f"{cand}.csv").exists():
                df = pd.read_csv(folder / f"{cand}.csv", dtype=str, keep_default_na=False)
                return [{k: (None if v == "" else restore_cell(v)) for k, v in r.items()}
                        for r in df.to_dict("records")]
        return []
    services = table("services")
    if not services:
        raise InputError("no services.csv in the folder: not an Open Referral CSV package",
                         file=str(folder))
    by = lambda rows, key: _group(rows, key)  # noqa: E731
    orgs = {o["id"]: o for o in table("organizations")}
    idents = by(table("organization_identifiers"), "organization_id")
    locs = {loc["id"]: loc for loc in table("locations")}
    addrs = by(table("addresses"), "location_id")
    sals = by(table("service_at_locations"), "service_id")
    terms = {t["id"]: t for t in table("taxonomy_terms")}
    attrs = by(table("attributes"), "link_id")
    costs = by(table("cost_options"), "service_id")
    units = {u["id"]: u for u in table("units")}
    caps = by(table("service_capacities") or table("service_capacity"), "service_id")
    contacts = by(table("contacts"), "service_id")
    phones = by(table("phones"), "contact_id")
    scheds = by(table("schedules"), "service_id")
    out = []
    for s in services:
        s = dict(s)
        org = dict(orgs.get(s.get("organization_id"), {}))
        org["organization_identifiers"] = idents.get(org.get("id"), [])
        s["organization"] = org
        s["service_at_locations"] = []
        for sal in sals.get(s["id"], []):
            loc = dict(locs.get(sal.get("location_id"), {}))
            loc["addresses"] = addrs.get(loc.get("id"), [])
            s["service_at_locations"].append(dict(sal, location=loc))
        s["attributes"] = [dict(a, taxonomy_term=terms.get(a.get("taxonomy_term_id"), {}))
                           for a in attrs.get(s["id"], [])]
        s["cost_options"] = costs.get(s["id"], [])
        s["capacities"] = [dict(c, unit=units.get(c.get("unit_id"), {}))
                           for c in caps.get(s["id"], [])]
        s["contacts"] = [dict(c, phones=phones.get(c.get("id"), []))
                         for c in contacts.get(s["id"], [])]
        s["schedules"] = scheds.get(s["id"], [])
        out.append(s)
    return out


def _group(rows, key):
    out = {}
    for r in rows:
        out.setdefault(r.get(key), []).append(r)
    return out


def read_openreferral(path) -> list:
    """Fully nested services from a JSON feed/page or a folder of HSDS CSV tables."""
    p = check_file(path, kind="Open Referral file")
    if p.is_dir():
        if (p / "services.csv").exists() or (p / "service.csv").exists():
            return _read_csv_dir(p)
        if (p / "services.json").exists():
            return _load_json(p / "services.json")
        raise InputError("the folder holds neither services.csv nor services.json",
                         file=str(path))
    return _load_json(p)


_TRUE = {"true", "yes", "1", "y"}


def _service_to_row(s: dict) -> dict:
    """A nested service -> AssetMap standard columns (for assets_csv.build_assets)."""
    r: dict = {"name": s.get("name"), "description": text(s.get("description"))}
    details = {}
    cats, services, clients = [], [], []
    for a in s.get("attributes") or []:
        term = a.get("taxonomy_term") or {}
        tax = str(term.get("taxonomy") or "")
        code = term.get("code") or term.get("name")
        if tax == TAXONOMIES["category"][0]:
            cats.append(code)
        elif tax == TAXONOMIES["service_type"][0]:
            services.append(code)
        elif tax == TAXONOMIES["client_group"][0]:
            clients.append(code)
        elif tax == TAXONOMIES["detail"][0]:
            details[code] = a.get("value")
        else:  # another taxonomy: keep what matches AssetMap's words
            name = term.get("name") or ""
            for vocab, bucket in ((assets_csv._SERVICES, services), (assets_csv._CLIENTS, clients)):
                k = vocab.get(assets_csv.norm(name))
                if k:
                    bucket.append(k)
            if assets_csv.category_of(name):
                cats.append(assets_csv.category_of(name))
    r["id"] = details.get("assetmap_id") or f"or-{s.get('id')}"[:64]
    r["category"] = cats[0] if cats else None
    sal = (s.get("service_at_locations") or [{}])
    loc = (sal[0] or {}).get("location") or {}
    r["lat"], r["lon"] = loc.get("latitude"), loc.get("longitude")
    addrs = loc.get("addresses") or loc.get("physical_addresses") or []
    if addrs:
        a = addrs[0]
        parts = [x for x in (a.get("address_1"), a.get("address_2")) if not blank(x)]
        addr = ", ".join(parts)
        if not blank(a.get("city")) and a["city"] not in addr:
            addr = f"{addr}, {a['city']}" if addr else a["city"]
        r["address"] = addr or None
        r["postcode"] = a.get("postal_code") or None
    r["website"] = s.get("url") or (s.get("organization") or {}).get("website")
    contact = s.get("email")
    for c in s.get("contacts") or []:
        if contact:
            break
        contact = c.get("email") or next((p.get("number") for p in c.get("phones") or []
                                          if p.get("number")), None)
    r["contact"] = contact
    sched = s.get("schedules") or []
    if sched:
        d = sched[0]
        r["opening_hours"] = d.get("description") or (
            f"{d.get('byday') or ''} {d.get('opens_at') or ''}-{d.get('closes_at') or ''}".strip()
            if d.get("opens_at") else None)
    r["last_reviewed"] = s.get("assured_date")
    for k in ("home_based", "contact_public", "direct_payments", "preferred_list"):
        if details.get(k) is not None:
            r[k] = str(details[k]).lower() in _TRUE
    for k in ("staff_fte", "community_focus", "radius_km"):
        if details.get(k) is not None:
            r[k] = details[k]
    if services:
        r["service_types"] = "|".join(services)
    if clients:
        r["client_groups"] = "|".join(clients)
    costs = s.get("cost_options") or []
    if costs and costs[0].get("amount") not in (None, ""):
        r["hourly_price"] = costs[0]["amount"]
    caps = s.get("capacities") or []
    if caps:
        c = caps[0]
        r["capacity_hours"] = c.get("maximum")
        if "vacancies not known" not in str(c.get("description") or ""):
            r["vacancies"] = c.get("available")
    acc = s.get("accreditations")
    if isinstance(acc, list):
        acc = "; ".join(str(x.get("name", x)) if isinstance(x, dict) else str(x) for x in acc)
    m = re.search(r"quality mark:?\s*(gold|silver|bronze)", str(acc or ""), re.I)
    if m:
        r["quality_mark"] = m.group(1).lower()
    for i in (s.get("organization") or {}).get("organization_identifiers") or []:
        label = f"{i.get('identifier_scheme') or ''} {i.get('identifier_type') or ''}".lower()
        if "cqc" in label:
            r["cqc_location_id"] = i.get("identifier")
        elif "gb-chc" in label or "charity" in label:
            r["charity_number"] = i.get("identifier")
        elif "gb-coh" in label or "company" in label:
            r["company_number"] = i.get("identifier")
    return r


def import_openreferral(store, path, *, skip_bad: bool = False,
                        category: str | None = None) -> ImportReport:
    """Import an Open Referral UK feed (JSON) or CSV package in one transaction.

    Services of other feeds without an AssetMap category become ``category`` (default
    ``other``); ones with provider details but no client group are taken to serve older
    people (reported)."""
    file = str(path)
    report = ImportReport("openreferral", file)
    services = read_openreferral(path)
    if not services:
        raise InputError("the feed has no services", file=file)
    rows = [_service_to_row(s) for s in services]
    assumed = 0
    for r in rows:
        signals = any(r.get(k) is not None for k in assets_csv.PROVIDER_SIGNALS)
        if signals and not r.get("client_groups"):
            r["client_groups"] = "older_people"
            assumed += 1
    if assumed:
        report.notes.append(f"{assumed} services list no client group: older people assumed")
    std = pd.DataFrame(rows)
    with store.transaction() as conn:
        assets, prov = assets_csv.build_assets(std, store, conn, file=file, report=report,
                                               skip_bad=skip_bad, source="openreferral",
                                               default_category=category or "other")
        assets_csv.dedupe_against_store(assets, prov, store, conn, report)
        _keep_private_details(assets, store, conn)
        assets_csv.write_assets(store, conn, assets, prov, file=file, report=report,
                                skip_bad=skip_bad)
    return report


def _keep_private_details(assets: list, store, conn) -> None:
    """A feed carries only what may be published. When it names a record the store already
    holds, keep the store's private details: a home-based provider's exact point, address
    and postcode (the feed has its grid-cell centre), and an unpublished contact."""
    ids = [a["id"] for a in assets]
    old = store.read_assets(statuses=None, with_providers=False, ids=ids, conn=conn)
    if old.empty:
        return
    old = old.set_index("id")
    for a in assets:
        if a["id"] not in old.index:
            continue
        o = old.loc[a["id"]]
        if a.get("home_based") and o["home_based"]:
            a["lon"], a["lat"] = float(o.geometry.x), float(o.geometry.y)
            a["address"], a["postcode"] = o["address"], o["postcode"]
        if a.get("contact") is None and not a.get("contact_public") and o["contact"]:
            a["contact"] = o["contact"]

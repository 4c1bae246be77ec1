"""Importing an Open Referral UK feed: each nested service becomes a row of AssetMap's
standard asset columns, then the shared asset importer checks, de-duplicates and writes
them (keeping the private details the store holds of records it knows)."""
from __future__ import annotations

import re

import pandas as pd

from ...errors import InputError
from .. import assets_csv
from ..common import ImportReport, blank, text
from .read import read_openreferral
from .terms import TAXONOMIES

_TRUE = {"true", "yes", "1", "y"}


def _service_to_row(s: dict) -> dict:
    """A nested service -> AssetMap standard columns (for assets_csv.build_assets)."""
    r: dict = {"name": s.get("name"), "description": text(s.get("description"))}
    cats, services, clients, details = _classified_terms(s)
    r["id"] = details.get("assetmap_id") or f"or-{s.get('id')}"[:64]
    r["category"] = cats[0] if cats else None
    r.update(_place(s))
    r["website"] = s.get("url") or (s.get("organization") or {}).get("website")
    r["contact"] = _contact(s)
    r.update(_opening_hours(s))
    r["last_reviewed"] = s.get("assured_date")
    r.update(_provider_fields(s, details, services, clients))
    r.update(_quality_mark(s))
    r.update(_identifiers(s))
    return r


def _classified_terms(s: dict) -> tuple[list, list, list, dict]:
    """The service's attributes sorted into categories, service types, client groups and
    AssetMap provider details; another feed's taxonomy terms kept where they match
    AssetMap's words."""
    details: dict = {}
    cats: list = []
    services: list = []
    clients: list = []
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
            for vocab, bucket in ((assets_csv._SERVICES, services),
                                  (assets_csv._CLIENTS, clients)):
                k = vocab.get(assets_csv.norm(name))
                if k:
                    bucket.append(k)
            if assets_csv.category_of(name):
                cats.append(assets_csv.category_of(name))
    return cats, services, clients, details


def _place(s: dict) -> dict:
    """lat, lon and (when the location has one) address and postcode of the first
    location."""
    sal = (s.get("service_at_locations") or [{}])
    loc = (sal[0] or {}).get("location") or {}
    r = {"lat": loc.get("latitude"), "lon": loc.get("longitude")}
    addrs = loc.get("addresses") or loc.get("physical_addresses") or []
    if addrs:
        a = addrs[0]
        parts = [x for x in (a.get("address_1"), a.get("address_2")) if not blank(x)]
        addr = ", ".join(parts)
        if not blank(a.get("city")) and a["city"] not in addr:
            addr = f"{addr}, {a['city']}" if addr else a["city"]
        r["address"] = addr or None
        r["postcode"] = a.get("postal_code") or None
    return r


def _contact(s: dict):
    """The service's e-mail, else the first contact's e-mail or phone number."""
    contact = s.get("email")
    for c in s.get("contacts") or []:
        if contact:
            break
        contact = c.get("email") or next((p.get("number") for p in c.get("phones") or []
                                          if p.get("number")), None)
    return contact


def _opening_hours(s: dict) -> dict:
    sched = s.get("schedules") or []
    if not sched:
        return {}
    d = sched[0]
    return {"opening_hours": d.get("description") or (
        f"{d.get('byday') or ''} {d.get('opens_at') or ''}-{d.get('closes_at') or ''}".strip()
        if d.get("opens_at") else None)}


def _provider_fields(s: dict, details: dict, services: list, clients: list) -> dict:
    """Flags and numbers from the provider details, service types, client groups, the
    hourly price and the weekly capacity (vacancies only when the feed knew them)."""
    r: dict = {}
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
    return r


def _quality_mark(s: dict) -> dict:
    acc = s.get("accreditations")
    if isinstance(acc, list):
        acc = "; ".join(str(x.get("name", x)) if isinstance(x, dict) else str(x) for x in acc)
    m = re.search(r"quality mark:?\s*(gold|silver|bronze)", str(acc or ""), re.I)
    return {"quality_mark": m.group(1).lower()} if m else {}


def _identifiers(s: dict) -> dict:
    """CQC location id, charity and company numbers from the organization's identifiers."""
    r = {}
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

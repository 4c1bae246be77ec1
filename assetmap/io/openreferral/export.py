"""The Open Referral UK export: ``services.json`` (every service, fully nested, in one page
envelope) and the HSDS tabular CSV files, one row per record of each table."""
from __future__ import annotations

import json
from pathlib import Path

from ... import settings
from ..csvsafe import write_csv
from .feed import services_page
from .terms import TABLES


def _flatten(services: list) -> dict[str, list]:
    t: dict[str, list] = {k: [] for k in TABLES}
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

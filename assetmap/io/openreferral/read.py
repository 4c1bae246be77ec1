"""Reading an Open Referral feed: a JSON feed, page or single service, or a folder of HSDS
CSV tables joined back into fully nested services."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...errors import InputError
from .. import sniff
from ..common import check_file
from ..csvsafe import restore_cell
from ..limits import load_json, refuse_nul


def _load_json(path) -> list:
    data = load_json(path)          # bounded size and depth, NUL refused, errors located
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
                df = pd.read_csv(folder / f"{cand}.csv", dtype=str, keep_default_na=False,
                                 **sniff.read_options(folder / f"{cand}.csv"))
                refuse_nul(df, file=str(folder / f"{cand}.csv"))
                return [{k: (None if v == "" else restore_cell(v)) for k, v in r.items()}
                        for r in df.to_dict("records")]
        return []
    services = table("services")
    if not services:
        raise InputError("no services.csv in the folder: not an Open Referral CSV package",
                         file=str(folder))
    by = _group
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


def _group(rows, key) -> dict:
    out: dict = {}
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

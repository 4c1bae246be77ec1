"""Reading Open Referral data as fully nested services: a JSON page of the ``/services``
API (or a list of services, or one ``/services/{id}`` service), a folder of such pages,
or an HSDS tabular package (a folder of CSV tables, with or without ``datapackage.json``)
joined back into nested services."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...errors import InputError
from .. import sniff
from ..common import check_file
from ..csvsafe import restore_cell
from ..limits import load_json, refuse_nul
from .terms import TABLES

#: HSDS 3.0 fields that are numbers (CSV cells are read back as numbers).
NUMBER_FIELDS = {"latitude", "longitude", "amount", "minimum_age", "maximum_age",
                 "year_incorporated", "extension", "timezone", "count", "interval"}
#: Older names some feeds still use -> the HSDS 3.0 name.
ALIASES = {"regular_schedules": "schedules", "fundings": "funding",
           "physical_addresses": "addresses", "service_taxonomys": "attributes"}


def _services_of(data, file: str) -> list:
    if isinstance(data, dict) and "contents" in data:
        data = data["contents"]
    elif isinstance(data, dict) and "id" in data and "name" in data:
        data = [data]
    if not isinstance(data, list) or not all(isinstance(s, dict) for s in data):
        raise InputError("not an Open Referral services feed (expected a page with "
                         "'contents', a list of services or one service)", file=file)
    return [_renamed(s) for s in data]


def _renamed(s: dict) -> dict:
    out = {ALIASES.get(k, k): v for k, v in s.items()}
    for sal in out.get("service_at_locations") or []:
        loc = (sal or {}).get("location")
        if isinstance(loc, dict) and "physical_addresses" in loc:
            sal["location"] = {ALIASES.get(k, k): v for k, v in loc.items()}
    return out


def _load_json(path) -> list:
    return _services_of(load_json(path), str(path))   # bounded, NUL refused, located


# --- the tabular package ------------------------------------------------------------------
def _cell(k: str, v: str):
    if v == "":
        return None
    v = restore_cell(v)
    if k in NUMBER_FIELDS:
        try:
            f = float(v)
        except ValueError:
            return v
        return int(f) if f.is_integer() and "." not in v else f
    return v


class _Package:
    """The tables of a folder (file names as the standard's, singular or plural)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.paths = dict(TABLES)
        dp = folder / "datapackage.json"
        if dp.exists():
            for res in (load_json(dp) or {}).get("resources") or []:
                if isinstance(res, dict) and res.get("name") and res.get("path"):
                    self.paths[str(res["name"])] = str(res["path"])
        self._cache: dict[str, list] = {}
        self._groups: dict[tuple[str, str], dict] = {}

    def table(self, name: str) -> list[dict]:
        if name in self._cache:
            return self._cache[name]
        std = self.paths.get(name, f"{name}s.csv")
        for cand in (std, f"{name}.csv", f"{name}s.csv", std.replace("ies.csv", "y.csv")):
            f = self.folder / cand
            if f.exists():
                df = pd.read_csv(f, dtype=str, keep_default_na=False, **sniff.read_options(f))
                refuse_nul(df, file=str(f))
                rows = [{k: _cell(k, v) for k, v in r.items()} for r in df.to_dict("records")]
                self._cache[name] = [{k: v for k, v in r.items() if v is not None}
                                     for r in rows]
                return self._cache[name]
        self._cache[name] = []
        return []

    def by(self, name: str, key: str) -> dict:
        """The rows of table ``name`` grouped by their ``key`` (computed once)."""
        if (name, key) not in self._groups:
            out: dict = {}
            for r in self.table(name):
                if r.get(key) is not None:
                    out.setdefault(r[key], []).append(r)
            self._groups[name, key] = out
        return self._groups[name, key]

    def one(self, name: str, row_id) -> dict:
        """The row of table ``name`` with this id (an empty dict when there is none)."""
        rows = self.by(name, "id").get(row_id) or [{}]
        return dict(rows[0])


def _with_phones(rows: list, phones: dict) -> list:
    return [dict(r, phones=phones.get(r["id"], [])) if phones.get(r.get("id")) else dict(r)
            for r in rows]


def _location(pkg: _Package, loc_id) -> dict:
    loc = pkg.one("location", loc_id)
    if not loc:
        return {}
    for key, table in (("addresses", "address"), ("phones", "phone"),
                       ("languages", "language"), ("accessibility", "accessibility"),
                       ("schedules", "schedule"), ("contacts", "contact")):
        rows = pkg.by(table, "location_id").get(loc_id)
        if rows:
            loc[key] = rows
    return loc


def _organization(pkg: _Package, org_id) -> dict:
    org = pkg.one("organization", org_id)
    for key, table in (("organization_identifiers", "organization_identifier"),
                       ("funding", "funding"), ("phones", "phone"), ("contacts", "contact")):
        rows = [r for r in pkg.by(table, "organization_id").get(org_id, [])
                if table != "funding" or r.get("service_id") is None]
        if rows:
            org[key] = rows
    return org


def _attributes(pkg: _Package, link_id) -> list:
    out = []
    for a in pkg.by("attribute", "link_id").get(link_id, []):
        t = pkg.one("taxonomy_term", a.get("taxonomy_term_id"))
        tax = pkg.one("taxonomy", t.get("taxonomy_id")) if t else {}
        if t and "taxonomy" not in t and tax.get("name"):
            t["taxonomy"] = tax["name"]
        out.append(dict(a, taxonomy_term=t) if t else dict(a))
    return out


def _nest_service(pkg: _Package, s: dict) -> dict:
    """One service row with everything the package links to it."""
    s = dict(s)
    sid = s["id"]
    contact_phones = pkg.by("phone", "contact_id")
    for key, table in (("phones", "phone"), ("schedules", "schedule"),
                       ("service_areas", "service_area"), ("languages", "language"),
                       ("funding", "funding"), ("cost_options", "cost_option"),
                       ("required_documents", "required_document")):
        rows = pkg.by(table, "service_id").get(sid)
        if rows:
            s[key] = rows
    contacts = pkg.by("contact", "service_id").get(sid)
    if contacts:
        s["contacts"] = _with_phones(contacts, contact_phones)
    if s.get("organization_id") is not None:
        s["organization"] = _organization(pkg, s["organization_id"])
    sals = []
    for sal in pkg.by("service_at_location", "service_id").get(sid, []):
        loc = _location(pkg, sal.get("location_id"))
        sals.append(dict(sal, location=loc) if loc else dict(sal))
    if sals:
        s["service_at_locations"] = sals
    attrs = _attributes(pkg, sid)
    if attrs:
        s["attributes"] = attrs
    return s


def _read_package(folder: Path) -> list:
    pkg = _Package(folder)
    services = pkg.table("service")
    if not services:
        raise InputError("no services.csv in the folder: not an Open Referral tabular "
                         "package", file=str(folder))
    return [_nest_service(pkg, s) for s in services if s.get("id") is not None]


def _read_pages(folder: Path) -> list:
    """Every JSON page of the folder (e.g. page-1.json, page-2.json), services in order,
    each service once (the last copy of an id wins)."""
    out: dict = {}
    for f in sorted(folder.glob("*.json"), key=lambda p: (len(p.name), p.name)):
        if f.name == "datapackage.json":
            continue
        for s in _load_json(f):
            out[str(s.get("id"))] = s
    return list(out.values())


def read_openreferral(path) -> list:
    """Fully nested services from a JSON page, list or service, a folder of JSON pages,
    or an HSDS tabular package (a folder of CSV tables)."""
    p = check_file(path, kind="Open Referral file")
    if p.is_dir():
        if (p / "services.csv").exists() or (p / "service.csv").exists():
            return _read_package(p)
        if (p / "services.json").exists():
            return _load_json(p / "services.json")
        if any(f.name != "datapackage.json" for f in p.glob("*.json")):
            return _read_pages(p)
        raise InputError("the folder holds neither services.csv nor JSON pages of services",
                         file=str(path))
    return _load_json(p)


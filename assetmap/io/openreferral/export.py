"""The Open Referral UK export: ``services.json`` (every service, fully nested, in one page
envelope) and the HSDS 3.0 tabular data package: one CSV per table, named as the
standard's ``datapackage.json`` names them (``services.csv``, ``service_at_location.csv``
...), and the package's own ``datapackage.json`` describing them."""
from __future__ import annotations

import json
from pathlib import Path

from ... import __version__, settings
from ..csvsafe import write_csv
from . import entities
from .feed import Feed, envelope
from .read import NUMBER_FIELDS
from .terms import HSDS_VERSION, PROFILE_URI, TABLES, context_from

#: Nested key -> the HSDS table its objects belong to.
CHILD_TABLES = {
    "phones": "phone", "schedules": "schedule", "service_areas": "service_area",
    "service_at_locations": "service_at_location", "languages": "language",
    "organization": "organization", "funding": "funding", "cost_options": "cost_option",
    "program": "program", "programs": "program", "required_documents": "required_document",
    "contacts": "contact", "attributes": "attribute", "metadata": "metadata",
    "location": "location", "locations": "location", "addresses": "address",
    "accessibility": "accessibility", "organization_identifiers": "organization_identifier",
    "taxonomy_term": "taxonomy_term", "taxonomy_detail": "taxonomy",
}
#: The link columns each table has (HSDS 3.0): a nested object gets its parent's id there.
LINKS = {
    "phone": ("location", "service", "organization", "contact", "service_at_location"),
    "schedule": ("service", "location", "service_at_location"),
    "service_area": ("service",), "service_at_location": ("service",),
    "language": ("service", "location", "phone"), "funding": ("organization", "service"),
    "cost_option": ("service",), "required_document": ("service",),
    "contact": ("organization", "service", "service_at_location", "location"),
    "address": ("location",), "accessibility": ("location",),
    "organization_identifier": ("organization",), "location": ("organization",),
    "program": ("organization",),
}


def _add(tables: dict, table: str, obj: dict, parent: tuple | None) -> None:
    """``obj`` (and what it nests) into ``tables``, each object once per id."""
    row = {k: v for k, v in obj.items() if not isinstance(v, (list, dict))}
    if parent:
        p_table, p_id = parent
        if table == "attribute":
            row.setdefault("link_id", p_id)
            row.setdefault("link_entity", p_table)
        elif p_table in LINKS.get(table, ()):
            row.setdefault(f"{p_table}_id", p_id)
    if table == "service_at_location" and isinstance(obj.get("location"), dict):
        row.setdefault("location_id", obj["location"].get("id"))
    seen = tables.setdefault(table, {})
    key = row.get("id") or len(seen)
    if key not in seen:
        seen[key] = row
    for k, v in obj.items():
        child = CHILD_TABLES.get(k)
        if child is None:
            continue
        for item in (v if isinstance(v, list) else [v]):
            if isinstance(item, dict):
                _add(tables, child, item, (table, obj.get("id")))


def flatten(services: list, extra_taxonomies=(), extra_terms=()) -> dict[str, list]:
    """Nested services (and taxonomies and terms beside them) as HSDS tables: table name
    -> rows of plain fields."""
    tables: dict = {}
    for t in extra_taxonomies:
        _add(tables, "taxonomy", t, None)
    for t in extra_terms:
        _add(tables, "taxonomy_term", t, None)
    for s in services:
        _add(tables, "service", s, None)
    order = list(TABLES)
    return {name: list(tables[name].values())
            for name in sorted(tables, key=lambda n: order.index(n) if n in order else 99)}


def _columns(rows: list) -> list:
    cols: list = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    return cols


def datapackage(tables: dict) -> dict:
    """The package's ``datapackage.json`` (Frictionless tabular data package)."""
    return {
        "profile": "tabular-data-package", "name": "assetmap-openreferral",
        "title": "AssetMap services as Open Referral HSDS 3.0 (UK profile) tables",
        "hsds_version": HSDS_VERSION, "profile_uri": PROFILE_URI,
        "generator": f"AssetMap {__version__}",
        "resources": [{
            "name": name, "path": TABLES.get(name, f"{name}s.csv"),
            "profile": "tabular-data-resource", "format": "csv", "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": {"fields": [{"name": c, "type": "number" if c in NUMBER_FIELDS
                                   else "string"} for c in _columns(rows)],
                       "primaryKey": "id"}}
            for name, rows in tables.items()],
    }


def export_openreferral(store, out_dir, *, base_url: str | None = None) -> dict:
    """Write ``services.json`` (all services, fully nested, in one page envelope), the
    HSDS 3.0 tables (formula-safe CSV: :mod:`assetmap.io.csvsafe`) and
    ``datapackage.json`` into ``out_dir``. ``base_url`` (the site's root, or the feed's
    root ending ``/openreferral``) defaults to ``settings.BASE_URL``; without one the
    records carry no links to the site. Returns counts per table."""
    if base_url is None and settings.BASE_URL:
        base_url = settings.BASE_URL
    ctx = context_from(base_url, store.get_meta("area_name") or settings.DEMO_LA_NAME)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    feed = Feed(store, ctx)
    services = [s for _, s in feed.pairs]
    page = envelope(services, 1, max(1, len(services)))
    (out / "services.json").write_text(json.dumps(page, indent=1, default=str),
                                       encoding="utf-8")
    tables = flatten(services, entities.taxonomies(feed.pairs, ctx),
                     entities.taxonomy_terms(feed.pairs, ctx))
    for name, rows in tables.items():
        write_csv(rows, out / TABLES.get(name, f"{name}s.csv"), columns=_columns(rows))
    (out / "datapackage.json").write_text(json.dumps(datapackage(tables), indent=1),
                                          encoding="utf-8")
    return {"services": len(services), **{k: len(v) for k, v in tables.items()}}

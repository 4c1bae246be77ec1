"""Importing Open Referral UK data: each nested service becomes a row of AssetMap's
standard asset columns (:mod:`.mapping`), the shared asset importer checks,
de-duplicates and writes them (keeping the private details the store holds of records it
knows), and what AssetMap cannot hold is kept verbatim with the record (:mod:`.extra`)
so that an export publishes it again. Services are identified by their own ids, so a
re-import updates the same records."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd

from ... import model, settings
from ...errors import InputError, InputErrors
from ...settings import STORAGE_CRS
from .. import assets_csv, provider_trust
from ..common import ImportReport, text
from . import extra, mapping
from .read import read_openreferral
from .record import generated_record
from .terms import Context, prune


def service_to_row(s: dict) -> dict:
    """A nested service -> AssetMap standard columns (for ``assets_csv.build_assets``)."""
    cats, services, clients, details, other = mapping.classified_terms(s)
    r: dict = {"name": s.get("name"), "description": text(s.get("description"))}
    r["id"] = details.get("assetmap_id") or f"or-{s.get('id')}"[:64]
    r["category"] = cats[0] if cats else None
    r.update(mapping.place(s))
    url = s.get("url") or (s.get("organization") or {}).get("website")
    r["website"] = None if mapping.is_own_page(url, details) else url
    r["contact"] = mapping.contact(s)
    r["opening_hours"] = mapping.opening_hours(s)
    r["last_reviewed"] = s.get("assured_date")
    r["contact_public"] = True          # published in a feed: public (unless it says not)
    r.update(mapping.details_fields(details))
    for name in other:                  # other taxonomies: keep what matches our words
        k = assets_csv._SERVICES.get(assets_csv.norm(name))
        if k and k not in services:
            services.append(k)
        if r["category"] is None and assets_csv.category_of(name):
            r["category"] = assets_csv.category_of(name)
    groups = mapping.client_groups(s, clients, other)
    if services:
        r["service_types"] = "|".join(services)
    if groups:
        r["client_groups"] = "|".join(groups)
    r["hourly_price"] = mapping.hourly_price(s)
    r["quality_mark"] = mapping.quality_mark(s)
    r["reach"] = mapping.reach(s, details)
    areas = mapping.area_served(s)
    if r.get("radius_km") is None:
        r["radius_km"] = areas["radius_km"]
    r["area_served"], r["area_served_geojson"] = areas["area_served"], \
        areas["area_served_geojson"]
    if r.get("community_focus") is None:
        r["community_focus"] = mapping.languages(s)
    r.update(mapping.identifiers(s))
    r.update(mapping.trust_fields(s, details))
    r["_ids"] = _ids(s)
    r["_updated_at"] = text(s.get("last_modified"))
    return r


def _ids(s: dict) -> dict:
    sal = (s.get("service_at_locations") or [{}])[0] or {}
    loc = sal.get("location") or {}
    return {k: str(v) for k, v in {
        "service": s.get("id"), "organization": s.get("organization_id")
        or (s.get("organization") or {}).get("id"),
        "service_at_location": sal.get("id"), "location": loc.get("id")
        or sal.get("location_id")}.items() if v not in (None, "")}


def _no_client_group(rows: list, report: ImportReport) -> None:
    """Services with provider details but no client group in their eligibility, ages or
    terms become community assets, not providers: nothing is assumed (a micro-provider
    without one is refused by the asset importer, naming the row)."""
    n = 0
    for r in rows:
        signals = any(r.get(k) not in (None, "") for k in assets_csv.PROVIDER_SIGNALS
                      if k != "quality_mark") or r.get("quality_mark") not in (None, "none")
        if signals and not r.get("client_groups") and r.get("category") != "micro_provider":
            for k in assets_csv.PROVIDER_FIELDS:
                r.pop(k, None)
            n += 1
    if n:
        report.notes.append(f"{n} service(s) say nothing of who they are for (eligibility, "
                            "ages or audience terms): imported as community assets, not "
                            "providers; their details are kept with the record")


def _named(errors: list, services: list) -> None:
    """Bad rows named by their service (id and name), not only a row number."""
    for e in errors:
        if e.row is not None and 1 <= e.row <= len(services) and \
                not e.message.startswith("service "):
            s = services[e.row - 1]
            e.message = f"service {s.get('id')} '{s.get('name')}': {e.message}"


def _name_records(report: ImportReport, services: list, start: int) -> None:
    _named(report.skipped[start:], services)


def _raise_named(e: InputError, services: list):
    errs = e.errors if isinstance(e, InputErrors) else [e]
    _named(errs, services)
    e.message = errs[0].message
    raise e


def import_openreferral(store, path, *, skip_bad: bool = False, category: str | None = None,
                        council_verified_marks: bool = False) -> ImportReport:
    """Import Open Referral UK data (a JSON page, pages, one service, or an HSDS CSV
    package) in one transaction. Services of other feeds without an AssetMap category
    become ``category`` (default ``other``). With ``skip_bad``, services that cannot be
    placed (e.g. outside the stored areas) are reported one by one and the rest stored.
    Quality marks are self-declared unless ``council_verified_marks`` (the council's own
    feed, where "verified by the council" is believed)."""
    file = str(path)
    report = ImportReport("openreferral", file)
    services = read_openreferral(path)
    if not services:
        raise InputError("the feed has no services", file=file)
    rows = [service_to_row(s) for s in services]
    _no_client_group(rows, report)
    std = pd.DataFrame([{k: v for k, v in r.items() if not k.startswith("_")} for r in rows])
    ctx = Context(area_name=store.get_meta("area_name") or settings.DEMO_LA_NAME)
    try:
        _import(store, std, services, rows, ctx, report, file=file, skip_bad=skip_bad,
                rules=assets_csv.RowRules(source="openreferral",
                                          default_category=category or "other",
                                          council_marks=council_verified_marks))
    except InputError as e:
        _raise_named(e, services)
    _name_records(report, services, 0)
    return report


def _import(store, std, services, rows, ctx, report, *, file, skip_bad, rules) -> None:
    """Check, de-duplicate and write the rows in one transaction, with their extras."""
    with store.transaction() as conn:
        assets, prov = assets_csv.build_assets(
            std, store, conn, file=file, report=report, skip_bad=skip_bad, rules=rules)
        assets_csv.dedupe_against_store(assets, prov, store, conn, report)
        _keep_private_details(assets, store, conn)
        _keep_council_facts(assets, prov, rows, store, conn)
        _attach_extras(assets, prov, services, rows, ctx)
        assets_csv.write_assets(store, conn, assets, prov, file=file, report=report,
                                skip_bad=skip_bad)


def _attach_extras(assets: list, prov: list, services: list, rows: list, ctx) -> None:
    """Each asset's ``oruk_extra`` (ids and what AssetMap cannot hold) and its
    ``updated_at`` (the service's last_modified)."""
    by_asset = {p["asset_id"]: p for p in prov}
    for a in assets:
        k = a["_row"] - 1
        s, r = services[k], rows[k]
        if r.get("_updated_at"):
            a["updated_at"] = r["_updated_at"]
        a["oruk_extra"] = extra.dumps({"ids": r["_ids"]})
        clean = _as_stored(a, by_asset.get(a["id"]))
        if clean is None:           # the writer reports what is wrong with it
            continue
        ex = extra.build(prune(s) or {}, generated_record(clean, ctx), r["_ids"])
        a["oruk_extra"] = extra.dumps(ex)


def _as_stored(a: dict, p: dict | None) -> dict | None:
    """The asset (and provider) fields as the store will hold them (checked and typed
    by the model's validators), with its point; None when they do not validate."""
    cols = {k: [a.get(k)] for k in model.ASSET_COLUMNS}
    try:
        clean = model.validate_assets(gpd.GeoDataFrame(
            cols, geometry=gpd.points_from_xy([float(a["lon"])], [float(a["lat"])]),
            crs=STORAGE_CRS)).iloc[0].to_dict()
        if p is not None:
            pc = {k: [p.get(k)] for k in model.PROVIDER_COLUMNS}
            pc["asset_id"] = [a["id"]]
            pr = model.validate_providers(pd.DataFrame(pc)).iloc[0].to_dict()
            clean.update({k: v for k, v in pr.items() if k != "asset_id"})
    except (InputError, TypeError, ValueError):
        return None
    return clean


def _keep_council_facts(assets: list, prov: list, rows: list, store, conn) -> None:
    """A re-import (even of AssetMap's own feed, which leaves the preferred list out unless
    it is published) keeps what only the council says (``provider_trust``)."""
    old = store.read_assets(statuses=None, ids=[p["asset_id"] for p in prov], conn=conn)
    row_of = {a["id"]: rows[a["_row"] - 1] for a in assets}
    provider_trust.keep_council_facts(prov, old.set_index("id") if len(old) else None,
                                      lambda aid: row_of.get(aid, {}))


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

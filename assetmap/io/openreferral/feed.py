"""The Open Referral UK API's content: every path of the UK profile's ``openapi.json``
(``/``, ``/services``, ``/service_at_locations``, ``/organizations``, ``/locations``,
``/taxonomies``, ``/taxonomy_terms`` and their ``/{id}`` forms) from one :class:`Feed`
built over the public assets, with the page envelope (``total_items, total_pages,
page_number, size, first_page, last_page, empty, contents``)."""
from __future__ import annotations

import math

import geopandas as gpd

from ... import __version__
from . import entities, filters
from .query import Query
from .record import service_record
from .terms import HSDS_VERSION, PROFILE_URI, Context, context_from, uid

#: The one-to-one fields of a service (the list form of ``/services``).
LIST_FIELDS = ("id", "organization_id", "name", "description", "url", "email", "status",
               "accreditations", "assured_date", "last_modified", "minimum_age",
               "maximum_age", "alert", "organization")


def _public(frame) -> gpd.GeoDataFrame:
    from ...privacy import public_assets
    return public_assets(frame)


def _assets_of(source) -> gpd.GeoDataFrame:
    """Approved assets with provider columns from a Store, or a given (Geo)DataFrame."""
    if hasattr(source, "read_assets"):
        return source.read_assets(statuses=("approved",))
    return source


def rows(frame):
    """The frame's records as dicts with their ``geometry``."""
    if isinstance(frame, gpd.GeoDataFrame):
        gname = frame.geometry.name
        for rec, geom in zip(frame.drop(columns=gname).to_dict("records"), frame.geometry):
            rec["geometry"] = geom
            yield rec
    else:
        yield from frame.to_dict("records")


def list_form(s: dict) -> dict:
    """A service's one-to-one fields and its organization (without nested lists)."""
    out = {k: s[k] for k in LIST_FIELDS if k in s}
    if "organization" in out:
        out["organization"] = {k: v for k, v in out["organization"].items()
                               if not isinstance(v, list)}
    return out


def envelope(items: list, page: int, per_page: int) -> dict:
    total = len(items)
    pages = max(1, math.ceil(total / per_page))
    contents = items[(page - 1) * per_page: page * per_page]
    return {"total_items": total, "total_pages": pages, "page_number": page,
            "size": len(contents), "first_page": page == 1, "last_page": page >= pages,
            "empty": len(contents) == 0, "contents": contents}


class Feed:
    """Every service of the public assets (home-based providers approximated, private
    contacts withheld), and the organizations, locations and taxonomies they use."""

    def __init__(self, source, ctx: Context | None = None, *, public: bool = False):
        frame = _assets_of(source)
        frame = frame if public else _public(frame)
        self.ctx = ctx or Context()
        self.pairs = [(r, service_record(r, ctx=self.ctx)) for r in rows(frame)]
        self.by_id = {s["id"]: (r, s) for r, s in self.pairs}
        self.by_asset = {str(r["id"]): s["id"] for r, s in self.pairs}

    def root_document(self, openapi_url: str | None = None) -> dict:
        """``/``: the HSDS version and the profile the API follows."""
        out = {"version": HSDS_VERSION, "profile": PROFILE_URI,
               "openapi_url": openapi_url, "software": f"AssetMap {__version__}"}
        return {k: v for k, v in out.items() if v}

    def service(self, service_id: str) -> dict | None:
        """``/services/{id}`` (the asset's own id is accepted too)."""
        hit = self.by_id.get(service_id) or self.by_id.get(
            self.by_asset.get(service_id, ""), None)
        return hit[1] if hit else None

    def _selected(self, q: Query) -> list:
        pairs = [(r, s) for r, s in self.pairs
                 if filters.keep(s, q.filters) and filters.searched(s, q.search)]
        return filters.near(pairs, q)

    def services(self, q: Query) -> dict:
        """``/services``: full records unless ``full=false``; ``minimal``: id and time."""
        sel = [s for _, s in self._selected(q)]
        if q.minimal:
            items = [{k: s[k] for k in ("id", "last_modified") if k in s} for s in sel]
        else:
            items = sel if q.full in (None, True) else [list_form(s) for s in sel]
        return envelope(items, q.page, q.per_page)

    def service_at_locations(self, q: Query) -> dict:
        items = []
        for _, s in self._selected(q):
            for sal in s.get("service_at_locations") or []:
                items.append(entities.sal_item(sal, s, full=bool(q.full)))
        return envelope(items, q.page, q.per_page)

    def service_at_location(self, sal_id: str) -> dict | None:
        for _, s in self.pairs:
            for sal in s.get("service_at_locations") or []:
                if sal.get("id") == sal_id:
                    return entities.sal_item(sal, s, full=True)
        return None

    def organizations(self, q: Query) -> dict:
        orgs = entities.organizations(self.pairs, full=bool(q.full),
                                      full_service=q.full_service)
        items = [o for o in orgs if filters.searched(o, q.search)]
        return envelope(items, q.page, q.per_page)

    def organization(self, org_id: str, full_service: bool = False) -> dict | None:
        for o in entities.organizations(self.pairs, full=True, full_service=full_service):
            if o["id"] == org_id:
                return o
        return None

    def locations(self, q: Query) -> dict:
        sel = self._selected(Query("locations", filters={
            k: v for k, v in q.filters.items() if k in ("organization_id", "modified_after")},
            postcode=q.postcode, proximity=q.proximity, point=q.point))
        items = [x for x in entities.locations(sel) if filters.searched(x, q.search)]
        return envelope(items, q.page, q.per_page)

    def location(self, loc_id: str) -> dict | None:
        return next((x for x in entities.locations(self.pairs) if x["id"] == loc_id), None)

    def taxonomies(self, q: Query) -> dict:
        items = [t for t in entities.taxonomies(self.pairs, self.ctx)
                 if filters.searched(t, q.search)]
        return envelope(items, q.page, q.per_page)

    def taxonomy(self, tax_id: str) -> dict | None:
        return next((t for t in entities.taxonomies(self.pairs, self.ctx, nested=True)
                     if t["id"] == tax_id), None)

    def taxonomy_terms(self, q: Query) -> dict:
        items = entities.taxonomy_terms(self.pairs, self.ctx)
        f = q.filters
        if "taxonomy_id" in f:
            items = [t for t in items if t.get("taxonomy_id") == f["taxonomy_id"]]
        if "parent_id" in f:
            items = [t for t in items if t.get("parent_id") == f["parent_id"]]
        if q.top_only:
            parents = {t.get("parent_id") for t in items}
            items = [t for t in items if t["id"] not in parents]
        items = [t for t in items if filters.searched(t, q.search)]
        return envelope(items, q.page, q.per_page)

    def taxonomy_term(self, term_id: str) -> dict | None:
        return next((t for t in entities.taxonomy_terms(self.pairs, self.ctx)
                     if t["id"] == term_id), None)


def services_page(source, *, page: int = 1, per_page: int = 50, full: bool = True,
                  base_url: str | None = None) -> dict:
    """A ``/services`` page of a Store or a (Geo)DataFrame of assets (made public here);
    ``full=False`` gives the list form; ``base_url`` is the feed's root."""
    feed = Feed(source, context_from(base_url))
    return feed.services(Query("services", page=max(1, int(page)),
                               per_page=max(1, int(per_page)), full=full))


def service_by_id(source, service_id: str, *, base_url=None) -> dict | None:
    """``/services/{id}``: the fully nested service, or None."""
    return Feed(source, context_from(base_url)).service(service_id)


__all__ = ["Feed", "LIST_FIELDS", "envelope", "list_form", "rows", "service_by_id",
           "services_page", "uid"]

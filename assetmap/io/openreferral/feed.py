"""The Open Referral UK pages the web app serves: ``/services`` (a page of services in the
UK profile's envelope) and ``/services/{id}`` (one fully nested service)."""
from __future__ import annotations

import math

import geopandas as gpd

from .record import service_record
from .terms import uid

LIST_FIELDS = ("id", "organization_id", "name", "description", "url", "email", "status",
               "accreditations", "assured_date", "last_modified", "organization")


def _public(frame) -> gpd.GeoDataFrame:
    from ...privacy import public_assets
    return public_assets(frame)


def _assets_of(source) -> gpd.GeoDataFrame:
    """Approved assets with provider columns from a Store, or a given (Geo)DataFrame."""
    if hasattr(source, "read_assets"):
        return source.read_assets(statuses=("approved",))
    return source


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

"""One asset (a row with asset and optional provider columns, public already) as a fully
nested HSDS 3.0 / Open Referral UK service: its organization, location, attributes,
costs, contacts, schedules and service areas. Empty values are left out.

A record imported from another feed keeps its identifiers and what AssetMap cannot hold
(``oruk_extra``, see :mod:`.extra`): :func:`service_record` merges those back in."""
from __future__ import annotations

from ... import model
from . import extra, parts
from .terms import CQC_PREFIX, QUALITY_PREFIX, Context, field, prune, uid


def ids_of(row) -> dict:
    """The record's identifiers: those it was imported with, else AssetMap's own."""
    aid = str(row["id"])
    kept = extra.load(field(row, "oruk_extra")).get("ids", {})
    return {"service": kept.get("service") or uid("service", aid),
            "organization": kept.get("organization") or uid("organization", aid),
            "location": kept.get("location") or uid("location", aid),
            "service_at_location": kept.get("service_at_location")
            or uid("service_at_location", aid)}


def reach_mode(row) -> str:
    """The provider's reach: its ``reach``, else by its service types (the rule of
    ``analysis.reach.reach_mode``, which io may not import)."""
    given = str(field(row, "reach") or "").strip()
    if given in model.REACH_MODES:
        return given
    types = set(model.split_list(field(row, "service_types")))
    return "visits" if types and types <= set(model.VISITING_SERVICE_TYPES) else "venue"


def page_url(row, ctx: Context) -> str | None:
    """The record's public page (``/directory/<id>``), when the site's root is known."""
    return f"{ctx.root}/directory/{row['id']}" if ctx.root else None


def generated_record(row, ctx: Context) -> dict:
    """The service as AssetMap's own fields give it (no kept extras), empty values out."""
    aid = str(row["id"])
    ids = ids_of(row)
    sid = ids["service"]
    is_provider = field(row, "service_types") is not None
    reach = reach_mode(row) if is_provider else None
    email, contacts = parts.contacts(row, aid, sid)
    assured = field(row, "last_reviewed")
    return prune({
        "id": sid, "organization_id": ids["organization"], "name": row["name"],
        "description": field(row, "description"),
        "url": field(row, "website") or page_url(row, ctx), "email": email,
        "status": "active",
        "accreditations": accreditations(row) if is_provider else None,
        "assured_date": str(assured)[:10] if assured else None,
        "last_modified": field(row, "updated_at"),
        "organization": _organization(row, aid, ids, email),
        "service_at_locations": [{"id": ids["service_at_location"], "service_id": sid,
                                  "location_id": ids["location"],
                                  "location": _location(row, aid, ids, ctx)}],
        "schedules": parts.schedules(row, aid, sid, reach), "contacts": contacts,
        "cost_options": parts.cost_options(row, aid, sid) if is_provider else [],
        "service_areas": parts.service_areas(row, aid, sid) if is_provider else [],
        "languages": parts.languages(row, aid, sid) if is_provider else [],
        "attributes": parts.attributes(row, aid, sid, is_provider, ctx),
    }) or {}


def accreditations(row) -> str | None:
    """'AssetMap quality mark: gold (verified by the council); CQC overall rating: Good'
    (HSDS's free-text accreditations; the mark's awarder and the rating are also detail
    attributes)."""
    bits = []
    qm = field(row, "quality_mark")
    if qm and qm != "none":
        by = "verified by the council" if field(row, "quality_mark_by") == "council" \
            else "self-declared"
        bits.append(f"{QUALITY_PREFIX}{qm} ({by})")
    if field(row, "cqc_rating"):
        bits.append(f"{CQC_PREFIX}{field(row, 'cqc_rating')}")
    return "; ".join(bits) or None


def service_record(row, *, base_url: str | None = None, ctx: Context | None = None) -> dict:
    """One asset (public already) as a fully nested HSDS 3.0 service: AssetMap's fields,
    with what an imported record kept merged back (privacy rules applied to it).
    ``ctx`` (or ``base_url``, the feed's root) gives the site's root for links."""
    from .terms import context_from
    ctx = ctx or context_from(base_url)
    return extra.merge(generated_record(row, ctx), row,
                       lambda r: generated_record(r, Context(area_name=ctx.area_name)))


def _organization(row, aid: str, ids: dict, email: str | None) -> dict:
    """The asset's own organization, with its CQC, charity and company identifiers."""
    oid = ids["organization"]
    idents = []
    for col, scheme, label in (("cqc_location_id", None, "CQC location ID"),
                               ("charity_number", "GB-CHC", "Charity number"),
                               ("company_number", "GB-COH", "Company number")):
        if field(row, col):
            idents.append({"id": uid("organization_identifier", f"{aid}:{col}"),
                           "organization_id": oid, "identifier_scheme": scheme,
                           "identifier_type": label, "identifier": str(field(row, col))})
    return {"id": oid, "name": row["name"],
            "description": field(row, "description") or row["name"],
            "email": email, "website": field(row, "website"),
            "organization_identifiers": idents}


def _location(row, aid: str, ids: dict, ctx: Context) -> dict:
    """The physical location: the point (a home-based provider's grid-cell centre, already
    so in a public row) and the address (none for a home-based provider)."""
    geom = row.get("geometry")
    lon = field(row, "lon") if geom is None else geom.x
    lat = field(row, "lat") if geom is None else geom.y
    home = bool(field(row, "home_based"))
    addresses, note = [], None
    if not home and field(row, "postcode"):
        addresses.append(_address(row, aid, ids["location"], ctx))
    elif not home and field(row, "address"):     # HSDS asks for a postcode in an address
        note = ADDRESS_NOTE + str(field(row, "address"))
    return {"id": ids["location"], "location_type": "physical",
            "organization_id": ids["organization"],
            "name": "Approximate location (home-based)" if home else row["name"],
            "description": "Shown at the centre of its grid cell: the exact address of a "
                           "home-based provider is never published" if home else note,
            "latitude": None if lat is None else round(float(lat), 6),
            "longitude": None if lon is None else round(float(lon), 6),
            "addresses": addresses}


#: A location's description when its address has no postcode (HSDS requires one in an
#: address object); the importer reads the address back from it.
ADDRESS_NOTE = "Address (no postcode): "


def _address(row, aid: str, lid: str, ctx: Context) -> dict:
    """The address: ``address_1`` the whole address as AssetMap holds it, the town its
    last part (or the borough), the region the borough."""
    addr = str(field(row, "address") or "")
    bits = [p.strip() for p in addr.split(",") if p.strip()]
    region = ctx.area_name or "England"
    return {"id": uid("address", aid), "location_id": lid,
            "address_1": addr or str(field(row, "postcode")),
            "city": bits[-1] if len(bits) > 1 else region, "state_province": region,
            "postal_code": field(row, "postcode"), "country": "GB",
            "address_type": "physical"}

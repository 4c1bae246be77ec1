"""One asset (a row with asset and optional provider columns, public already) as a fully
nested HSDS 3.0 / Open Referral UK service: its organization, location, attributes, costs,
capacities, contacts and schedules."""
from __future__ import annotations

from ... import model
from .terms import CAPACITY_UNIT, LINK_TYPES, QUALITY_PREFIX, TAXONOMIES, field, uid


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
    is_provider = field(row, "service_types") is not None
    # without a website, the service's own record in the feed (``base_url`` is the feed's
    # root, e.g. https://site/openreferral)
    url = field(row, "website") or (f"{base_url.rstrip('/')}/services/{sid}"
                                    if base_url else None)
    organization = _organization(row, aid, oid)
    location = _location(row, aid, oid, lid)
    attrs = _attributes(row, aid, sid, is_provider)
    cost = _cost_options(row, aid, sid) if is_provider else []
    caps = _capacities(row, aid, sid) if is_provider else []
    accreditations = _accreditation(row) if is_provider else None
    email, contacts = _contacts(row, aid, sid)
    assured = field(row, "last_reviewed")
    return {
        "id": sid, "organization_id": oid, "name": row["name"],
        "description": field(row, "description") or "", "url": url, "email": email,
        "status": "active", "accreditations": accreditations,
        "assured_date": str(assured)[:10] if assured else None,
        "last_modified": field(row, "updated_at"),
        "organization": organization,
        "service_at_locations": [{"id": uid("service_at_location", aid), "service_id": sid,
                                  "location_id": lid, "location": location}],
        "schedules": _schedules(row, aid, sid), "contacts": contacts, "cost_options": cost,
        "capacities": caps, "attributes": attrs,
    }


def _organization(row, aid: str, oid: str) -> dict:
    """The asset's own organization, with its CQC, charity and company identifiers."""
    idents = []
    for col, scheme, label in (("cqc_location_id", "", "CQC location ID"),
                               ("charity_number", "GB-CHC", "Charity number"),
                               ("company_number", "GB-COH", "Company number")):
        if field(row, col):
            idents.append({"id": uid("organization_identifier", f"{aid}:{col}"),
                           "organization_id": oid, "identifier_scheme": scheme,
                           "identifier_type": label, "identifier": str(field(row, col))})
    contact = field(row, "contact")
    return {"id": oid, "name": row["name"],
            "description": field(row, "description") or row["name"],
            "email": contact if contact and "@" in str(contact) else None,
            "website": field(row, "website"), "organization_identifiers": idents}


def _location(row, aid: str, oid: str, lid: str) -> dict:
    """The physical location: the point (a home-based provider's grid-cell centre, already
    so in a public row) and the address (none for a home-based provider)."""
    geom = row.get("geometry")
    lon = field(row, "lon") if geom is None else geom.x
    lat = field(row, "lat") if geom is None else geom.y
    home = bool(field(row, "home_based"))
    addresses = []
    if not home and (field(row, "address") or field(row, "postcode")):
        addr = field(row, "address") or ""
        parts = [p.strip() for p in addr.split(",") if p.strip()]
        addresses.append({"id": uid("address", aid), "location_id": lid,
                          "address_1": addr, "city": parts[-1] if len(parts) > 1 else "",
                          "state_province": "", "postal_code": field(row, "postcode") or "",
                          "country": "GB", "address_type": "physical"})
    return {"id": lid, "location_type": "physical", "organization_id": oid,
            "name": "Approximate location (home-based)" if home else row["name"],
            "description": "Shown at the centre of its grid cell: the exact address of a "
                           "home-based provider is never published" if home else None,
            "latitude": None if lat is None else round(float(lat), 6),
            "longitude": None if lon is None else round(float(lon), 6),
            "addresses": addresses}


def _attributes(row, aid: str, sid: str, is_provider: bool) -> list[dict]:
    """Category, AssetMap id and flags; for a provider also its service types, client
    groups and provider details."""
    category = field(row, "category") or ("micro_provider" if is_provider else "other")
    attrs = [_attr(sid, "category", category),
             _attr(sid, "detail", "assetmap_id", aid)]
    if field(row, "home_based"):
        attrs.append(_attr(sid, "detail", "home_based", "true"))
    attrs.append(_attr(sid, "detail", "contact_public",
                       str(bool(field(row, "contact_public"))).lower()))
    if not is_provider:
        return attrs
    for t in model.split_list(field(row, "service_types")):
        attrs.append(_attr(sid, "service_type", t))
    for c in model.split_list(field(row, "client_groups")):
        attrs.append(_attr(sid, "client_group", c))
    for k in ("direct_payments", "preferred_list"):
        attrs.append(_attr(sid, "detail", k, str(bool(field(row, k))).lower()))
    for k in ("staff_fte", "community_focus", "radius_km"):
        if field(row, k) is not None:
            attrs.append(_attr(sid, "detail", k, field(row, k)))
    return attrs


def _cost_options(row, aid: str, sid: str) -> list[dict]:
    price = field(row, "hourly_price")
    if price is None:
        return []
    return [{"id": uid("cost_option", aid), "service_id": sid, "option": "Hourly rate",
             "currency": "GBP", "amount": float(price), "amount_description": "per hour"}]


def _capacities(row, aid: str, sid: str) -> list[dict]:
    """Weekly hours (maximum) and vacancies (available; the maximum when not known)."""
    hours, vac = field(row, "capacity_hours"), field(row, "vacancies")
    if hours is None and vac is None:
        return []
    return [{"id": uid("service_capacity", aid), "service_id": sid,
             "unit_id": uid("unit", CAPACITY_UNIT),
             "unit": {"id": uid("unit", CAPACITY_UNIT), "name": CAPACITY_UNIT},
             "maximum": hours,
             "available": vac if vac is not None else (hours or 0),
             "description": "Weekly capacity" + ("" if vac is not None else
                                                 "; vacancies not known"),
             "updated": field(row, "updated_at") or field(row, "last_reviewed") or ""}]


def _accreditation(row) -> str | None:
    qm = field(row, "quality_mark")
    return QUALITY_PREFIX + qm if qm and qm != "none" else None


def _contacts(row, aid: str, sid: str) -> tuple[str | None, list[dict]]:
    """The service's e-mail (when the contact is one), else a contact with its phone."""
    contact = field(row, "contact")
    if not contact:
        return None, []
    if "@" in str(contact):
        return str(contact), []
    return None, [{"id": uid("contact", aid), "service_id": sid, "name": None,
                   "phones": [{"id": uid("phone", aid), "contact_id": uid("contact", aid),
                               "number": str(contact)}]}]


def _schedules(row, aid: str, sid: str) -> list[dict]:
    hours = field(row, "opening_hours")
    if not hours:
        return []
    return [{"id": uid("schedule", aid), "service_id": sid, "description": hours}]

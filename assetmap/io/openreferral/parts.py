"""The parts of a service built from AssetMap's fields: e-mail and phones (one contact
field, "phone; e-mail", split into their own objects), schedules (OSM opening hours as
RFC 5545 rules, the original text kept as the description), cost options, service areas
and taxonomy attributes."""
from __future__ import annotations

import re

from ... import focus, model
from .terms import (
    ATTENDING,
    LANGUAGE_CODES,
    LINK_TYPES,
    TAXONOMIES,
    Context,
    field,
    number,
    taxonomy_id,
    term_id,
    uid,
)

EMAIL_RE = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+$")
#: A telephone number: digits with spaces, dashes, dots, brackets and a leading +.
PHONE_RE = re.compile(r"^\+?[\d\s().-]{6,}$")
_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_RULE_RE = re.compile(r"^((?:[A-Z][a-z](?:-[A-Z][a-z])?,?)+)\s+(\d\d:\d\d)-(\d\d:\d\d)$")
#: ONS linked-data URI of a statistical geography code (LSOA, ward, local authority).
ONS_GEOGRAPHY_URI = "http://statistics.data.gov.uk/id/statistical-geography/"


def split_contact(contact) -> tuple[list[str], list[str], list[str]]:
    """AssetMap's one contact field ("01632 960710; hello@x.org") as (phones, e-mails,
    other words), in the order given."""
    phones, emails, other = [], [], []
    for part in re.split(r"[;|]|,\s+|\s+or\s+|\s+/\s+", str(contact or "")):
        p = part.strip()
        if not p:
            continue
        if EMAIL_RE.match(p):
            emails.append(p)
        elif PHONE_RE.match(p) and sum(c.isdigit() for c in p) >= 6:
            phones.append(p)
        else:
            other.append(p)
    return phones, emails, other


def contacts(row, aid: str, sid: str) -> tuple[str | None, list[dict]]:
    """The service's e-mail (the first in the contact field) and one contact holding the
    phone numbers (and any other contact words as its name)."""
    phones, emails, other = split_contact(field(row, "contact"))
    if not phones and not other:
        return (emails[0] if emails else None), []
    cid = uid("contact", aid)
    contact = {"id": cid, "service_id": sid, "name": ", ".join(other) or None,
               "email": emails[1] if len(emails) > 1 else None,
               "phones": [{"id": uid("phone", f"{aid}:{i}"), "contact_id": cid,
                           "number": p} for i, p in enumerate(phones)]}
    return (emails[0] if emails else None), [contact]


def _days(spec: str) -> list[str] | None:
    out: list[str] = []
    for part in spec.split(","):
        if not part:
            continue
        ends = part.split("-")
        if any(e not in _DAYS for e in ends) or len(ends) > 2:
            return None
        i, j = _DAYS.index(ends[0]), _DAYS.index(ends[-1])
        out += list(_DAYS[i:j + 1]) if i <= j else list(_DAYS[i:]) + list(_DAYS[:j + 1])
    return out or None


def osm_rules(text: str) -> list[tuple[list[str], str, str]]:
    """The simple rules of an OSM opening_hours text ("Mo-Fr 09:00-17:00; Sa 10:00-12:00",
    "24/7") as (days, opens, closes); rules of other syntax are left out."""
    if text.strip() == "24/7":
        return [(list(_DAYS), "00:00", "23:59")]
    out = []
    for rule in text.split("||")[0].split(";"):
        m = _RULE_RE.match(rule.strip())
        days = _days(m.group(1)) if m else None
        if m and days:
            closes = "23:59" if m.group(3) in ("24:00", "00:00") else m.group(3)
            out.append((days, m.group(2), closes))
    return out


def schedules(row, aid: str, sid: str, reach: str | None) -> list[dict]:
    """One weekly schedule per simple rule of the opening hours (the first carries the
    whole text as its description), each with how to attend (the provider's reach)."""
    hours = field(row, "opening_hours")
    attending = ATTENDING.get(reach) if reach else None
    if not hours:
        return [{"id": uid("schedule", aid), "service_id": sid,
                 "attending_type": attending}] if attending else []
    rules: list = osm_rules(str(hours)) or [None]
    out = []
    for i, rule in enumerate(rules):
        s: dict = {"id": uid("schedule", aid if i == 0 else f"{aid}:{i}"), "service_id": sid,
                   "description": str(hours) if i == 0 else None,
                   "attending_type": attending}
        if rule:
            s.update(freq="WEEKLY", interval=1,
                     byday=",".join(d.upper() for d in rule[0]), opens_at=rule[1],
                     closes_at=rule[2])
        out.append(s)
    return out


def cost_options(row, aid: str, sid: str) -> list[dict]:
    price = field(row, "hourly_price")
    if price is None:
        return []
    return [{"id": uid("cost_option", aid), "service_id": sid, "option": "Hourly rate",
             "currency": "GBP", "amount": number(float(price)),
             "amount_description": "per hour"}]


def service_areas(row, aid: str, sid: str) -> list[dict]:
    """The area the provider serves: each area code (with its ONS URI), the polygon
    (GeoJSON), and the radius around its base, as service areas."""
    out = []
    for code in model.split_list(field(row, "area_served")):
        out.append({"id": uid("service_area", f"{aid}:{code}"), "service_id": sid,
                    "name": code, "service_area": f"Area {code}",
                    "uri": ONS_GEOGRAPHY_URI + code if model.AREA_CODE_RE.match(code)
                    else None})
    poly = field(row, "area_served_geojson")
    if poly:
        out.append({"id": uid("service_area", f"{aid}:polygon"), "service_id": sid,
                    "name": "Area served", "service_area": "The area drawn on the map",
                    "extent": str(poly), "extent_type": "geojson"})
    radius = field(row, "radius_km")
    if radius is not None:
        words = f"Within {number(float(radius))} km of its base"
        out.append({"id": uid("service_area", f"{aid}:radius"), "service_id": sid,
                    "name": words, "service_area": words})
    return out


def term(kind: str, code: str, ctx: Context) -> dict:
    """A term of the AssetMap taxonomy ``kind`` (with its taxonomy's id and name)."""
    tax_name, vocab = TAXONOMIES[kind]
    tid = term_id(kind, code)
    label = vocab.get(code, code)
    return {"id": tid, "code": code, "term": code, "name": label, "description": label,
            "taxonomy": tax_name, "taxonomy_id": taxonomy_id(kind), "language": "en",
            "term_uri": f"{ctx.feed_root}/taxonomy_terms/{tid}" if ctx.root else None}


def attribute(sid: str, kind: str, code: str, ctx: Context, value=None) -> dict:
    return {"id": uid("attribute", f"{sid}:{kind}:{code}"), "link_id": sid,
            "link_type": LINK_TYPES[kind], "link_entity": "service",
            "taxonomy_term_id": term_id(kind, code),
            "value": None if value is None else str(number(value)),
            "taxonomy_term": term(kind, code, ctx)}


#: Provider details published as attribute values (HSDS 3.0 has no field for them).
DETAIL_FLAGS = ("direct_payments", "preferred_list", "cqc_registered")
DETAIL_VALUES = ("staff_fte", "community_focus", "radius_km", "capacity_hours", "vacancies",
                 "capacity_places", "vacancies_confirmed", "reach", "quality_mark_by",
                 "cqc_rating")


def attributes(row, aid: str, sid: str, is_provider: bool, ctx: Context) -> list[dict]:
    """Category, AssetMap id and flags; for a provider also its service types, client
    groups and provider details."""
    category = field(row, "category") or ("micro_provider" if is_provider else "other")
    attrs = [attribute(sid, "category", category, ctx),
             attribute(sid, "detail", "assetmap_id", ctx, aid)]
    if field(row, "home_based"):
        attrs.append(attribute(sid, "detail", "home_based", ctx, "true"))
    attrs.append(attribute(sid, "detail", "contact_public", ctx,
                           str(bool(field(row, "contact_public"))).lower()))
    if not is_provider:
        return attrs
    for t in model.split_list(field(row, "service_types")):
        attrs.append(attribute(sid, "service_type", t, ctx))
    for c in model.split_list(field(row, "client_groups")):
        attrs.append(attribute(sid, "client_group", c, ctx))
    for k in DETAIL_FLAGS:       # (absent: not published, e.g. the preferred list)
        if field(row, k) is not None:
            attrs.append(attribute(sid, "detail", k, ctx, str(bool(field(row, k))).lower()))
    for k in DETAIL_VALUES:
        if field(row, k) is not None:
            attrs.append(attribute(sid, "detail", k, ctx, field(row, k)))
    for t in focus.split_tags(field(row, "community_tags")):
        attrs.append(attribute(sid, "community_focus", t, ctx))
    return attrs


def languages(row, aid: str, sid: str) -> list[dict]:
    """The service's languages (HSDS ``language``: name and ISO 639 code) from the
    provider's community focus terms that are languages."""
    out = []
    for t in focus.split_tags(field(row, "community_tags")):
        if focus.TERMS[t].kind == "language":
            out.append({"id": uid("language", f"{aid}:{t}"), "service_id": sid,
                        "name": focus.label(t), "code": LANGUAGE_CODES.get(t)})
    return out

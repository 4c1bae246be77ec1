"""One Open Referral service (fully nested, any valid HSDS 3.0 / ORUK feed) as AssetMap's
standard asset columns: what AssetMap's fields can hold is read into them (the contact
from phones and e-mails, client groups from eligibility, ages and audience terms, the
hourly price from the cost options, the quality mark from the accreditations, the area
served from the service areas, the reach from how people attend, languages as the
community focus). Client groups are never assumed."""
from __future__ import annotations

import json
import re

from ... import focus, model, settings
from .. import assets_csv
from ..common import blank, text
from .parts import ONS_GEOGRAPHY_URI
from .record import ADDRESS_NOTE
from .terms import LANGUAGE_CODES, TAXONOMIES

_TRUE = {"true", "yes", "1", "y"}
#: Eligibility words -> client group (matched in eligibility text and audience terms).
CLIENT_WORDS = {
    "older_people": r"older (people|adults?|persons?|residents)|elderly|pensioners?|"
                    r"later life|senior citizens?|over[- ]?(50|55|60|65|70|75)s?\b|"
                    r"aged (50|55|60|65|70|75) ?(\+|and over|or over)",
    "dementia": r"dementia|alzheimer",
    "carers": r"\bcarers?\b|unpaid care|caring for",
    "learning_disability": r"learning (disabilit|difficult)",
    "autism": r"autis|asperger",
    "physical_disability": r"physical(ly)? (disab|impair)|wheelchair users?|"
                           r"mobility (impair|problem)",
    "mental_health": r"mental (health|ill)|depression|anxiety",
}
_VISITS = re.compile(r"\bhome\b|visit|comes? to you|outreach|your door|domiciliary", re.I)
_VENUE = re.compile(r"in[- ]person|venue|drop[- ]in|premises|face[- ]to[- ]face|"
                    r"at (the|our) (centre|center|hall|office|club|building)", re.I)
_RADIUS = re.compile(r"within\s+([\d.]+)\s*(km|kilomet\w*|miles?)\b", re.I)
_HOURLY = re.compile(r"\bhour|hourly|\bper hr\b|/\s*h(ou)?r?\b", re.I)
_QUALITY = re.compile(r"quality mark:\s*(gold|silver|bronze|none)\b", re.I)
_QUALITY_BY = re.compile(r"quality mark:\s*\w+\s*\((verified by the council|self-declared)\)",
                         re.I)
_CQC_RATING = re.compile(r"CQC (?:overall )?rating:?\s*(outstanding|good|requires improvement|"
                         r"inadequate)\b", re.I)
_LANGUAGE_IDS = {code: t for t, code in LANGUAGE_CODES.items()}


def classified_terms(s: dict) -> tuple[list, list, list, dict, list]:
    """The service's attributes as (categories, service types, client groups, AssetMap
    provider details, other taxonomies' term names)."""
    cats: list = []
    services: list = []
    clients: list = []
    details: dict = {}
    other: list = []
    for a in s.get("attributes") or []:
        term = a.get("taxonomy_term") or {}
        tax = str(term.get("taxonomy") or "")
        code = term.get("code") or term.get("term") or term.get("name")
        if tax == TAXONOMIES["category"][0]:
            cats.append(code)
        elif tax == TAXONOMIES["service_type"][0]:
            services.append(code)
        elif tax == TAXONOMIES["client_group"][0]:
            clients.append(code)
        elif tax == TAXONOMIES["detail"][0]:
            details[code] = a.get("value")
        elif tax == TAXONOMIES["community_focus"][0]:
            details.setdefault("community_tags", []).append(code)
        elif term.get("name") or term.get("term"):
            other.append(str(term.get("name") or term.get("term")))
    return cats, services, clients, details, other


def client_groups(s: dict, ours: list, other_terms: list) -> list[str]:
    """Client groups from AssetMap's own terms, other taxonomies' terms, the eligibility
    description and the age range (older people only from a minimum age of at least
    ``settings.OPENREFERRAL_OLDER_MIN_AGE``)."""
    out = [c for c in ours if c in model.CLIENT_GROUPS]
    words = " ; ".join(other_terms + [str(s.get("eligibility_description") or "")])
    for name in other_terms:
        k = assets_csv._CLIENTS.get(assets_csv.norm(name))
        if k and k not in out:
            out.append(k)
    for group, pattern in CLIENT_WORDS.items():
        if group not in out and re.search(pattern, words, re.I):
            out.append(group)
    lo, hi = _number(s.get("minimum_age")), _number(s.get("maximum_age"))
    if lo is not None and lo >= settings.OPENREFERRAL_OLDER_MIN_AGE \
            and "older_people" not in out:
        out.append("older_people")
    if hi is not None and hi < settings.OPENREFERRAL_OLDER_MIN_AGE and "older_people" in out:
        out.remove("older_people")
    return out


def _number(v):
    try:
        return None if blank(v) else float(v)
    except (TypeError, ValueError):
        return None


def place(s: dict) -> dict:
    """lat, lon, address and postcode of the first location."""
    sal = s.get("service_at_locations") or [{}]
    loc = (sal[0] or {}).get("location") or {}
    r: dict = {"lat": loc.get("latitude"), "lon": loc.get("longitude")}
    addrs = loc.get("addresses") or loc.get("physical_addresses") or []
    addrs = sorted(addrs, key=lambda a: a.get("address_type") not in (None, "physical"))
    desc = str(loc.get("description") or "")
    if addrs:
        r.update(_address(addrs[0]))
    elif desc.startswith(ADDRESS_NOTE):
        r["address"] = desc[len(ADDRESS_NOTE):]
    return r


def _address(a: dict) -> dict:
    parts = [x for x in (a.get("address_1"), a.get("address_2")) if not blank(x)]
    addr = ", ".join(str(p) for p in parts)
    city, region = a.get("city"), a.get("state_province")
    if not blank(city) and city != region and str(city) not in addr:
        addr = f"{addr}, {city}" if addr else str(city)
    return {"address": addr or None, "postcode": a.get("postal_code") or None}


def contact(s: dict) -> str | None:
    """Every phone number and e-mail of the service, its contacts and its locations, as
    AssetMap's one contact field ("phone; e-mail")."""
    phones: list = []
    emails: list = []
    holders = [s, *(s.get("contacts") or [])]
    for sal in s.get("service_at_locations") or []:
        loc = (sal or {}).get("location") or {}
        holders += [sal or {}, loc, *(loc.get("contacts") or [])]
    for h in holders:
        for p in h.get("phones") or []:
            n = text(p.get("number"))
            if n and n not in phones:
                phones.append(n)
        e = text(h.get("email"))
        if e and e not in emails:
            emails.append(e)
    org_email = text((s.get("organization") or {}).get("email"))
    if not emails and org_email:
        emails.append(org_email)
    return "; ".join(phones + emails) or None


def opening_hours(s: dict) -> str | None:
    """The first schedule's description (AssetMap writes the OSM text there), else the
    weekly rules written as OSM opening hours."""
    sched = s.get("schedules") or []
    if not sched:
        return None
    if text(sched[0].get("description")):
        return text(sched[0]["description"])
    rules = []
    for d in sched:
        days = [x.strip()[-2:].title() for x in str(d.get("byday") or "").split(",")
                if x.strip()]
        if days and d.get("opens_at") and d.get("closes_at"):
            rules.append(f"{','.join(days)} {str(d['opens_at'])[:5]}-{str(d['closes_at'])[:5]}")
    return "; ".join(rules) or None


def reach(s: dict, details: dict) -> str | None:
    """venue / visits / both from the AssetMap detail, else from how people attend."""
    given = str(details.get("reach") or "").strip()
    if given in model.REACH_MODES:
        return given
    if details.get("assetmap_id"):     # AssetMap's own record: its reach was not given
        return None
    words = " ".join(str(d.get("attending_type") or "") for d in s.get("schedules") or [])
    visits, venue = bool(_VISITS.search(words)), bool(_VENUE.search(words))
    return "both" if visits and venue else "visits" if visits else "venue" if venue else None


def area_served(s: dict) -> dict:
    """area_served (area codes), area_served_geojson (a polygon) and radius_km (from a
    "within N km" area) from the service areas."""
    codes, poly, radius = [], None, None
    for a in s.get("service_areas") or []:
        uri, name = str(a.get("uri") or ""), str(a.get("name") or "")
        code = uri[len(ONS_GEOGRAPHY_URI):] if uri.startswith(ONS_GEOGRAPHY_URI) else name
        if model.AREA_CODE_RE.match(code.strip()):
            codes.append(code.strip())
        elif str(a.get("extent_type") or "").lower() == "geojson" and poly is None \
                and _is_polygon(a.get("extent")):
            poly = str(a["extent"])
        m = _RADIUS.search(f"{name} {a.get('service_area') or ''} {a.get('description') or ''}")
        if m and radius is None:
            radius = float(m.group(1)) * (1.609344 if m.group(2).lower().startswith("mile")
                                          else 1.0)
    return {"area_served": "|".join(codes) or None, "area_served_geojson": poly,
            "radius_km": radius}


def _is_polygon(extent) -> bool:
    try:
        g = json.loads(str(extent))
    except ValueError:
        return False
    if isinstance(g, dict) and g.get("type") == "Feature":
        g = g.get("geometry") or {}
    return isinstance(g, dict) and g.get("type") in ("Polygon", "MultiPolygon")


def hourly_price(s: dict):
    """The amount of the first cost option charged by the hour (in pounds)."""
    for c in s.get("cost_options") or []:
        words = f"{c.get('amount_description') or ''} {c.get('option') or ''}"
        cur = str(c.get("currency") or "GBP").upper()
        if _HOURLY.search(words) and cur == "GBP" and _number(c.get("amount")) is not None:
            return _number(c.get("amount"))
    return None


def quality_mark(s: dict) -> str | None:
    m = _QUALITY.search(str(s.get("accreditations") or ""))
    return m.group(1).lower() if m else None


def languages(s: dict) -> str | None:
    """Languages other than English, as a community focus ("Languages: Urdu, Punjabi")."""
    names = []
    for lang in s.get("languages") or []:
        n = text(lang.get("name")) or text(lang.get("code"))
        if n and n.lower() not in ("english", "en", "eng") and n not in names:
            names.append(n)
    return "Languages: " + ", ".join(names) if names else None


def identifiers(s: dict) -> dict:
    """CQC location, charity and company numbers from the organization's identifiers."""
    r: dict = {}
    for i in (s.get("organization") or {}).get("organization_identifiers") or []:
        label = f"{i.get('identifier_scheme') or ''} {i.get('identifier_type') or ''}".lower()
        if "cqc" in label:
            r["cqc_location_id"] = i.get("identifier")
        elif "gb-chc" in label or "charity" in label:
            r["charity_number"] = i.get("identifier")
        elif "gb-coh" in label or "company" in label:
            r["company_number"] = i.get("identifier")
    return r


def details_fields(details: dict) -> dict:
    """AssetMap's provider details (flags and values) as columns."""
    r: dict = {}
    for k in ("home_based", "contact_public", "direct_payments", "preferred_list",
              "cqc_registered"):
        if details.get(k) is not None:
            r[k] = str(details[k]).lower() in _TRUE
    for k in ("staff_fte", "community_focus", "radius_km", "capacity_hours", "vacancies",
              "capacity_places", "vacancies_confirmed"):
        if details.get(k) is not None:
            r[k] = details[k]
    return r


def is_own_page(url, details: dict) -> bool:
    """True when ``url`` is AssetMap's public page of the record (not its website)."""
    aid = details.get("assetmap_id")
    return bool(aid) and str(url or "").rstrip("/").endswith(f"/directory/{aid}")



def trust_fields(s: dict, details: dict) -> dict:
    """Who awarded the quality mark and the CQC rating (AssetMap's detail attributes, else
    the accreditations text), and the community focus terms."""
    acc = str(s.get("accreditations") or "")
    by = details.get("quality_mark_by")
    m = _QUALITY_BY.search(acc)
    if by is None and m:
        by = "council" if m.group(1).lower().startswith("verified") else "self"
    rating = details.get("cqc_rating")
    m = _CQC_RATING.search(acc)
    if rating is None and m:
        rating = m.group(1)
    return {"quality_mark_by": by, "cqc_rating": rating,
            "community_tags": community_tags(s, details)}


def community_tags(s: dict, details: dict) -> str | None:
    """Focus ids from AssetMap's community focus terms and the service's languages (by
    ISO 639 code or name; English and unknown languages left out)."""
    ids = [c for c in details.get("community_tags") or [] if c in focus.TERMS]
    for lang in s.get("languages") or []:
        t = _LANGUAGE_IDS.get(str(lang.get("code") or "").strip().lower())
        if t is None:
            found, _ = focus.parse_tags(text(lang.get("name")))
            t = found[0] if found else None
        if t and t not in ids:
            ids.append(t)
    return focus.join_tags(ids) or None

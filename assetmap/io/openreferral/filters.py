"""Which services a :class:`~.query.Query` keeps: full-text search, taxonomy terms,
organization, modification time, ages, opening days and times, and a postcode (inside
the area served, within ``proximity`` metres of the location), nearest first."""
from __future__ import annotations

import json
import math

from ... import model
from .query import Query, parse_datetime
from .terms import field

EARTH_RADIUS_M = 6_371_008.8     # mean Earth radius (IUGG), for great-circle distances


def distance_m(lon1, lat1, lon2, lat2) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


def _words(s: dict) -> str:
    bits = [s.get("name"), s.get("description"), (s.get("organization") or {}).get("name")]
    for a in s.get("attributes") or []:
        t = a.get("taxonomy_term") or {}
        bits += [t.get("name"), t.get("code")]
    for sal in s.get("service_at_locations") or []:
        for ad in ((sal or {}).get("location") or {}).get("addresses") or []:
            bits += [ad.get("address_1"), ad.get("city"), ad.get("postal_code")]
    return " ".join(str(b) for b in bits if b).lower()


def _terms(s: dict) -> tuple[set, set]:
    ids, taxa = set(), set()
    for a in s.get("attributes") or []:
        t = a.get("taxonomy_term") or {}
        ids |= {x for x in (a.get("taxonomy_term_id"), t.get("id")) if x}
        if t.get("taxonomy_id"):
            taxa.add(t["taxonomy_id"])
    return ids, taxa


def _schedules_match(s: dict, f: dict) -> bool:
    """Some schedule open on ``day``, opening at or after ``start_time`` and closing at or
    before ``end_time`` (those that are asked for)."""
    for d in s.get("schedules") or []:
        days = {x.strip()[-2:].upper() for x in str(d.get("byday") or "").split(",")}
        if "day" in f and f["day"] not in days:
            continue
        if "start_time" in f and not (d.get("opens_at") and
                                      str(d["opens_at"])[:5] >= f["start_time"]):
            continue
        if "end_time" in f and not (d.get("closes_at") and
                                    str(d["closes_at"])[:5] <= f["end_time"]):
            continue
        return True
    return False


def _modified_ok(s: dict, after) -> bool:
    lm = s.get("last_modified")
    if not lm:
        return False
    try:
        return parse_datetime(str(lm)) >= after
    except ValueError:
        return False


def keep(s: dict, f: dict) -> bool:
    """True when service ``s`` passes the filters ``f`` (Query.filters)."""
    if "organization_id" in f and s.get("organization_id") != f["organization_id"]:
        return False
    if "taxonomy_term_id" in f or "taxonomy_id" in f:
        ids, taxa = _terms(s)
        if "taxonomy_term_id" in f and f["taxonomy_term_id"] not in ids:
            return False
        if "taxonomy_id" in f and f["taxonomy_id"] not in taxa:
            return False
    if "modified_after" in f and not _modified_ok(s, f["modified_after"]):
        return False
    if "minimum_age" in f and not (s.get("minimum_age") is not None
                                   and float(s["minimum_age"]) >= f["minimum_age"]):
        return False
    if "maximum_age" in f and not (s.get("maximum_age") is not None
                                   and float(s["maximum_age"]) <= f["maximum_age"]):
        return False
    if any(k in f for k in ("day", "start_time", "end_time")) and not _schedules_match(s, f):
        return False
    return True


def searched(s: dict, text: str | None) -> bool:
    """Every word of ``text`` in the service's names, description, terms or address."""
    if not text:
        return True
    hay = _words(s)
    return all(w in hay for w in text.lower().split())


def covers(row, lon: float, lat: float, codes) -> bool | None:
    """Whether the provider's area served holds the point: True/False, or None when the
    record says nothing of the area it serves."""
    said = False
    area = model.split_list(field(row, "area_served"))
    if area:
        said = True
        if set(area) & set(codes or ()):
            return True
    poly = field(row, "area_served_geojson")
    if poly:
        said = True
        if _in_polygon(poly, lon, lat):
            return True
    radius = field(row, "radius_km")
    geom = row.get("geometry")
    if radius is not None and geom is not None:
        said = True
        if distance_m(geom.x, geom.y, lon, lat) <= float(radius) * 1000:
            return True
    return False if said else None


def _in_polygon(text, lon, lat) -> bool:
    import shapely
    from shapely.geometry import shape
    try:
        g = json.loads(str(text))
        g = g.get("geometry", g) if isinstance(g, dict) and g.get("type") == "Feature" else g
        return bool(shape(g).covers(shapely.Point(lon, lat)))
    except (ValueError, TypeError, AttributeError, KeyError):
        return False


def near(pairs: list, q: Query) -> list:
    """(row, service) pairs for a postcode: inside the area served (when the record names
    one), within ``proximity`` metres of the location (when given), nearest first."""
    if q.point is None:
        return pairs
    lon, lat, codes = q.point
    out = []
    for row, s in pairs:
        geom = row.get("geometry")
        d = distance_m(geom.x, geom.y, lon, lat) if geom is not None else math.inf
        if q.proximity is not None and d > q.proximity:
            continue
        if q.proximity is None and covers(row, lon, lat, codes) is False:
            continue
        out.append((d, row, s))
    out.sort(key=lambda t: t[0])
    return [(row, s) for _, row, s in out]

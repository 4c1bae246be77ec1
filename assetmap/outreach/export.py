"""Taking a plan away: one CSV table of its lists (no spreadsheet formulas from typed text),
and its route as GeoJSON and GPX."""
from __future__ import annotations

from ..io.csvsafe import write_csv
from .commissioning import CATEGORY_PHRASES, GROUP_PHRASES, SERVICE_PHRASES


def csv_rows(plan: dict) -> list[dict]:
    """The plan's lists as one table: ranked areas, suggestions, missing, route, gaps."""
    rows = []
    assets = plan["assets"]
    for r in plan["areas"]:
        rows.append({"section": "area", "rank": r["rank"], "area_code": r["code"],
                     "area_name": r["name"], "ward": r["ward"], "item": r["name"],
                     "detail": "; ".join(r["why"]), "minutes": "", "score": r["score"],
                     "people_65_plus": r["pop_65_plus"], "lon": r["lon"], "lat": r["lat"]})
        for p in r.get("postcodes", []):
            rows.append({"section": "postcode", "rank": r["rank"], "area_code": r["code"],
                         "area_name": r["name"], "item": p["postcode"],
                         "detail": "farthest from a community venue", "minutes": p["minutes"]})
        for s in r["suggestions"]:
            a = assets[s["id"]]
            detail = a["category_label"]
            if a["is_provider"]:
                vac = a.get("vacancy_text") or "vacancies not confirmed"
                reach = "comes to you; " if s.get("comes_to_you") else ""
                detail = (f"{', '.join(SERVICE_PHRASES.get(t, t) for t in a['service_types'])}; "
                          f"{reach}{vac[0].lower() + vac[1:]}; quality {a.get('quality_mark')}")
            rows.append({"section": "provider" if s["kind"] == "provider" else "venue",
                         "rank": r["rank"], "area_code": r["code"], "area_name": r["name"],
                         "ward": r["ward"], "item": a["name"], "detail": detail,
                         "minutes": s["minutes"], "asset_id": a["id"],
                         "address": a.get("address") or "", "postcode": a.get("postcode") or "",
                         "contact": a.get("contact") or "", "lon": a["lon"], "lat": a["lat"]})
        walk = f"none within {plan['params']['walk_minutes']:g} minutes' walk"
        group = GROUP_PHRASES[plan["params"]["client_group"]]
        for st in r.get("missing_services", []):
            rows.append({"section": "missing", "rank": r["rank"], "area_code": r["code"],
                         "area_name": r["name"], "item": f"{SERVICE_PHRASES[st]} for {group}",
                         "detail": walk})
        for cat in r.get("missing_venues", []):
            rows.append({"section": "missing", "rank": r["rank"], "area_code": r["code"],
                         "area_name": r["name"], "item": CATEGORY_PHRASES.get(cat, cat),
                         "detail": walk})
    for s in plan["route"]["stops"]:
        rows.append({"section": "route", "rank": s["n"], "area_code": s.get("area_code") or "",
                     "area_name": s.get("area_name") or "", "item": s["label"],
                     "detail": s["kind"], "lon": s["lon"], "lat": s["lat"],
                     "minutes": plan["route"]["legs_minutes"][s["n"] - 1]
                     if s["n"] - 1 < len(plan["route"]["legs_minutes"]) else ""})
    rows += _gap_rows(plan)
    return rows


def _gap_rows(plan: dict) -> list[dict]:
    """The commissioning items (with the observed evidence worded into them) and the venue
    types out of reach; ``area_code`` lists every area an item names ('|'-separated)."""
    rows = []
    for section, items in (("commissioning gap", plan["gaps"]),
                           ("venue gap", plan.get("venue_gaps") or [])):
        for g in items:
            rows.append({"section": section, "item": g["sentence"],
                         "people": g["people"] if g.get("modelled", True) else "",
                         "people_label": g.get("people_label", ""),
                         "area_code": "|".join(g.get("area_codes") or []),
                         "detail": g.get("service_type") or g.get("category") or ""})
            obs = g.get("observed")
            if obs:
                rows.append({"section": "observed demand", "item": obs["sentence"],
                             "area_code": "|".join(obs.get("area_codes") or []),
                             "detail": g.get("service_type") or "",
                             "people": obs.get("turned_away", ""),
                             "people_label": "referrals declined for lack of capacity"})
    return rows


CSV_COLUMNS = ["section", "rank", "area_code", "area_name", "ward", "item", "detail", "minutes",
               "score", "people_65_plus", "people", "people_label", "asset_id", "address",
               "postcode", "contact", "lon", "lat"]


def to_csv(plan: dict) -> str:
    """The plan's :func:`csv_rows` as formula-safe CSV text (``CSV_COLUMNS``)."""
    return str(write_csv(csv_rows(plan), columns=CSV_COLUMNS))


def route_geojson(plan: dict, metadata: dict | None = None) -> dict:
    """The route as a GeoJSON FeatureCollection: the walked line, then a point per stop;
    ``metadata`` (where it comes from, its licence) as a top-level foreign member (RFC 7946
    section 6.1)."""
    route = plan["route"]
    feats = [{"type": "Feature", "properties": {
        "name": f"Outreach route: {plan['patch']['label']}",
        "total_minutes": route["total_minutes"], "closed": route["closed"],
        "method": route["method"]},
        "geometry": {"type": "LineString", "coordinates": route["geometry"]}}]
    for s in route["stops"]:
        feats.append({"type": "Feature", "properties": {
            "stop": s["n"], "name": s["label"], "kind": s["kind"],
            "area_code": s.get("area_code"), "asset_id": s.get("asset_id")},
            "geometry": {"type": "Point", "coordinates": [s["lon"], s["lat"]]}})
    out: dict = {"type": "FeatureCollection", "features": feats}
    if metadata:
        out["metadata"] = metadata
    return out


def route_gpx(plan: dict, about: str | None = None, made: str | None = None) -> str:
    """The route as GPX 1.1: a waypoint per stop and the walked line as a track; ``about``
    (where it comes from and its licence) as the metadata's description, ``made`` (ISO UTC)
    as its time."""
    from xml.sax.saxutils import escape, quoteattr
    route = plan["route"]
    name = escape(f"Outreach route: {plan['patch']['label']}")
    meta = f"<name>{name}</name>" + (f"<desc>{escape(about)}</desc>" if about else "") + \
        (f"<time>{escape(made)}</time>" if made else "")
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<gpx version="1.1" creator="AssetMap" xmlns="http://www.topografix.com/GPX/1/1">',
           f"<metadata>{meta}</metadata>"]
    for s in route["stops"]:
        out.append(f'<wpt lat={quoteattr(str(s["lat"]))} lon={quoteattr(str(s["lon"]))}>'
                   f'<name>{escape(str(s["n"]) + ". " + s["label"])}</name>'
                   f'<type>{escape(s["kind"])}</type></wpt>')
    out.append(f"<trk><name>{name}</name><desc>{route['total_minutes']:g} minutes' walk"
               "</desc><trkseg>")
    for lon, lat in route["geometry"]:
        out.append(f'<trkpt lat="{lat}" lon="{lon}"></trkpt>')
    out.append("</trkseg></trk></gpx>")
    return "\n".join(out) + "\n"


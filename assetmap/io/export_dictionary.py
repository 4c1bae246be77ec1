"""The data dictionary of an exported layer: one row per column (column, type, unit, meaning)
as the file holds it, written beside every export and into every GeoPackage.

Meanings come from the result contract (``assetmap.results.FRAMES``, through
:func:`~assetmap.results.dictionary`) for analysis results, from :data:`STORE_COLUMNS` for
what the store holds, and from the indicators' own metadata (title, unit, period) for the
``indicator_<id>`` columns of the need layer. Types: text, real, integer, boolean, date,
datetime (UTC), geometry.
"""
from __future__ import annotations

import re

import pandas as pd

from .. import model, results

#: Store columns: name -> (unit, meaning).
STORE_COLUMNS: dict[str, tuple[str, str]] = {
    "area_code": ("", "ONS code of the area (LSOA, ward...)"),
    "area_name": ("", "area name"),
    "level": ("", "area level: lsoa, msoa, ward or la"),
    "parent_code": ("", "code of the ward or locality the area lies in"),
    "parent_name": ("", "name of that ward or locality"),
    **{b: ("people", f"residents aged {b[4:].replace('_plus', ' and over').replace('_', '-')}")
       for b in model.AGE_BANDS},
    "pwc_lon": ("degrees (WGS84)", "longitude of the population-weighted centroid"),
    "pwc_lat": ("degrees (WGS84)", "latitude of the population-weighted centroid"),
    "id": ("", "AssetMap id of the record (stable across re-imports)"),
    "name": ("", "name"),
    "category": ("", "asset category (assetmap.model vocabulary)"),
    "description": ("", "what it offers"),
    "address": ("", "street address (empty for home-based providers)"),
    "postcode": ("", "postcode (empty for home-based providers)"),
    "opening_hours": ("", "opening hours (OpenStreetMap opening_hours syntax)"),
    "contact": ("", "telephone or email (only where the provider agreed to publish it)"),
    "website": ("", "web address"),
    "source": ("", "where the record came from: osm, import, community, demo..."),
    "source_ref": ("", "the record's id in its source"),
    "last_reviewed": ("date", "when the record was last checked"),
    "created_at": ("UTC", "when the record was created"),
    "updated_at": ("UTC", "when the record was last changed"),
    "version": ("count", "the record's version number"),
    "location_note": ("", "says when the point is approximate (home-based: a 500 m grid cell)"),
    "home_based": ("", "run from someone's home (shown only at an approximate location)"),
    "contact_public": ("", "the contact may be published"),
    "service_types": ("", "'|'-separated service types"),
    "client_groups": ("", "'|'-separated client groups"),
    "hourly_price": ("GBP per hour", "price of an hour of support"),
    "quality_mark": ("", "gold, silver, bronze or none"),
    "quality_mark_by": ("", "who awarded the quality mark: council (verified by the council) "
                            "or self (declared by the provider); empty without a mark"),
    "cqc_rating": ("", "CQC overall rating: Outstanding, Good, Requires improvement or "
                       "Inadequate; empty when not rated (sole traders cannot register)"),
    "community_tags": ("", "'|'-separated community focus terms (assetmap.focus ids: "
                           "languages, faiths, ethnic groups, LGBT+, refugees...)"),
    "cqc_registered": ("", "registered with the Care Quality Commission"),
    "cqc_location_id": ("", "CQC location id"),
    "direct_payments": ("", "accepts direct payments"),
    "preferred_list": ("", "on the council's preferred provider list"),
    "staff_fte": ("full-time equivalents", "staff (a micro-provider has 5 or fewer)"),
    "capacity_hours": ("hours a week", "weekly capacity in hours"),
    "capacity_places": ("places", "capacity in places (beds, day places)"),
    "vacancies": ("capacity unit", "spare capacity now (hours or places)"),
    "vacancies_confirmed": ("date", "when the vacancies were last confirmed"),
    "community_focus": ("", "a community served in particular (a language, faith...)"),
    "radius_km": ("km", "radius of the area served from its base"),
    "reach": ("", "how the service reaches people: venue, visiting or both"),
    "area_served": ("", "'|'-separated codes of the areas served"),
    "area_served_geojson": ("GeoJSON (WGS84)", "polygon of the area served"),
    "charity_number": ("", "Charity Commission number"),
    "company_number": ("", "Companies House number"),
    "hub_asset_id": ("", "id of the network's hub asset"),
    "members": ("people", "members"),
    "activities": ("", "what the network does"),
    "title": ("", "the indicator's title"),
    "unit": ("", "the indicator's unit"),
    "period": ("", "the period the values are for"),
    "lon": ("degrees (WGS84)", "longitude of the point"),
    "lat": ("degrees (WGS84)", "latitude of the point"),
    "easting": ("metres (EPSG:27700)", "British National Grid easting of the point"),
    "approximate_geometry": ("", "the area's shape is approximate: drawn around its "
                                 "centroid (a Voronoi cell clipped to the boundary)"),
    "off_network": ("", "walking times here are straight-line estimates: the street network "
                        "does not cover most of the area's people"),
    "supply_per_100_unit": ("", "the unit of supply_per_100 in words"),
    "shortfall_unit": ("", "the unit of shortfall in words"),
    "cross_border": ("", "just outside the boundary: kept as supply for border areas"),
    "northing": ("metres (EPSG:27700)", "British National Grid northing of the point"),
}
def _evidence_columns() -> dict[str, tuple[str, str]]:
    from ..referrals.evidence import COUNT_COLUMNS
    small = "counts of 1 to 4 are given as 'fewer than 5' (small-number suppression)"
    return {"period": ("", "the evidence period: quarter, year or all"),
            "period_start": ("date", "the first day of the period (empty: since records "
                                     "began)"),
            "service": ("", "the service type in words"),
            "group": ("", "the client group in words"),
            "service_type": ("", "service type (assetmap.model vocabulary)"),
            "client_group": ("", "client group (assetmap.model vocabulary)"),
            **{k: ("referrals", f"{v}; {small}") for k, v in COUNT_COLUMNS.items()}}


def _outreach_columns() -> dict[str, tuple[str, str]]:
    return {
        "section": ("", "what the row is: area, postcode, provider, venue, missing, route, "
                        "commissioning gap, observed demand or venue gap"),
        "rank": ("rank", "the area's priority rank in the plan (route: the stop's number)"),
        "area_code": ("", "ONS code of the area ('|'-separated when an item names several)"),
        "ward": ("", "the ward the area lies in"),
        "item": ("", "the area, place, stop or commissioning sentence"),
        "detail": ("", "why, what it offers, or the service type the item is about"),
        "minutes": ("minutes", "walking time (from the area's centre, or the leg to the next "
                               "stop)"),
        "score": ("z-score", "priority: isolation and unmet need against the borough"),
        "people_65_plus": ("people", "residents aged 65 and over"),
        "people": ("people", "people the gap concerns (observed demand: referrals turned "
                             "away, 1 to 4 as 'fewer than 5')"),
        "people_label": ("", "who the people column counts"),
        "asset_id": ("", "AssetMap id of the place"),
        "stop": ("count", "the route stop's number"), "kind": ("", "what the stop is"),
        "total_minutes": ("minutes", "the whole route's walking time"),
        "closed": ("", "the route returns to its start"),
        "method": ("", "how the route was ordered"),
    }


#: Columns of downloads that are not layers: layer -> {column: (unit, meaning)} (made on
#: first use: the referral evidence columns come from assetmap.referrals.evidence).
FILE_COLUMNS = {"referral-evidence": _evidence_columns, "outreach": _outreach_columns}
#: Which result frame describes each result layer's columns.
RESULT_FRAME = {"need": "areas", "areas": "areas", "access": "access", "gaps": "gaps",
                "hotspots": "hotspots", "indicators": "indicators", "e2sfca": "e2sfca",
                "isochrones": "isochrones"}
#: Units whose whole-number columns are integers in a GeoPackage.
INTEGER_UNITS = ("count", "rank", "decile", "class", "people")
DATE_COLUMNS = ("last_reviewed", "vacancies_confirmed")
DATETIME_COLUMNS = ("created_at", "updated_at")
INDICATOR_PREFIX = "indicator_"


def _declared(frame_name: str, column: str) -> tuple[str, str] | None:
    for c in results.columns(frame_name):
        if c.name == column or (c.pattern is not None and c.pattern.match(column)):
            return c.unit, c.meaning
    return None


def _access_wide(column: str) -> tuple[str, str] | None:
    """``minutes_library``, ``within_15_park``: the access frame's value for a category."""
    m = re.match(r"^(minutes|within_\d+|beyond_cap)_([a-z_]+)$", column)
    if not m:
        return None
    found = _declared("access", m.group(1))
    return None if found is None else (found[0], f"{found[1]} ({m.group(2)})")


def describe(layer: str, column: str, indicators: pd.DataFrame | None = None) -> tuple[str, str]:
    """(unit, meaning) of one exported column."""
    if layer in FILE_COLUMNS:
        found = FILE_COLUMNS[layer]().get(column)
        if found:
            return found
    if column.startswith(INDICATOR_PREFIX) and indicators is not None and len(indicators):
        meta = indicators.set_index("id")
        key = column[len(INDICATOR_PREFIX):]
        if key in meta.index:
            r = meta.loc[key]
            period = f", {r['period']}" if isinstance(r.get("period"), str) and r["period"] \
                else ""
            return str(r["unit"]), f"indicator {key}: {r['title']}{period}"
    frame = RESULT_FRAME.get(layer)
    if frame == "access":
        found = _access_wide(column)
        if found:
            return found
    if frame:
        back = {"area_code": "code", "area_name": "name"} if frame == "areas" else {}
        found = _declared(frame, back.get(column, column))
        if found:
            return found
    if frame == "indicators":                    # the web download adds the benchmarks
        found = _declared("benchmarks", column)
        if found:
            return found
    return STORE_COLUMNS.get(column, ("", ""))


def _type(series: pd.Series, column: str, unit: str) -> str:
    if series.dtype.name == "geometry":
        return "geometry"
    if column in DATE_COLUMNS:
        return "date"
    if column in DATETIME_COLUMNS:
        return "datetime"
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    known = series.dropna()
    if series.dtype == object and len(known) and known.map(lambda v: isinstance(v, bool)).all():
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        whole = bool(len(known)) and bool((known == known.round()).all())
        return "integer" if whole and unit in INTEGER_UNITS else "real"
    return "text"


def dictionary(layer: str, frame: pd.DataFrame, indicators: pd.DataFrame | None = None,
               crs: str = "EPSG:4326") -> pd.DataFrame:
    """The data dictionary of ``frame`` as exported for ``layer`` (geometry in ``crs``)."""
    rows = []
    for col in frame.columns:
        unit, meaning = describe(layer, str(col), indicators)
        if frame[col].dtype.name == "geometry":
            unit, meaning = crs, meaning or "the feature's geometry"
        rows.append({"column": str(col), "type": _type(frame[col], str(col), unit),
                     "unit": unit, "meaning": meaning})
    return pd.DataFrame(rows, columns=["column", "type", "unit", "meaning"])

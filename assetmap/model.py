"""The vocabulary of AssetMap and the column schemas of its frames.

``validate_*`` functions take a (Geo)DataFrame from any loader, check and coerce it, and
return a clean frame or raise :class:`~assetmap.errors.InputError` naming file, row and field.
"""
from __future__ import annotations

import math
import re

import geopandas as gpd
import numpy as np
import pandas as pd

from .catalogue import (  # noqa: F401 - model is where the rest of the code reads them
    INDICATORS,
    IOD_DOMAINS,
    LONELINESS_INPUTS,
    IndicatorMeta,
    iod_score_id,
)
from .errors import InputError, InputErrors
from .settings import STORAGE_CRS

# --- Vocabulary ------------------------------------------------------------------------
ASSET_CATEGORIES = {
    "community_centre": "Community centre",
    "library": "Library",
    "faith_venue": "Faith venue",
    "cafe_pub": "Cafe or pub",
    "park": "Park or green space",
    "sport_leisure": "Sport and leisure",
    "gp_practice": "GP practice",
    "pharmacy": "Pharmacy",
    "neighbourhood_hub": "Neighbourhood network hub",
    "micro_provider": "Micro-provider",
    "dentist": "Dentist",
    "food_shop": "Food shop",
    "food_bank": "Food bank or food support",
    "hospital": "Hospital",
    "post_office": "Post office",
    "transport_stop": "Bus, tram or rail stop",
    "warm_space": "Warm space",
    "other": "Other",
}
#: Categories people need whatever their social life: the isolation score measures the
#: travel time to these beside social assets (see ``settings.ESSENTIAL_CATEGORIES``).
ESSENTIAL_CATEGORIES = ("gp_practice", "pharmacy", "food_shop")
SERVICE_TYPES = {
    "home_support": "Support in the home",
    "domiciliary_care": "Domiciliary care",
    "day_activities": "Day activities",
    "accommodation": "Accommodation",
    "befriending": "Befriending",
    "transport": "Transport",
    "other": "Other",
}
CLIENT_GROUPS = {
    "older_people": "Older people",
    "learning_disability": "Learning disability",
    "autism": "Autism",
    "physical_disability": "Physical disability",
    "mental_health": "Mental health",
    "dementia": "Dementia",
    "carers": "Carers",
}
#: How a service reaches people: at a venue people travel to, or by coming to the
#: person's home within the area it serves (home support, domiciliary care, befriending
#: visits, transport), or both.
REACH_MODES = {
    "venue": "At a venue (people travel to it)",
    "visits": "Comes to you (the provider travels within the area it serves)",
    "both": "Both at a venue and coming to you",
}
#: The reach a provider has when its record does not say (by service type).
VISITING_SERVICE_TYPES = ("home_support", "domiciliary_care", "befriending", "transport")
#: Capacity is counted in one of two units, never summed: hours a week of support, or
#: places (care-home beds, day-activity places, accommodation).
CAPACITY_UNITS = {"hours": "hours a week", "places": "places"}
#: Service types whose capacity is counted in places (all others: hours a week).
PLACE_SERVICE_TYPES = ("accommodation",)
QUALITY_MARKS = ("gold", "silver", "bronze", "none")
#: Who awarded a provider's quality mark (``quality_mark_by``; blank when it has none): the
#: council verified it (only planners set this), or the provider declared it itself.
QUALITY_MARK_BY = ("council", "self")
#: CQC's overall ratings, best first (``cqc_rating``; blank: not rated, as every sole trader
#: is: they cannot register with CQC, so "not rated" is never a bad mark).
CQC_RATINGS = ("Outstanding", "Good", "Requires improvement", "Inadequate")
ASSET_SOURCES = ("osm", "import", "community", "demo", "cqc", "openreferral")
ASSET_STATUSES = ("pending", "approved", "rejected", "retired")
POLARITIES = ("high_bad", "high_good", "neutral")
CI_METHODS = ("wilson", "byar", "given", "none")
AREA_LEVELS = ("lsoa", "msoa", "ward", "la")
AGE_BANDS = ("pop_0_17", "pop_18_64", "pop_65_74", "pop_75_84", "pop_85_plus")
#: planner, coordinator, contributor (issue 6); referrer: social workers and care navigators
#: who send referrals to providers (issue 11)
ROLES = ("planner", "coordinator", "contributor", "referrer")

AREA_CODE_RE = re.compile(r"^[EWSNK]\d{8}$")
POSTCODE_RE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}$")


# --- Column schemas (column -> kind) ------------------------------------------------------
AREA_COLUMNS = {
    "code": "str", "name": "str", "level": "str", "parent_code": "str?", "parent_name": "str?",
    **{b: "float?" for b in AGE_BANDS},
    "pwc_lon": "float?", "pwc_lat": "float?",
    # True where the polygon is an estimate (a Voronoi cell around the area's centroid,
    # assetmap.io.centroids) rather than a published boundary: every map and export says so
    "approximate_geometry": "bool",
}
INDICATOR_COLUMNS = {
    "id": "str", "title": "str", "unit": "str", "polarity": "str", "ci_method": "str",
    "source": "str?", "period": "str?", "description": "str?",
}
VALUE_COLUMNS = {
    "indicator_id": "str", "area_code": "str", "value": "float?", "count": "float?",
    "denominator": "float?", "lower_ci": "float?", "upper_ci": "float?",
}
ASSET_COLUMNS = {
    "id": "str", "name": "str", "category": "str", "description": "str?", "address": "str?",
    "postcode": "str?", "opening_hours": "str?", "contact": "str?", "contact_public": "bool",
    "website": "str?", "source": "str", "source_ref": "str?", "status": "str",
    "home_based": "bool", "last_reviewed": "str?", "created_by": "str?", "created_at": "str?",
    "updated_by": "str?", "updated_at": "str?", "version": "int",
    # an imported Open Referral record's ids and the fields AssetMap cannot hold, verbatim
    # (JSON text; see assetmap.io.openreferral.extra), published again by the export
    "oruk_extra": "str?",
}
PROVIDER_COLUMNS = {
    "asset_id": "str", "service_types": "str", "client_groups": "str", "hourly_price": "float?",
    "quality_mark": "str", "cqc_registered": "bool", "cqc_location_id": "str?",
    "direct_payments": "bool", "preferred_list": "bool", "staff_fte": "float?",
    "capacity_hours": "float?", "vacancies": "float?", "community_focus": "str?",
    "radius_km": "float?", "charity_number": "str?", "company_number": "str?",
    # how the service reaches people (REACH_MODES; blank = by service type) and the area it
    # serves: radius_km from its base, a polygon (GeoJSON, WGS84), or area codes (LSOAs or
    # wards, pipe-separated)
    "reach": "str?", "area_served": "str?", "area_served_geojson": "str?",
    # capacity in places (beds, day places) beside capacity_hours (hours a week)
    "capacity_places": "float?",
    # ISO date (YYYY-MM-DD) the vacancies figure was last confirmed
    "vacancies_confirmed": "str?",
    # schema 7 (trust signals): who awarded the quality mark (QUALITY_MARK_BY), the CQC
    # overall rating (CQC_RATINGS) and the community focus as vocabulary ids
    # (assetmap.focus, '|'-separated) beside the free text
    "quality_mark_by": "str?", "cqc_rating": "str?", "community_tags": "str?",
}
NETWORK_COLUMNS = {
    "id": "str", "name": "str", "hub_asset_id": "str?", "members": "int?", "activities": "str?",
}


def split_list(value) -> list[str]:
    """A pipe- or comma-separated list cell as a list of stripped, non-empty items."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [p.strip() for p in re.split(r"[|;,]", str(value)) if p.strip()]


def join_list(items) -> str:
    return "|".join(items)


def normalise_postcode(value) -> str | None:
    """'m15 4ab' -> 'M15 4AB'; None for blanks. Does not check it exists."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    s = re.sub(r"\s+", "", str(value).upper())
    if not s:
        return None
    return f"{s[:-3]} {s[-3:]}" if len(s) > 3 else s


def _is_blank(v) -> bool:
    return (v is None or (isinstance(v, float) and math.isnan(v))
            or (isinstance(v, str) and not v.strip()) or v is pd.NA)


_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f", ""}


def _coerce(value, kind: str, *, file, row, field):
    optional = kind.endswith("?")
    base = kind.rstrip("?")
    if _is_blank(value):
        if base == "bool":
            return False
        if optional:
            return None
        raise InputError("a value is required", file=file, row=row, field=field)
    try:
        if base == "str":
            return str(value).strip()
        if base == "float":
            f = float(str(value).replace(",", "")) if isinstance(value, str) else float(value)
            if not math.isfinite(f):
                raise ValueError
            return f
        if base == "int":
            f = float(value)
            if f != int(f):
                raise ValueError
            return int(f)
        if base == "bool":
            if isinstance(value, (bool, np.bool_)):
                return bool(value)
            s = str(value).strip().lower()
            if s in _TRUE:
                return True
            if s in _FALSE:
                return False
            raise ValueError
    except (TypeError, ValueError):
        pass
    raise InputError(f"'{value}' is not a valid {base}", file=file, row=row, field=field)


def apply_dtypes(df: pd.DataFrame, schema: dict) -> pd.DataFrame:
    """The dtypes a schema promises: floats (NaN for missing), bools, ints, objects (None
    for missing). Validated frames and frames read from the store agree exactly."""
    df = df.copy()
    for col, kind in schema.items():
        base = kind.rstrip("?")
        if base == "float":
            df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
        elif base == "bool":
            df[col] = df[col].fillna(False).astype(bool)
        elif base == "int" and not kind.endswith("?"):
            df[col] = df[col].astype(int)
        else:
            df[col] = df[col].astype(object).where(df[col].notna(), None)
    return df


def _validate_columns(df: pd.DataFrame, schema: dict, *, file, defaults: dict | None = None,
                      row_offset: int = 1) -> pd.DataFrame:
    defaults = defaults or {}
    out = {}
    errors: list[InputError] = []
    for col, kind in schema.items():
        if col not in df.columns and col not in defaults and not kind.endswith("?") \
                and not kind.startswith("bool"):
            raise InputError("required column is missing", file=file, field=col)
    rows = []
    for i, rec in enumerate(df.to_dict("records")):
        clean = {}
        for col, kind in schema.items():
            v = rec.get(col, defaults.get(col))
            if col in defaults and _is_blank(v):
                v = defaults[col]
            try:
                clean[col] = _coerce(v, kind, file=file, row=i + row_offset, field=col)
            except InputError as e:
                errors.append(e)
        rows.append(clean)
    if errors:
        raise errors[0] if len(errors) == 1 else InputErrors(errors)
    for col in schema:
        out[col] = [r[col] for r in rows]
    return apply_dtypes(pd.DataFrame(out, index=df.index, columns=list(schema)), schema)


def _check_choice(df, col, choices, *, file, row_offset=1, multi=False):
    for i, v in enumerate(df[col].tolist()):
        if v is None:
            continue
        items = split_list(v) if multi else [v]
        for item in items:
            if item not in choices:
                raise InputError(f"'{item}' is not one of: {', '.join(choices)}",
                                 file=file, row=i + row_offset, field=col)


def _geometry(df, *, file, geom_types, row_offset=1) -> gpd.GeoSeries:
    if not isinstance(df, gpd.GeoDataFrame) or df.geometry.name not in df.columns:
        raise InputError("no geometry", file=file, field="geometry")
    g = df.geometry
    if g.crs is None:
        raise InputError("the geometry has no coordinate reference system", file=file,
                         field="geometry")
    g = g.to_crs(STORAGE_CRS)
    for i, geom in enumerate(g):
        if geom is None or geom.is_empty:
            raise InputError("geometry is empty", file=file, row=i + row_offset, field="geometry")
        if geom.geom_type not in geom_types:
            raise InputError(f"geometry is a {geom.geom_type}, expected {'/'.join(geom_types)}",
                             file=file, row=i + row_offset, field="geometry")
        x0, y0, x1, y1 = geom.bounds
        if not (-180 <= x0 <= 180 and -90 <= y0 <= 90 and -180 <= x1 <= 180 and -90 <= y1 <= 90):
            raise InputError("coordinates are outside longitude/latitude range (wrong CRS?)",
                             file=file, row=i + row_offset, field="geometry")
    return g


def _unique(df, col, *, file, row_offset=1):
    dup = df[col].duplicated(keep="first")
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(f"duplicate value '{df[col].iloc[i]}'", file=file, row=i + row_offset,
                         field=col)


def validate_areas(gdf, *, file="areas") -> gpd.GeoDataFrame:
    clean = _validate_columns(gdf, AREA_COLUMNS, file=file, defaults={"level": "lsoa"})
    _check_choice(clean, "level", AREA_LEVELS, file=file)
    _unique(clean, "code", file=file)
    geom = _geometry(gdf, file=file, geom_types=("Polygon", "MultiPolygon"))
    return gpd.GeoDataFrame(clean, geometry=geom.values, crs=STORAGE_CRS).reset_index(drop=True)


def validate_indicators(df, *, file="indicators") -> pd.DataFrame:
    clean = _validate_columns(df, INDICATOR_COLUMNS, file=file,
                              defaults={"polarity": "high_bad", "ci_method": "none", "unit": ""})
    _check_choice(clean, "polarity", POLARITIES, file=file)
    _check_choice(clean, "ci_method", CI_METHODS, file=file)
    _unique(clean, "id", file=file)
    return clean.reset_index(drop=True)


def validate_values(df, *, file="indicator values") -> pd.DataFrame:
    clean = _validate_columns(df, VALUE_COLUMNS, file=file)
    key = clean["indicator_id"] + "\x00" + clean["area_code"]
    dup = key.duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(f"indicator '{clean['indicator_id'].iloc[i]}' given twice for area "
                         f"'{clean['area_code'].iloc[i]}'", file=file, row=i + 1, field="area_code")
    return clean.reset_index(drop=True)


def validate_assets(gdf, *, file="assets") -> gpd.GeoDataFrame:
    clean = _validate_columns(gdf, ASSET_COLUMNS, file=file,
                              defaults={"status": "approved", "source": "import", "version": 1})
    _check_choice(clean, "category", ASSET_CATEGORIES, file=file)
    _check_choice(clean, "status", ASSET_STATUSES, file=file)
    _check_choice(clean, "source", ASSET_SOURCES, file=file)
    _unique(clean, "id", file=file)
    for i, n in enumerate(clean["name"]):
        if len(n) > 200:
            raise InputError("name is longer than 200 characters", file=file, row=i + 1,
                             field="name")
    clean["postcode"] = [normalise_postcode(p) for p in clean["postcode"]]
    geom = _geometry(gdf, file=file, geom_types=("Point",))
    return gpd.GeoDataFrame(clean, geometry=geom.values, crs=STORAGE_CRS).reset_index(drop=True)


def validate_providers(df, *, file="providers") -> pd.DataFrame:
    clean = _validate_columns(df, PROVIDER_COLUMNS, file=file, defaults={"quality_mark": "none"})
    _check_choice(clean, "service_types", SERVICE_TYPES, file=file, multi=True)
    _check_choice(clean, "client_groups", CLIENT_GROUPS, file=file, multi=True)
    _check_choice(clean, "quality_mark", QUALITY_MARKS, file=file)
    _unique(clean, "asset_id", file=file)
    for col in ("hourly_price", "staff_fte", "capacity_hours", "vacancies", "radius_km",
                "capacity_places"):
        for i, v in enumerate(clean[col]):
            if v is not None and v < 0:
                raise InputError("must not be negative", file=file, row=i + 1, field=col)
    for i, rec in enumerate(clean.to_dict("records")):
        problems = check_reach(rec)
        if problems:
            raise InputError(problems[0][1], file=file, row=i + 1, field=problems[0][0])
    clean["area_served"] = [join_list(c.upper() for c in split_list(v)) or None
                            for v in clean["area_served"]]
    _check_trust(clean, file=file)
    return clean.reset_index(drop=True)


def _check_trust(clean: pd.DataFrame, *, file) -> None:
    """Who awarded the mark (blank without one; 'self' when a mark has no awarder), the CQC
    rating (any case) and the community tags (vocabulary ids), in place."""
    from . import focus
    by, ratings, tags = [], [], []
    lower = {r.lower(): r for r in CQC_RATINGS}
    for i, rec in enumerate(clean.to_dict("records"), start=1):
        b = (rec["quality_mark_by"] or "").lower() or None
        if b is not None and b not in QUALITY_MARK_BY:
            raise InputError(f"'{b}' is not one of: {', '.join(QUALITY_MARK_BY)}", file=file,
                             row=i, field="quality_mark_by")
        by.append(None if rec["quality_mark"] == "none" else b or "self")
        r = rec["cqc_rating"]
        if r is not None and r.lower() not in lower and r.lower() not in ("not rated", "none"):
            raise InputError(f"'{r[:30]}' is not one of: {', '.join(CQC_RATINGS)}",
                             file=file, row=i, field="cqc_rating")
        ratings.append(None if r is None else lower.get(r.lower()))
        ids, unknown = focus.parse_tags(rec["community_tags"])
        if unknown:
            raise InputError(f"'{unknown[0][:30]}' is not a community focus term (see "
                             "assetmap.focus)", file=file, row=i, field="community_tags")
        tags.append(focus.join_tags(ids) or None)
    clean["quality_mark_by"], clean["cqc_rating"], clean["community_tags"] = by, ratings, tags


# --- how a provider reaches people (issue 10) ------------------------------------------------
#: Limits of the area-served fields (a borough has a few hundred LSOAs; a drawn polygon of
#: a few thousand vertices is plenty).
MAX_AREA_SERVED_CODES = 2000
MAX_AREA_SERVED_GEOJSON = 200_000


def area_served_polygon(text):
    """The (Multi)Polygon of ``area_served_geojson`` text (a GeoJSON geometry, Feature or
    FeatureCollection in WGS84). Raises ValueError saying what is wrong, in plain words."""
    import json

    import shapely
    try:
        obj = json.loads(text) if isinstance(text, str) else text
    except ValueError as e:
        raise ValueError("the area served polygon is not valid GeoJSON") from e
    if not isinstance(obj, dict):
        raise ValueError("the area served polygon is not a GeoJSON object")
    if obj.get("type") == "FeatureCollection":
        parts = [area_served_polygon(f) for f in obj.get("features") or []]
        if not parts:
            raise ValueError("the area served polygon has no features")
        return shapely.union_all(parts)
    if obj.get("type") == "Feature":
        return area_served_polygon(obj.get("geometry"))
    try:
        geom = shapely.geometry.shape(obj)
    except (AttributeError, KeyError, TypeError, ValueError, IndexError,
            shapely.errors.GEOSException) as e:
        raise ValueError("the area served polygon is not a GeoJSON geometry") from e
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise ValueError(f"the area served must be a polygon, not a {geom.geom_type}")
    x0, y0, x1, y1 = geom.bounds
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise ValueError("the area served polygon is not in longitude/latitude (WGS84)")
    return geom if geom.is_valid else shapely.make_valid(geom)


def _check_vacancy_date(value) -> str | None:
    """Why a vacancies_confirmed value is refused (None when fine or blank)."""
    import datetime as dt
    if value is None or str(value).strip() == "":
        return None
    try:
        d = dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return f"'{str(value)[:20]}' is not a date (YYYY-MM-DD, for example 2026-03-31)"
    if d > dt.date.today() + dt.timedelta(days=1):
        return "the date vacancies were confirmed cannot be in the future"
    if d.year < 2000:
        return "the date vacancies were confirmed is before 2000"
    return None


def check_reach(rec: dict) -> list[tuple[str, str]]:
    """(field, problem) for each wrong reach, area served, places or vacancy-date field of
    one provider record (plain words, for forms and importers alike)."""
    out = []
    reach = rec.get("reach")
    if reach not in (None, "") and reach not in REACH_MODES:
        out.append(("reach", f"'{str(reach)[:20]}' is not one of: {', '.join(REACH_MODES)}"))
    codes = split_list(rec.get("area_served"))
    bad = [c for c in codes if not AREA_CODE_RE.match(c.upper())]
    if bad:
        out.append(("area_served", f"'{bad[0][:20]}' is not an area code (an LSOA or ward "
                    "code such as E01000001 or E05000001)"))
    elif len(codes) > MAX_AREA_SERVED_CODES:
        out.append(("area_served", f"more than {MAX_AREA_SERVED_CODES} area codes"))
    gj = rec.get("area_served_geojson")
    if gj not in (None, ""):
        if len(str(gj)) > MAX_AREA_SERVED_GEOJSON:
            out.append(("area_served_geojson", "the area served polygon is too large "
                        f"(over {MAX_AREA_SERVED_GEOJSON:,} characters)"))
        else:
            try:
                area_served_polygon(str(gj))
            except ValueError as e:
                out.append(("area_served_geojson", str(e)))
    why = _check_vacancy_date(rec.get("vacancies_confirmed"))
    if why:
        out.append(("vacancies_confirmed", why))
    return out


def validate_networks(gdf, *, file="networks") -> gpd.GeoDataFrame:
    clean = _validate_columns(gdf, NETWORK_COLUMNS, file=file)
    _unique(clean, "id", file=file)
    geom = _geometry(gdf, file=file, geom_types=("Polygon", "MultiPolygon"))
    return gpd.GeoDataFrame(clean, geometry=geom.values, crs=STORAGE_CRS).reset_index(drop=True)

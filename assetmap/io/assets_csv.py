"""Assets and micro-providers from a spreadsheet: CSV, XLSX or GeoJSON.

Each row needs a name, a category (a column, ``--category``, or guessed from the file name
such as ``trafford_libraries.csv``) and a place: ``lat``/``lon`` (or ``easting``/``northing``
in British National Grid, or a GeoJSON geometry) or a postcode resolved offline through the
stored postcode lookup (``assetmap import postcodes`` first).

Optional columns: id, description, address, opening_hours (or pharmacy-style
``opening_hours_monday`` .. ``_sunday``), contact (telephone/phone/email), website,
contact_public, home_based, status, last_reviewed, and the provider columns of
``model.PROVIDER_COLUMNS`` (service_types and client_groups as keys or labels separated by
``|``, hourly_price, quality_mark, cqc_registered, cqc_location_id, direct_payments,
preferred_list, staff_fte, capacity_hours, vacancies, community_focus, radius_km,
charity_number, company_number; how it reaches people: reach (venue, visits or both),
area_served (LSOA or ward codes separated by ``|``), area_served_geojson (a polygon,
WGS84); capacity_places (places, beside capacity_hours in hours a week); and
vacancies_confirmed, the date (YYYY-MM-DD) the vacancies were last confirmed). A row becomes
a provider when its category is micro_provider or it fills a provider column.

Identifiers are stable, so importing the same file again updates rather than duplicates:
the ``id`` column if given, else ``cqc-<location id>``, ``ods-<code>``, ``charity-<number>``
..., else a hash of name and postcode (or of name and position). Rows that match a stored
provider by CQC id, charity or company number, or a stored asset by name and postcode,
update that record.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from pyproj import Transformer

from .. import model, settings
from ..errors import InputError
from ..settings import ANALYSIS_CRS, STORAGE_CRS
from .assets_dedupe import dedupe_against_store, write_assets
from .common import (
    BadRows,
    ImportReport,
    area_union,
    blank,
    check_file,
    check_lonlat,
    find_col,
    inside,
    invisible_only,
    norm,
    read_table,
    stable_id,
    text,
    to_float,
    visible_text,
)
from .limits import check_vector_file, refuse_nul

ALIASES = {
    "id": ["id", "asset_id"],
    "name": ["name", "title", "pharmacy_name", "practice_name", "organisation_name",
             "organization_name", "charity_name", "service_name", "common_name", "Name"],
    "category": ["category", "asset_category"],
    "lat": ["lat", "latitude"],
    "lon": ["lon", "long", "lng", "longitude"],
    "easting": ["easting", "eastings", "x", "bng_e"],
    "northing": ["northing", "northings", "y", "bng_n"],
    "postcode": ["postcode", "post_code", "postal_code", "practice_postcode",
                 "charity_contact_postcode", "pcds"],
    "address": ["address", "charity_contact_address", "street", "address_1"],
    "description": ["description", "charity_activities", "activities", "details"],
    "opening_hours": ["opening_hours", "hours", "opening_times", "opening times"],
    "contact": ["contact", "telephone", "phone", "tel", "email", "charity_contact_phone",
                "charity_contact_email"],
    "website": ["website", "url", "web", "charity_contact_web", "cqc_webpage"],
    "contact_public": ["contact_public"],
    "home_based": ["home_based"],
    "status": ["status"],
    "last_reviewed": ["last_reviewed", "inspection_date", "date_of_latest_check"],
    "cqc_location_id": ["cqc_location_id", "cqc_id", "location_id"],
    "charity_number": ["charity_number", "registered_charity_number", "charity_no"],
    "company_number": ["company_number", "charity_company_registration_number",
                       "company_no"],
    "ods_code": ["organisation_data_service_code", "ods_code", "practice_code"],
    "urn": ["unique_reference_number", "urn", "atco_code"],
}
PROVIDER_FIELDS = [c for c in model.PROVIDER_COLUMNS if c != "asset_id"]
#: A row is a provider when one of these is filled (identifiers alone do not make one).
PROVIDER_SIGNALS = ["service_types", "client_groups", "hourly_price", "quality_mark",
                    "cqc_registered", "direct_payments", "preferred_list", "staff_fte",
                    "capacity_hours", "vacancies", "community_focus", "radius_km", "reach",
                    "area_served", "area_served_geojson", "capacity_places"]

#: File-name words -> category (used only when there is no category column or option).
FILENAME_CATEGORIES = [
    (r"librar", "library"), (r"general_practice|gp_practice|\bgps?\b|surger|doctor", "gp_practice"),
    (r"pharmac|chemist", "pharmacy"), (r"worship|church|mosque|faith|temple", "faith_venue"),
    (r"community_cent|community cent|village_hall|warm_space|warm space", "community_centre"),
    (r"park|green_?space", "park"), (r"leisure|sport", "sport_leisure"),
    (r"cafe|pub", "cafe_pub"), (r"neighbourhood|hub", "neighbourhood_hub"),
    (r"micro", "micro_provider"),
]
#: Free-text category words -> category.
CATEGORY_SYNONYMS = {
    "gp": "gp_practice", "gps": "gp_practice", "doctors": "gp_practice",
    "generalpractice": "gp_practice", "surgery": "gp_practice", "chemist": "pharmacy",
    "pharmacies": "pharmacy", "libraries": "library", "placeofworship": "faith_venue",
    "church": "faith_venue", "mosque": "faith_venue", "faith": "faith_venue",
    "communitycentre": "community_centre", "communitycenter": "community_centre",
    "villagehall": "community_centre", "cafe": "cafe_pub", "pub": "cafe_pub",
    "cafeorpub": "cafe_pub", "park": "park", "greenspace": "park", "leisure": "sport_leisure",
    "sport": "sport_leisure", "leisurecentre": "sport_leisure", "sportscentre": "sport_leisure",
    "hub": "neighbourhood_hub", "neighbourhoodnetworkhub": "neighbourhood_hub",
    "microprovider": "micro_provider", "microenterprise": "micro_provider",
}
_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _keyed(vocab: dict) -> dict:
    out = {}
    for k, label in vocab.items():
        out[norm(k)] = k
        out[norm(label)] = k
    return out


_CATS = {**_keyed(model.ASSET_CATEGORIES), **CATEGORY_SYNONYMS}
_SERVICES = {**_keyed(model.SERVICE_TYPES), "homecare": "domiciliary_care",
             "homecareagencies": "domiciliary_care", "supportedliving": "home_support",
             "daycare": "day_activities", "residential": "accommodation"}
_CLIENTS = {**_keyed(model.CLIENT_GROUPS), "older": "older_people", "elderly": "older_people",
            "olderadults": "older_people", "learningdisabilities": "learning_disability",
            "physicaldisabilities": "physical_disability", "carer": "carers"}


def category_of(value) -> str | None:
    return _CATS.get(norm(value)) if not blank(value) else None


def category_from_filename(path) -> str | None:
    stem = Path(str(path)).name.lower()
    for pat, cat in FILENAME_CATEGORIES:
        if re.search(pat, stem):
            return cat
    return None


def map_list(value, vocab: dict, what: str):
    """'Day activities|dementia' -> 'day_activities|...'; raises ValueError naming the
    unknown item."""
    items = []
    for item in model.split_list(value):
        k = vocab.get(norm(item))
        if k is None:
            raise ValueError(f"'{item}' is not a known {what}")
        if k not in items:
            items.append(k)
    return model.join_list(items)


# --- reading the file into standard columns -------------------------------------------------
def read_asset_table(path) -> pd.DataFrame:
    """The file as a frame of strings; GeoJSON geometry becomes lon/lat columns."""
    p = check_file(path, kind="asset file")
    if p.suffix.lower() in (".geojson", ".json", ".gpkg", ".shp", ".zip"):
        check_vector_file(p, file=str(path))
        try:
            gdf = gpd.read_file(p)
        except Exception as e:  # pyogrio, fiona and the GDAL drivers raise many kinds: reported
            raise InputError(f"not a readable GeoJSON/GeoPackage: {str(e).splitlines()[0][:200]}",
                             file=str(path)) from None
        if gdf.empty:
            raise InputError("the file has no features", file=str(path))
        if gdf.crs is None:
            gdf = gdf.set_crs(STORAGE_CRS)
        g = gdf.geometry.to_crs(ANALYSIS_CRS)
        pts = g.where(g.geom_type == "Point", g.representative_point()).to_crs(STORAGE_CRS)
        df = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype(object)
        df = df.where(df.notna(), "").astype(str)
        df["lon"] = [None if p_ is None or p_.is_empty else f"{p_.x:.7f}" for p_ in pts]
        df["lat"] = [None if p_ is None or p_.is_empty else f"{p_.y:.7f}" for p_ in pts]
        refuse_nul(df, file=str(path))
        return df
    return read_table(p, kind="asset file")


def standardise(df: pd.DataFrame, *, file, category=None) -> pd.DataFrame:
    """Rename known columns to AssetMap's names (case- and punctuation-insensitive)."""
    out = pd.DataFrame(index=df.index)
    used = set()
    for std, names in ALIASES.items():
        c = find_col([c for c in df.columns if c not in used], [std] + names)
        if c is not None:
            out[std] = df[c]
            used.add(c)
    for std in PROVIDER_FIELDS:
        if std not in out:
            c = find_col([c for c in df.columns if c not in used], [std])
            if c is not None:
                out[std] = df[c]
                used.add(c)
    days = [find_col(df.columns, [f"opening_hours_{d}"]) for d in _DAYS]
    if "opening_hours" not in out and any(days):
        out["opening_hours"] = [_week_hours({d: rec.get(c) for d, c in zip(_DAYS, days) if c})
                                for rec in df.to_dict("records")]
    if "name" not in out:
        raise InputError("required column is missing (name, title, ...)", file=file,
                         field="name")
    if category:
        out["category"] = category
    return out


def _week_hours(d: dict) -> str | None:
    """Pharmacy-style weekday columns -> an OSM-style opening_hours string."""
    abbr = {"monday": "Mo", "tuesday": "Tu", "wednesday": "We", "thursday": "Th",
            "friday": "Fr", "saturday": "Sa", "sunday": "Su"}
    parts = []
    for day, v in d.items():
        v = text(v)
        if v is None:
            continue
        parts.append(f"{abbr[day]} {'off' if v.upper() == 'CLOSED' else v}")
    return "; ".join(parts) or None


# --- building and writing -------------------------------------------------------------------
def build_assets(std: pd.DataFrame, store, conn, *, file, report: ImportReport, skip_bad: bool,
                 source: str = "import", default_category=None, check_area: bool = True,
                 provider_defaults: dict | None = None):
    """Standard columns -> (assets GeoDataFrame, providers DataFrame), rows resolved, checked
    and given stable ids; bad rows raise (or are reported with ``skip_bad``)."""
    bad = BadRows(file, skip_bad, report)
    recs = std.to_dict("records")
    rows = list(range(1, len(recs) + 1))
    place = _Places(store, conn, recs, check_area=check_area)
    out, prov = [], []
    for row, r in zip(rows, recs):
        name = visible_text(r.get("name"))
        if name is None:
            bad.add(row, "name", "the name is only invisible characters (zero-width spaces); "
                    "type a name" if invisible_only(r.get("name")) else "the name is blank")
            continue
        cat = _category(r, row, bad, default_category)
        if cat is None:
            continue
        pc = model.normalise_postcode(r.get("postcode"))
        if pc is not None and not model.POSTCODE_RE.match(pc):
            bad.add(row, "postcode", f"'{r.get('postcode')}' is not a postcode")
            continue
        where = place.of(r, row, pc, bad)
        if where is None:
            continue
        a = _asset_record(r, row, name, cat, pc, where, source, bad)
        if a is None:
            continue
        p = _provider(r, cat, row, bad, provider_defaults)
        if p is False:
            continue
        if p is not None:
            p["asset_id"] = a["id"]
            prov.append(p)
        out.append(a)
    bad.check()
    return out, prov


class _Places:
    """Where each row is: its lon/lat, easting/northing, or postcode (through the stored
    lookup), checked to be in the UK and (``check_area``) inside the stored areas."""

    def __init__(self, store, conn, recs: list, *, check_area: bool):
        wanted = [r.get("postcode") for r in recs if not blank(r.get("postcode"))]
        self.lookup = store.lookup_postcodes(wanted, conn=conn).set_index("postcode") \
            if wanted else None
        self.to_ll = Transformer.from_crs(ANALYSIS_CRS, STORAGE_CRS, always_xy=True)
        self.union = area_union(store, conn) if check_area else None

    def _coordinates(self, r):
        """(lon, lat, field) from the row's coordinate columns (None, None when absent);
        TypeError/ValueError when they are not numbers."""
        lon = lat = None
        field = None
        if not blank(r.get("lon")) or not blank(r.get("lat")):
            lon, lat = to_float(r.get("lon")), to_float(r.get("lat"))
            field = "lat"
        elif not blank(r.get("easting")) or not blank(r.get("northing")):
            e, n = to_float(r.get("easting")), to_float(r.get("northing"))
            field = "easting"
            if e is not None and n is not None:
                lon, lat = self.to_ll.transform(e, n)
        return lon, lat, field

    def of(self, r, row, pc, bad) -> tuple[float, float] | None:
        """The row's (lon, lat), or None with its error added to ``bad``."""
        try:
            lon, lat, field = self._coordinates(r)
        except (TypeError, ValueError):
            bad.add(row, "lat", "the coordinates are not numbers")
            return None
        if lon is None or lat is None:
            if pc is None:
                bad.add(row, "postcode", "no location: give lat/lon or a postcode")
                return None
            if self.lookup is None or pc not in self.lookup.index:
                bad.add(row, "postcode", f"postcode '{pc}' is not in the postcode lookup "
                                         "(import a postcode file first)")
                return None
            lon, lat = float(self.lookup.at[pc, "lon"]), float(self.lookup.at[pc, "lat"])
            field = "postcode"
        else:
            msg = check_lonlat(lon, lat)
            if msg:
                bad.add(row, field, msg)
                return None
        if self.union is not None and not inside(self.union, [lon], [lat])[0]:
            bad.add(row, field, f"the place ({lon:.5f}, {lat:.5f}) is outside the stored "
                                "areas")
            return None
        return lon, lat


def _asset_record(r, row, name: str, cat: str, pc, where: tuple[float, float], source: str,
                  bad) -> dict[str, Any] | None:
    """The row's asset record (text fields, home-based and public-contact flags, stable
    id), or None with its error added to ``bad``."""
    lon, lat = where
    a: dict[str, Any] = {"name": name[:200], "category": cat, "postcode": pc, "lon": lon,
                         "lat": lat, "_row": row}
    for k in ("description", "address", "opening_hours", "contact", "website",
              "last_reviewed", "status"):
        a[k] = text(r.get(k))
    if a["status"] is not None:
        a["status"] = a["status"].lower()
    try:
        a["home_based"] = _bool(r.get("home_based"), False)
        a["contact_public"] = _bool(r.get("contact_public"),
                                    not a["home_based"] and cat != "micro_provider")
    except ValueError as e:
        bad.add(row, "home_based", str(e))
        return None
    if a["home_based"] and cat not in settings.HOME_BASED_CATEGORIES:
        bad.add(row, "home_based", home_based_message(cat))
        return None
    a["source"] = source
    a["id"], a["source_ref"] = _identity(r, name, pc, lon, lat, source)
    return a


def _category(r, row, bad, default_category) -> str | None:
    """The row's category (its column, else the default), or None with the row's error."""
    cat_raw = r.get("category") if not blank(r.get("category")) else default_category
    cat = category_of(cat_raw)
    if cat is None:
        if blank(cat_raw):
            bad.add(row, "category", "no category: add a category column or give --category")
        else:
            bad.add(row, "category", f"'{cat_raw}' is not a category (one of "
                                     f"{', '.join(model.ASSET_CATEGORIES)})")
    return cat


def home_based_message(category: str) -> str:
    """Why a record of ``category`` cannot be home-based (importers and the form agree)."""
    can = " and ".join(model.ASSET_CATEGORIES[c].lower() + "s"
                       for c in settings.HOME_BASED_CATEGORIES)
    return (f"only {can} can be home-based (run from someone's home); a "
            f"{model.ASSET_CATEGORIES.get(category, category).lower()} is a place people "
            "visit: leave home_based empty or change the category")


def _bool(v, default):
    if blank(v):
        return default
    s = str(v).strip().lower()
    if s in ("true", "yes", "y", "1", "t"):
        return True
    if s in ("false", "no", "n", "0", "f"):
        return False
    raise ValueError(f"'{v}' is not yes/no")


def _identity(r, name, pc, lon, lat, source):
    if not blank(r.get("id")):
        return str(r["id"]).strip()[:64], str(r["id"]).strip()[:200]
    for key, prefix in (("cqc_location_id", "cqc"), ("ods_code", "ods"), ("urn", "urn"),
                        ("charity_number", "charity"), ("company_number", "company")):
        v = text(r.get(key))
        if v:
            v = re.sub(r"\s+", "", v)
            return f"{prefix}-{v}"[:64], v[:200]
    where = pc or f"{lon:.4f},{lat:.4f}"
    return stable_id("csv" if source == "import" else source, name, where), None


def _provider(r, cat, row, bad, defaults):
    filled = any(not blank(r.get(k)) for k in PROVIDER_SIGNALS)
    if not filled and cat != "micro_provider" and not defaults:
        return None
    p = dict(defaults or {})
    for k in PROVIDER_FIELDS:
        if not blank(r.get(k)):
            p[k] = r.get(k)
    try:
        p["service_types"] = map_list(p.get("service_types") or "other", _SERVICES,
                                      "service type")
    except ValueError as e:
        bad.add(row, "service_types", str(e))
        return False
    try:
        p["client_groups"] = map_list(p.get("client_groups"), _CLIENTS, "client group")
    except ValueError as e:
        bad.add(row, "client_groups", str(e))
        return False
    if not p["client_groups"]:
        bad.add(row, "client_groups", "a provider needs its client groups (e.g. "
                                      "older_people|dementia)")
        return False
    if not blank(p.get("quality_mark")):
        p["quality_mark"] = str(p["quality_mark"]).strip().lower()
    if not blank(p.get("hourly_price")) and isinstance(p["hourly_price"], str):
        p["hourly_price"] = p["hourly_price"].replace("£", "").strip()
    for k in ("cqc_registered", "direct_payments", "preferred_list"):
        if k not in p or blank(p.get(k)):
            p[k] = False
    if not blank(p.get("cqc_location_id")):
        p["cqc_registered"] = True
    if not blank(p.get("vacancies")) and blank(p.get("capacity_hours")) \
            and blank(p.get("capacity_places")):
        bad.add(row, "vacancies", "vacancies are part of the weekly capacity: give "
                                  "capacity_hours (or capacity_places) too, or leave "
                                  "vacancies empty")
        return False
    for field, problem in model.check_reach(p):
        bad.add(row, field, problem)
        return False
    return p


def import_assets(store, path, *, category=None, skip_bad: bool = False,
                  source: str = "import") -> ImportReport:
    """Read a CSV/XLSX/GeoJSON of assets or providers and store it in one transaction."""
    file = str(path)
    report = ImportReport("assets", file)
    if category is not None and category_of(category) is None:
        raise InputError(f"'{category}' is not a category (one of "
                         f"{', '.join(model.ASSET_CATEGORIES)})", field="category")
    df = read_asset_table(path)
    std = standardise(df, file=file, category=category_of(category) if category else None)
    default_cat = None
    if "category" not in std:
        default_cat = category_from_filename(path)
        if default_cat:
            report.notes.append(f"category '{default_cat}' taken from the file name")
    with store.transaction() as conn:
        assets, prov = build_assets(std, store, conn, file=file, report=report,
                                    skip_bad=skip_bad, source=source,
                                    default_category=default_cat)
        dedupe_against_store(assets, prov, store, conn, report)
        write_assets(store, conn, assets, prov, file=file, report=report, skip_bad=skip_bad)
    return report

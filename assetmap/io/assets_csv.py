"""Assets and micro-providers from a spreadsheet: CSV (any common encoding and delimiter,
:mod:`.sniff`), XLSX, GeoJSON, GeoPackage or Shapefile.

Each row needs a category (a column, ``--category-column``, ``--category``, a category map
``--category-map``, or guessed from the file name such as ``trafford_libraries.csv``;
:mod:`.asset_categories`) and a place: ``lat``/``lon`` (or ``easting``/``northing`` in British
National Grid, or the geometry of a vector file: polygons and lines become a representative
point and keep their outline, :mod:`.asset_features`) or a postcode resolved offline through
the stored postcode lookup (``assetmap import postcodes`` first). Names come from a name
column (``--name-column`` picks one); a file without one, or the empty cells of the column
``--name-column`` names, get a name from the category and street, postcode or position
(:func:`.asset_features.fallback_name`).

Places outside the stored areas but within ``settings.CROSS_BORDER_BUFFER_KM`` are kept as
cross-border supply (a GP practice just across the boundary serves the border areas); the
report counts them, and reads flag them (``cross_border``). Farther ones are bad rows.

Optional columns: id, description, address, opening_hours (or pharmacy-style
``opening_hours_monday`` .. ``_sunday``), contact (telephone/phone/email), website,
contact_public, home_based, status, last_reviewed, and the provider columns of
``model.PROVIDER_COLUMNS`` (service_types and client_groups as keys or labels separated by
``|``, hourly_price, quality_mark, cqc_registered, cqc_location_id, direct_payments,
preferred_list, staff_fte, capacity_hours, vacancies, community_focus, radius_km,
charity_number, company_number; how it reaches people: reach (venue, visits or both),
area_served (LSOA or ward codes separated by ``|``), area_served_geojson (a polygon,
WGS84); capacity_places (places, beside capacity_hours in hours a week);
vacancies_confirmed, the date (YYYY-MM-DD) the vacancies were last confirmed; trust signals,
:mod:`.provider_trust`: cqc_rating, community_tags such as ``urdu|gujarati|lgbt`` and
quality_mark_by, honoured only with ``--council-verified-marks``). A row becomes a provider
when its category is micro_provider or it fills a provider column.

Identifiers are stable, so importing the same file again updates rather than duplicates:
the ``id`` column if given, else ``cqc-<location id>``, ``ods-<code>``, ``charity-<number>``
..., else a hash of name and postcode (or of name and position). Rows that match a stored
provider by CQC id, charity or company number, or a stored asset by name and postcode,
update that record.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .. import model, settings
from ..errors import InputError
from .asset_categories import (  # noqa: F401 - category_of and the tables are used from here
    CATEGORY_SYNONYMS,
    FILENAME_CATEGORIES,
    CategoryMap,
    _keyed,
    category_from_filename,
    category_of,
    load_category_map,
    venue_category,
)
from .asset_features import fallback_name, merge_parts, placeholder_name, read_vector
from .asset_places import Places
from .assets_dedupe import dedupe_against_store, write_assets
from .common import (
    BadRows,
    ImportReport,
    blank,
    check_file,
    find_col,
    invisible_only,
    norm,
    read_table,
    stable_id,
    text,
    visible_text,
)
from .provider_trust import apply as apply_trust

ALIASES = {
    "id": ["id", "asset_id"],
    "name": ["name", "title", "pharmacy_name", "practice_name", "organisation_name",
             "organization_name", "charity_name", "service_name", "common_name", "Name",
             "distname", "distinctive_name"],
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
                    "area_served", "area_served_geojson", "capacity_places", "cqc_rating",
                    "community_tags"]

_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
#: Source columns a category map (``--category-map``) reads when neither the map nor
#: ``--category-column`` names one and the file has no category column.
MAP_COLUMNS = ["type", "classification", "classifica", "subtype", "kind", "amenity"]

_SERVICES = {**_keyed(model.SERVICE_TYPES), "homecare": "domiciliary_care",
             "homecareagencies": "domiciliary_care", "supportedliving": "home_support",
             "daycare": "day_activities", "residential": "accommodation"}
_CLIENTS = {**_keyed(model.CLIENT_GROUPS), "older": "older_people", "elderly": "older_people",
            "olderadults": "older_people", "learningdisabilities": "learning_disability",
            "physicaldisabilities": "physical_disability", "carer": "carers"}


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
    """The file as a frame of strings; a vector file's geometry becomes lon/lat columns and
    ``_footprint`` (outlines of polygons and lines)."""
    p = check_file(path, kind="asset file")
    if p.suffix.lower() in (".geojson", ".json", ".gpkg", ".shp", ".zip"):
        return read_vector(p, str(path))
    return read_table(p, kind="asset file")


def _column(df: pd.DataFrame, name: str, *, file, option: str) -> str:
    """The file's column ``name`` (case- and punctuation-insensitive), or InputError listing
    the columns the file has."""
    c = find_col(df.columns, [name])
    if c is None:
        cols = ", ".join(str(x) for x in df.columns if not str(x).startswith("_"))
        raise InputError(f"{option} '{name}' is not a column of the file (it has: {cols}"
                         f"{_read_as(df)})", file=file, field=name)
    return c


def _read_as(df: pd.DataFrame) -> str:
    """'; read as ...' when the CSV was not plain UTF-8 and comma-separated."""
    how = df.attrs.get("read_as")
    return f"; read as {how}" if how and not how.startswith("UTF-8 (valid UTF-8), comma") \
        else ""


def standardise(df: pd.DataFrame, *, file, category=None, name_column=None,
                category_column=None, category_option="--category-column") -> pd.DataFrame:
    """Rename known columns to AssetMap's names (case- and punctuation-insensitive);
    ``name_column`` / ``category_column`` name the columns holding names and categories.
    A file with no name column gets an empty ``name`` (named by the fallback)."""
    out = pd.DataFrame(index=df.index)
    used = {}
    for std, c, option in (("name", name_column, "--name-column"),
                           ("category", category_column, category_option)):
        if c:
            col = _column(df, c, file=file, option=option)
            out[std] = df[col]
            used[col] = std
    for std, names in ALIASES.items():
        if std in out:
            continue
        c = find_col([c for c in df.columns if c not in used], [std] + names)
        if c is not None:
            out[std] = df[c]
            used[c] = std
    for std in PROVIDER_FIELDS:
        if std not in out:
            c = find_col([c for c in df.columns if c not in used], [std])
            if c is not None:
                out[std] = df[c]
                used[c] = std
    days = [find_col(df.columns, [f"opening_hours_{d}"]) for d in _DAYS]
    if "opening_hours" not in out and any(days):
        out["opening_hours"] = [_week_hours({d: rec.get(c) for d, c in zip(_DAYS, days) if c})
                                for rec in df.to_dict("records")]
    out.attrs["name_column"] = next((c for c, std in used.items() if std == "name"), None)
    if "name" not in out:
        out["name"] = None
    if "_footprint" in df:
        out["footprint"] = df["_footprint"]
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
@dataclass
class RowRules:
    """How rows become assets beyond their own columns: the default category, a category
    map, whether unnamed rows get a fallback name; and what happened (``stats``)."""

    source: str = "import"
    default_category: str | None = None
    category_map: CategoryMap | None = None
    fallback_names: bool = False
    #: the council's own file: its quality marks are council-verified (provider_trust)
    council_marks: bool = False
    stats: Counter = field(default_factory=Counter)


def build_assets(std: pd.DataFrame, store, conn, *, file, report: ImportReport, skip_bad: bool,
                 source: str = "import", default_category=None, check_area: bool = True,
                 provider_defaults: dict | None = None, rules: RowRules | None = None):
    """Standard columns -> (assets GeoDataFrame, providers DataFrame), rows resolved, checked
    and given stable ids; bad rows raise (or are reported with ``skip_bad``)."""
    rules = rules or RowRules(source=source, default_category=default_category)
    bad = BadRows(file, skip_bad, report)
    recs = std.to_dict("records")
    place = Places(store, conn, recs, check_area=check_area)
    out, prov = [], []
    for row, r in enumerate(recs, start=1):
        a = _row_asset(r, row, bad, place, rules)
        if a is None:
            continue
        p = _provider(r, a["category"], row, bad, provider_defaults, rules.council_marks)
        if p is False:
            continue
        if p is not None:
            p["asset_id"] = a["id"]
            prov.append(p)
        out.append(a)
    bad.check()
    if place.cross_border:
        report.notes.append(
            f"{place.cross_border} row(s) lie outside the stored areas but within "
            f"{settings.CROSS_BORDER_BUFFER_KM:g} km (settings.CROSS_BORDER_BUFFER_KM): kept "
            "as cross-border supply (counted in walking access, greyed on the maps)")
    return out, prov


def _row_asset(r, row, bad, place: Places, rules: RowRules) -> dict[str, Any] | None:
    """One row's asset record (name, category, postcode, place checked), or None with the
    row's error added to ``bad``."""
    raw = r.get("name")
    unnamed = placeholder_name(raw)      # "Unknown": the source says it has no name
    name = None if unnamed else visible_text(raw)
    if name is None and not unnamed and (invisible_only(raw) or not rules.fallback_names):
        bad.add(row, "name", "the name is only invisible characters (zero-width spaces); "
                "type a name" if invisible_only(raw) else "the name is blank")
        return None
    cat = _category(r, row, bad, rules.default_category, rules.category_map)
    if cat is None:
        return None
    warm = cat == "warm_space" and venue_category(name, r.get("address"))
    if warm:
        cat = warm
        rules.stats[f"warm:{cat}"] += 1
    pc = model.normalise_postcode(r.get("postcode"))
    if pc is not None and not model.POSTCODE_RE.match(pc):
        bad.add(row, "postcode", f"'{r.get('postcode')}' is not a postcode")
        return None
    where = place.of(r, row, pc, bad)
    if where is None:
        return None
    if name is None:
        name = fallback_name(cat, r, pc, where, place.nearest_postcode(where))
        rules.stats["fallback"] += 1
    a = _asset_record(r, row, name, cat, pc, where, rules.source, bad)
    if a is None:
        return None
    a["_fallback_name"] = name != visible_text(raw)
    if warm:
        a["description"] = "Warm space" + (f": {a['description']}" if a["description"] else "")
    fp = r.get("footprint")
    if fp is not None and not isinstance(fp, float) and not a["home_based"]:
        a["footprint"] = fp
    return a


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


def _category(r, row, bad, default_category, cmap: CategoryMap | None = None) -> str | None:
    """The row's category (its column, through ``cmap`` when given, else the default), or
    None with the row's error."""
    if cmap is not None:
        raw = r.get("category")
        cat = cmap.of(raw) or category_of(default_category)
        if cat is None:
            bad.add(row, "category", "no category: the category map has no default" if
                    blank(raw) else f"'{raw}' is neither in the category map ({cmap.file}) "
                    "nor a category: add it to the map, or give the map a 'default:'")
        return cat
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


def _provider(r, cat, row, bad, defaults, council_marks: bool = False):
    filled = any(not blank(r.get(k)) for k in PROVIDER_SIGNALS)
    if not filled and cat != "micro_provider" and not defaults:
        return None
    p = dict(defaults or {})
    for k in PROVIDER_FIELDS:
        if not blank(r.get(k)):
            p[k] = r.get(k)
    for col, vocab, what, default in (("service_types", _SERVICES, "service type", "other"),
                                      ("client_groups", _CLIENTS, "client group", None)):
        try:
            p[col] = map_list(p.get(col) or default, vocab, what)
        except ValueError as e:
            bad.add(row, col, str(e))
            return False
    if not p["client_groups"]:
        bad.add(row, "client_groups", "a provider needs its client groups (e.g. "
                                      "older_people|dementia)")
        return False
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
    problem = next(iter(model.check_reach(p)), None) or apply_trust(p, council_marks=council_marks)
    if problem:
        bad.add(row, *problem)
        return False
    return p


def import_assets(store, path, *, category=None, name_column=None, category_column=None,
                  category_map=None, skip_bad: bool = False, source: str = "import",
                  council_verified_marks: bool = False) -> ImportReport:
    """Read a CSV/XLSX/GeoJSON/GeoPackage/Shapefile of assets or providers and store it in
    one transaction. ``name_column`` / ``category_column`` pick the columns holding names
    and categories; ``category_map`` is a YAML or CSV file mapping source values to
    categories (:mod:`.asset_categories`); ``council_verified_marks``: the council's own
    file, whose quality marks the council verified (else all are self-declared)."""
    file = str(path)
    report = ImportReport("assets", file)
    if category is not None and category_of(category) is None:
        raise InputError(f"'{category}' is not a category (one of "
                         f"{', '.join(model.ASSET_CATEGORIES)})", field="category")
    cmap = load_category_map(category_map) if category_map else None
    df = read_asset_table(path)
    if _read_as(df):
        report.notes.append(_read_as(df)[2:])
    std = standardise(df, file=file, category=category_of(category) if category else None,
                      name_column=name_column,
                      category_column=category_column or (cmap.column if cmap else None),
                      category_option="--category-column" if category_column or not cmap
                      else "the category map's column")
    if cmap is not None and "category" not in std:
        _map_column(df, std, cmap, report)
    rules = RowRules(source=source, category_map=cmap, council_marks=council_verified_marks,
                     fallback_names=bool(name_column) or std.attrs.get("name_column") is None)
    if "category" not in std:
        rules.default_category = category_from_filename(path)
        if rules.default_category:
            report.notes.append(f"category '{rules.default_category}' taken from the file name")
    with store.transaction() as conn:
        assets, prov = build_assets(std, store, conn, file=file, report=report,
                                    skip_bad=skip_bad, rules=rules)
        assets, merged = merge_parts(assets)
        if merged:
            kept = {a["id"] for a in assets}
            prov = [p for p in prov if p["asset_id"] in kept]
        dedupe_against_store(assets, prov, store, conn, report)
        write_assets(store, conn, assets, prov, file=file, report=report, skip_bad=skip_bad)
    _notes(report, rules, merged, named_from=std.attrs.get("name_column"))
    return report


def _map_column(df: pd.DataFrame, std: pd.DataFrame, cmap: CategoryMap, report) -> None:
    """The category map reads the file's type column when nothing names one."""
    c = find_col(df.columns, MAP_COLUMNS)
    if c is None:
        raise InputError("the category map needs the column holding the source values: "
                         "'column:' in the map, or --category-column", file=cmap.file,
                         field="column")
    std["category"] = df[c]
    report.notes.append(f"category map applied to column '{c}'")


def _notes(report: ImportReport, rules: RowRules, merged: list, *, named_from) -> None:
    """Report what the import decided for the user: fallback names, warm spaces filed by
    venue, outlines merged."""
    n = rules.stats.get("fallback", 0)
    if n:
        why = "the file has no name column" if named_from is None else \
            f"column '{named_from}' is empty or 'Unknown' there"
        report.notes.append(f"{n} row(s) without a name ({why}) named by category and street, "
                            "postcode or position; --name-column picks a column of names")
    warm = {k[5:]: v for k, v in rules.stats.items() if k.startswith("warm:")}
    if warm:
        kinds = ", ".join(f"{model.ASSET_CATEGORIES[k].lower()} {v}" for k, v in warm.items())
        report.notes.append(f"{sum(warm.values())} warm space(s) filed by their venue type "
                            f"({kinds}); their descriptions start 'Warm space'")
    if merged:
        name, parts = max(merged, key=lambda m: m[1])
        report.notes.append(f"{sum(m[1] for m in merged)} outlines with the same name and "
                            f"category merged into {len(merged)} asset(s) (parts of one place, "
                            f"e.g. '{name}': {parts} outlines)")

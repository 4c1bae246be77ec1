"""The contribution form: its vocabulary, server-side validation, and the values that fill
it again from stored data. No Flask here: the views hand in a plain mapping of form fields
(str or list of str) and get clean records or an InputError.

Every field is checked on the server whatever the browser did: lengths, number ranges,
vocabularies (categories, service types, client groups, quality marks), URL schemes,
identifier patterns, and that the location lies inside the area the store covers; a name
of only invisible characters, vacancies without a capacity and home-based records of
categories that cannot be a home are refused (the importers refuse them alike).

:func:`validate_form` is a short sequence of section validators (``check_*``), each adding
what it finds to one shared :class:`FormErrors`, so every problem is reported at once.
"""
from __future__ import annotations

import math
import re
import urllib.parse
from dataclasses import dataclass, field

import shapely

from .. import model, settings
from ..errors import InputError, InputErrors
from ..io.common import invisible_only
from ..privacy import HOME_PRIVATE_FIELDS
from .hours import DAY_NAMES, DAYS, TIME_RE, compose_opening_hours, opening_form_values
from .reach import LABELS as REACH_LABELS
from .reach import check_capacity, check_reach_fields
from .trust_fields import (
    check_trust,
    form_list,
    form_value,
    preferred_value,
    trust_form_values,
)

#: Field -> (label, max length) for free text.
TEXT_FIELDS = {
    "name": ("Name", 200),
    "description": ("Description", 2000),
    "address": ("Address", 300),
    "contact": ("Contact details", 300),
    "website": ("Website", 300),
    "opening_notes": ("Other opening times", 200),
    "community_focus": ("Community focus", 200),
    "cqc_location_id": ("CQC location id", 20),
    "charity_number": ("Charity number", 20),
    "company_number": ("Company number", 20),
}
#: Service-record numbers: field -> (label, maximum).
NUMBER_FIELDS = {
    "hourly_price": ("Hourly price (GBP)", settings.MAX_HOURLY_PRICE),
    "staff_fte": ("Staff (full-time equivalent)", settings.MAX_STAFF_FTE),
    "capacity_hours": ("Weekly capacity (hours a week)", settings.MAX_CAPACITY_HOURS),
    "capacity_places": ("Capacity (places)", settings.MAX_CAPACITY_PLACES),
    "vacancies": ("Vacancies (hours a week, or places)", settings.MAX_CAPACITY_HOURS),
    "radius_km": ("Area served (radius, km)", settings.MAX_RADIUS_KM),
}
BOOL_FIELDS = ("contact_public", "home_based", "cqc_registered", "direct_payments",
               "preferred_list")
LABELS = {
    **{k: v[0] for k, v in TEXT_FIELDS.items()}, **{k: v[0] for k, v in NUMBER_FIELDS.items()},
    "category": "Category", "postcode": "Postcode", "lat": "Latitude", "lon": "Longitude",
    "location": "Location", "opening_hours": "Opening hours", "service_types": "Service types",
    "client_groups": "Client groups", "quality_mark": "Quality mark",
    "contact_public": "Publish contact details", "home_based": "Home-based",
    "cqc_registered": "CQC registered", "direct_payments": "Accepts direct payments",
    "preferred_list": "On the preferred provider list", "status": "Status",
    **REACH_LABELS, "area_served_codes": "Other area codes served",
    "quality_mark_by": "Quality mark awarded by", "cqc_rating": "CQC rating",
    "community_tags": "Community focus terms",
}

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_CQC = re.compile(r"^1-\d{5,12}$")
_CHARITY = re.compile(r"^\d{6,8}(-\d{1,2})?$")
_COMPANY = re.compile(r"^([A-Z]{2}\d{6}|\d{8})$")

#: Asset fields a contribution sets (the store adds status, versions, stamps).
ASSET_FIELDS = ("name", "category", "description", "address", "postcode", "opening_hours",
                "contact", "contact_public", "website", "home_based")
PROVIDER_FIELDS = ("service_types", "client_groups", "hourly_price", "quality_mark",
                   "cqc_registered", "cqc_location_id", "direct_payments", "preferred_list",
                   "staff_fte", "capacity_hours", "vacancies", "community_focus", "radius_km",
                   "charity_number", "company_number", "reach", "area_served",
                   "area_served_geojson", "capacity_places", "vacancies_confirmed",
                   "quality_mark_by", "cqc_rating", "community_tags")

#: Fields of a home-based provider never shown in any page (they locate the home): the
#: same list the public view drops (privacy.HOME_PRIVATE_FIELDS).
HOME_HIDDEN = HOME_PRIVATE_FIELDS


@dataclass
class Contribution:
    """A validated submission: asset fields, an optional service record, and a location
    (None when an update keeps the current one)."""
    asset: dict
    provider: dict | None
    lon: float | None
    lat: float | None
    warnings: list[str] = field(default_factory=list)

    def as_data(self) -> dict:
        return {"asset": dict(self.asset), "provider": None if self.provider is None
                else dict(self.provider), "lon": self.lon, "lat": self.lat}

    @classmethod
    def from_data(cls, data: dict) -> "Contribution":
        return cls(asset=dict(data.get("asset") or {}), provider=data.get("provider"),
                   lon=data.get("lon"), lat=data.get("lat"))


# --- form access ------------------------------------------------------------------------------
_get, _getlist = form_value, form_list        # shared with the trust fields


def _bool(form, key) -> bool:
    return _get(form, key).strip().lower() in ("1", "on", "true", "yes", "y")


def clean_text(value: str, multiline: bool = False) -> str:
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        value = value.replace("\n", " ")
    return value.strip()


def blank(v) -> bool:
    """None, NaN or the empty string: a value the form shows as an empty field."""
    return v is None or (isinstance(v, float) and math.isnan(v)) or v == ""


# --- validation: the shared error collection ---------------------------------------------------
class FormErrors(list):
    """The problems found so far (an :class:`InputError` each, naming its field), in the
    order the form lists its fields."""

    def add(self, field: str, message: str) -> None:
        self.append(InputError(message, field=field))

    def on(self, *fields: str) -> bool:
        """True when any problem so far concerns one of ``fields``."""
        return any(e.field in fields for e in self)

    def raise_if_any(self) -> None:
        """Raise the one problem, or :class:`InputErrors` listing them all."""
        if self:
            raise self[0] if len(self) == 1 else InputErrors(list(self))


# --- validation: identity, text, web address, postcode -----------------------------------------
def check_text(form, errors: FormErrors) -> dict:
    """Every free-text field cleaned (no control characters, within its length limit);
    field -> text or None."""
    text = {}
    for f, (label, n) in TEXT_FIELDS.items():
        v = clean_text(_get(form, f), multiline=f == "description")
        if _CONTROL.search(v):
            errors.add(f, f"{label} contains control characters; please retype it")
            v = _CONTROL.sub("", v)
        if len(v) > n:
            errors.add(f, f"{label} is {len(v)} characters long; the limit is {n}")
        text[f] = v or None
    return text


def check_identity(form, text: dict, errors: FormErrors) -> str:
    """The name (required, 2 characters or more) and the category (one of the listed);
    returns the category as given (blank when none)."""
    if not text["name"]:
        errors.add("name", "Name is required")
    elif invisible_only(text["name"]):
        errors.add("name", "Name is only invisible characters (such as zero-width spaces); "
                   "type the name")
    elif len(text["name"]) < 2:
        errors.add("name", "Name must be at least 2 characters")
    category = _get(form, "category").strip()
    if not category:
        errors.add("category", "Choose a category")
    elif category not in model.ASSET_CATEGORIES:
        errors.add("category", "Choose one of the listed categories")
    return category


def check_website(website: str | None, errors: FormErrors) -> str | None:
    """An http(s) address with a dotted host; ``https://`` added when no scheme is given."""
    if not website:
        return website
    u = urllib.parse.urlsplit(website if "://" in website else "https://" + website)
    if u.scheme not in ("http", "https") or not u.netloc or " " in website \
            or "." not in u.netloc:
        errors.add("website", "Website must be a web address such as https://example.org")
        return website
    return urllib.parse.urlunsplit(u)


def check_postcode(form, errors: FormErrors) -> str | None:
    """The postcode normalised (``AB1 2CD``), None when blank or not a UK postcode."""
    postcode = model.normalise_postcode(_get(form, "postcode"))
    if postcode and not model.POSTCODE_RE.match(postcode):
        errors.add("postcode", f"'{postcode[:12]}' is not a UK postcode (for example AB1 2CD)")
        return None
    return postcode


# --- validation: opening hours -----------------------------------------------------------------
def check_opening_hours(form, notes: str | None, errors: FormErrors) -> str | None:
    """The grid of days (``oh_mo_open``/``oh_mo_close``, ...) and the notes, as OSM
    opening_hours text; a problem with a day is reported on its opening-time field."""
    times = {}
    for d in DAYS:
        a = _get(form, f"oh_{d.lower()}_open").strip()
        b = _get(form, f"oh_{d.lower()}_close").strip()
        if not a and not b:
            continue
        f = f"oh_{d.lower()}_open"
        if not a or not b:
            errors.add(f, f"{DAY_NAMES[d]}: give both the opening and the closing time")
        elif not TIME_RE.match(a) or not TIME_RE.match(b):
            errors.add(f, f"{DAY_NAMES[d]}: times are hours and minutes, for example 09:30")
        elif a >= b:
            errors.add(f, f"{DAY_NAMES[d]}: the closing time must be after the opening time")
        else:
            times[d] = (a, b)
    opening = compose_opening_hours(times, notes or "")
    if opening and len(opening) > 500:
        errors.add("opening_notes", "Opening hours are too long")
    return opening


# --- validation: location ----------------------------------------------------------------------
def check_coordinates(form, errors: FormErrors) -> tuple[float | None, float | None]:
    """(lon, lat) typed or set by clicking the map; (None, None) when blank or wrong."""
    lat_s, lon_s = _get(form, "lat").strip(), _get(form, "lon").strip()
    if not (lat_s or lon_s):
        return None, None
    try:
        lat, lon = float(lat_s), float(lon_s)
        if not (math.isfinite(lat) and math.isfinite(lon)):
            raise ValueError
    except ValueError:
        errors.add("location", "Latitude and longitude must both be numbers (click the map "
                   "to set them)")
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        errors.add("location", "Latitude must be between -90 and 90 and longitude between "
                   "-180 and 180")
        return None, None
    return lon, lat


def check_location(form, postcode: str | None, errors: FormErrors, *, area=None,
                   postcode_lookup=None,
                   keep_location_ok: bool = False) -> tuple[float | None, float | None]:
    """(lon, lat) from the coordinates, else from the postcode; required unless
    ``keep_location_ok``; inside ``area`` when one is given."""
    lon, lat = check_coordinates(form, errors)
    if lat is None and not errors.on("location") and postcode:
        found = postcode_lookup(postcode) if postcode_lookup else None
        if found is None:
            errors.add("postcode", f"We do not know the postcode {postcode}; click the map to "
                       "set the location instead")
        else:
            lon, lat = float(found[0]), float(found[1])
    if lat is None and not keep_location_ok and not errors.on("location", "postcode"):
        errors.add("location", "Set the location: click the map, or enter a postcode")
    if lat is not None and area is not None and not area.covers(shapely.Point(lon, lat)):
        errors.add("location", "That location is outside the area this map covers; click "
                   "inside the outlined area")
        return None, None
    return lon, lat


# --- validation: the asset record (contact, consent, home-based) -------------------------------
def contact_consent(form, contact: str | None) -> bool:
    """Publish contact details only when asked to and there are some to publish."""
    return _bool(form, "contact_public") and bool(contact)


def asset_fields(form, text: dict, *, category: str, postcode: str | None,
                 opening: str | None) -> dict:
    """The asset's fields from the checked sections (``home_based``: a provider working
    from home, whose address and exact point are never shown)."""
    return {
        "name": text["name"], "category": category or None, "description": text["description"],
        "address": text["address"], "postcode": postcode, "opening_hours": opening,
        "contact": text["contact"], "contact_public": contact_consent(form, text["contact"]),
        "website": text["website"], "home_based": _bool(form, "home_based"),
    }


# --- validation: the service record (micro-providers and other services) -----------------------
def wants_provider(form, category: str) -> bool:
    """Micro-providers, or any asset whose contributor ticked that it offers services."""
    return category == "micro_provider" or _bool(form, "is_provider")


def check_services(form, errors: FormErrors) -> tuple[list[str], list[str], str]:
    """(service types, client groups, quality mark), each from its list; at least one
    service type and one client group."""
    services = [s.strip() for s in _getlist(form, "service_types") if s.strip()]
    groups = [s.strip() for s in _getlist(form, "client_groups") if s.strip()]
    if any(s not in model.SERVICE_TYPES for s in services):
        errors.add("service_types", "Choose service types from the list")
    elif not services:
        errors.add("service_types", "Choose at least one service type")
    if any(s not in model.CLIENT_GROUPS for s in groups):
        errors.add("client_groups", "Choose client groups from the list")
    elif not groups:
        errors.add("client_groups", "Choose at least one group of people you support")
    quality = _get(form, "quality_mark").strip() or "none"
    if quality not in model.QUALITY_MARKS:
        errors.add("quality_mark", "Choose a quality mark from the list")
    return services, groups, quality


def check_number(form, f: str, errors: FormErrors) -> float | None:
    """One of :data:`NUMBER_FIELDS` ('1,200' and '£18' accepted): a finite number from 0
    to its maximum; None when blank or not a number (an out-of-range number is kept, with
    its error)."""
    label, hi = NUMBER_FIELDS[f]
    s = _get(form, f).strip().replace(",", "").lstrip("£").strip()
    if not s:
        return None
    try:
        x = float(s)
        if not math.isfinite(x):
            raise ValueError
    except ValueError:
        errors.add(f, f"{label} must be a number")
        return None
    if x < 0:
        errors.add(f, f"{label} must not be negative")
    elif x > hi:
        errors.add(f, f"{label} must be at most {hi:g}"
                   + (" (micro-providers have at most 5 full-time staff)" if f == "staff_fte"
                      else ""))
    return x


def check_home_based(asset: dict, category: str, errors: FormErrors) -> None:
    """Only categories that can be someone's home (``settings.HOME_BASED_CATEGORIES``) may
    be home-based; a library or a park is a place people visit."""
    if asset.get("home_based") and category in model.ASSET_CATEGORIES \
            and category not in settings.HOME_BASED_CATEGORIES:
        can = " and ".join(model.ASSET_CATEGORIES[c].lower() + "s"
                           for c in settings.HOME_BASED_CATEGORIES)
        errors.add("home_based", f"Only {can} can be home-based (run from someone's home): "
                   "untick Home-based, or choose one of those categories")


def check_registrations(form, text: dict, errors: FormErrors) -> dict:
    """CQC registration (a registered service names its location id), the charity and
    the company number, each in its official pattern; spaces removed."""
    cqc_registered = _bool(form, "cqc_registered")
    cqc_id = text["cqc_location_id"]
    if cqc_id:
        cqc_id = cqc_id.upper().replace(" ", "")
        if not _CQC.match(cqc_id):
            errors.add("cqc_location_id", "A CQC location id looks like 1-123456789")
    if cqc_registered and not cqc_id:
        errors.add("cqc_location_id", "Give the CQC location id of a registered service")
    charity = text["charity_number"]
    if charity and not _CHARITY.match(charity.replace(" ", "")):
        errors.add("charity_number", "A charity number is 6 to 8 digits (for example 1234567)")
    company = text["company_number"]
    if company:
        company = company.upper().replace(" ", "")
        if not _COMPANY.match(company):
            errors.add("company_number", "A company number is 8 characters (for example "
                       "01234567 or SC123456)")
    return {"cqc_registered": cqc_registered, "cqc_location_id": cqc_id or None,
            "charity_number": charity.replace(" ", "") if charity else None,
            "company_number": company or None}


def check_provider(form, text: dict, errors: FormErrors, *, can_set_preferred: bool = False,
                   current: dict | None = None, known_codes=None) -> dict:
    """The service record: services offered, prices and capacity, registrations, reach
    (``known_codes``: the borough's area codes, for the areas served)."""
    services, groups, quality = check_services(form, errors)
    numbers = {f: check_number(form, f, errors) for f in NUMBER_FIELDS}
    check_capacity(numbers, errors, services)
    reg = check_registrations(form, text, errors)
    reach = check_reach_fields(form, errors, vacancies_given=numbers["vacancies"] is not None,
                               known_codes=known_codes)
    trust = check_trust(form, errors, quality=quality, cqc_location_id=reg["cqc_location_id"],
                        can_verify=can_set_preferred, current=current)
    return {
        "service_types": model.join_list(services), "client_groups": model.join_list(groups),
        "hourly_price": numbers["hourly_price"], "quality_mark": quality,
        "cqc_registered": reg["cqc_registered"], "cqc_location_id": reg["cqc_location_id"],
        "direct_payments": _bool(form, "direct_payments"),
        "preferred_list": preferred_value(form, can_set_preferred, current),
        "staff_fte": numbers["staff_fte"], "capacity_hours": numbers["capacity_hours"],
        "vacancies": numbers["vacancies"], "community_focus": text["community_focus"],
        "radius_km": numbers["radius_km"],
        "charity_number": reg["charity_number"], "company_number": reg["company_number"],
        "reach": reach["reach"], "area_served": reach["area_served"],
        "area_served_geojson": reach["area_served_geojson"],
        "capacity_places": numbers["capacity_places"],
        "vacancies_confirmed": reach["vacancies_confirmed"], **trust,
    }


# --- validation: the whole form ----------------------------------------------------------------
def validate_form(form, *, area=None, postcode_lookup=None, keep_location_ok: bool = False,
                  can_set_preferred: bool = False, current: dict | None = None,
                  known_codes=None) -> Contribution:
    """Check every field of a contribution form; returns a :class:`Contribution` or raises
    :class:`~assetmap.errors.InputErrors` listing every problem (field and message).

    ``area``: a shapely (multi)polygon the location must fall in (None: anywhere valid).
    ``postcode_lookup(postcode) -> (lon, lat) | None`` locates by postcode.
    ``keep_location_ok``: blank coordinates keep the current location (amendments).
    ``can_set_preferred``: only planners say who is on the preferred provider list and
    verify quality marks; for others the ``current`` record's list value is kept and marks
    are self-declared (:mod:`.trust_fields`). ``known_codes``: the borough's area
    codes (an area served outside them is refused).
    """
    errors = FormErrors()
    text = check_text(form, errors)
    category = check_identity(form, text, errors)
    text["website"] = check_website(text["website"], errors)
    postcode = check_postcode(form, errors)
    opening = check_opening_hours(form, text["opening_notes"], errors)
    lon, lat = check_location(form, postcode, errors, area=area, postcode_lookup=postcode_lookup,
                              keep_location_ok=keep_location_ok)
    asset = asset_fields(form, text, category=category, postcode=postcode, opening=opening)
    check_home_based(asset, category, errors)
    provider = None
    if wants_provider(form, category):
        provider = check_provider(form, text, errors, can_set_preferred=can_set_preferred,
                                  current=current, known_codes=known_codes)
    errors.raise_if_any()
    return Contribution(asset=asset, provider=provider, lon=lon, lat=lat)


def errors_by_field(exc: InputError) -> dict[str, list[str]]:
    """{'name': ['Name is required'], ...} for showing beside each field."""
    errs = exc.errors if isinstance(exc, InputErrors) else [exc]
    out: dict[str, list[str]] = {}
    for e in errs:
        out.setdefault(e.field or "form", []).append(e.message)
    return out


# --- form values from stored data --------------------------------------------------------------
def _provider_values(p: dict) -> dict:
    out: dict = {"is_provider": True}
    for f in PROVIDER_FIELDS:
        v = p.get(f)
        if f in ("service_types", "client_groups", "area_served", "community_tags"):
            out[f] = model.split_list(v)
        elif isinstance(v, float) and not math.isnan(v):
            out[f] = f"{v:g}"
        else:
            out[f] = "" if blank(v) else v
    return {**out, **trust_form_values(p)}


def form_values(asset: dict | None, provider: dict | None = None, *, lon=None, lat=None,
                show_location: bool = True) -> dict:
    """Values to pre-fill the contribution form. For home-based providers pass
    ``show_location=False``: the exact point (and the address) is never sent to a browser;
    left blank, they are kept."""
    out: dict = {}
    a = asset or {}
    for f in ASSET_FIELDS:
        v = a.get(f)
        out[f] = "" if blank(v) or (a.get("home_based") and f in HOME_HIDDEN) else v
    out.update(opening_form_values(a.get("opening_hours")))
    if show_location and lon is not None and lat is not None:
        out["lon"], out["lat"] = f"{lon:.6f}", f"{lat:.6f}"
    p = provider or {}
    if p and not blank(p.get("service_types")):
        out.update(_provider_values(p))
    return out


def redact_home(asset: dict) -> dict:
    """A copy of asset fields safe to show: a home-based provider's address removed."""
    out = dict(asset)
    if out.get("home_based"):
        for f in HOME_HIDDEN:
            out[f] = None
    return out

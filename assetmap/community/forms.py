"""Contributed assets: server-side validation of the form, opening hours, diffs, review
dates and the analysis refresh after an approval. No Flask here: the views hand in a plain
mapping of form fields (str or list of str) and get clean records or an InputError.

Every field is checked on the server whatever the browser did: lengths, number ranges,
vocabularies (categories, service types, client groups, quality marks), URL schemes,
identifier patterns, and that the location lies inside the area the store covers.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

import shapely

from .. import model, settings
from ..errors import InputError, InputErrors
from ..privacy import HOME_PRIVATE_FIELDS

log = logging.getLogger(__name__)

DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
DAY_NAMES = dict(zip(DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                            "Saturday", "Sunday")))

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
    "capacity_hours": ("Weekly capacity (hours or places)", settings.MAX_CAPACITY_HOURS),
    "vacancies": ("Vacancies (hours or places)", settings.MAX_CAPACITY_HOURS),
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
}

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_CQC = re.compile(r"^1-\d{5,12}$")
_CHARITY = re.compile(r"^\d{6,8}(-\d{1,2})?$")
_COMPANY = re.compile(r"^([A-Z]{2}\d{6}|\d{8})$")

#: Asset fields a contribution sets (the store adds status, versions, stamps).
ASSET_FIELDS = ("name", "category", "description", "address", "postcode", "opening_hours",
                "contact", "contact_public", "website", "home_based")
PROVIDER_FIELDS = ("service_types", "client_groups", "hourly_price", "quality_mark",
                   "cqc_registered", "cqc_location_id", "direct_payments", "preferred_list",
                   "staff_fte", "capacity_hours", "vacancies", "community_focus", "radius_km",
                   "charity_number", "company_number")


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
def _get(form, key) -> str:
    v = form.get(key) if hasattr(form, "get") else None
    if isinstance(v, (list, tuple)):
        v = v[0] if v else None
    return "" if v is None else str(v)


def _getlist(form, key) -> list[str]:
    if hasattr(form, "getlist"):
        return [str(v) for v in form.getlist(key)]
    v = form.get(key)
    if v is None:
        return []
    if isinstance(v, (list, tuple)):
        return [str(x) for x in v]
    return model.split_list(v)


def _bool(form, key) -> bool:
    return _get(form, key).strip().lower() in ("1", "on", "true", "yes", "y")


def clean_text(value: str, multiline: bool = False) -> str:
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        value = value.replace("\n", " ")
    return value.strip()


# --- opening hours ------------------------------------------------------------------------------
def compose_opening_hours(times: dict, notes: str = "") -> str | None:
    """{'Mo': ('09:00', '17:00'), ...} + notes -> OSM opening_hours ('Mo-Fr 09:00-17:00;
    Sa 10:00-12:00 || "by appointment"'); consecutive days with equal hours are joined."""
    rules, i = [], 0
    while i < len(DAYS):
        d = DAYS[i]
        if d not in times:
            i += 1
            continue
        j = i
        while j + 1 < len(DAYS) and times.get(DAYS[j + 1]) == times[d]:
            j += 1
        span = d if j == i else (f"{d},{DAYS[j]}" if j == i + 1 else f"{d}-{DAYS[j]}")
        rules.append(f"{span} {times[d][0]}-{times[d][1]}")
        i = j + 1
    out = "; ".join(rules)
    notes = (notes or "").replace('"', "'").strip()
    if notes:
        out = f'{out} || "{notes}"' if out else f'"{notes}"'
    return out or None


def parse_opening_hours(text: str | None) -> tuple[dict, str] | None:
    """The inverse of :func:`compose_opening_hours` for the subset it writes; None when the
    text uses other syntax (it is then kept as free text)."""
    if not text or not str(text).strip():
        return {}, ""
    text = str(text).strip()
    notes = ""
    m = re.search(r'(?:^|\s*\|\|\s*)"([^"]*)"\s*$', text)
    if m:
        notes = m.group(1)
        text = text[:m.start()].strip()
    times: dict = {}
    if not text:
        return times, notes
    for rule in text.split(";"):
        rule = rule.strip()
        m = re.fullmatch(r"([A-Za-z,\-]+)\s+(\d\d:\d\d)-(\d\d:\d\d)", rule)
        if not m:
            return None
        days: list[str] = []
        for part in m.group(1).split(","):
            if "-" in part:
                a, b = part.split("-", 1)
                if a not in DAYS or b not in DAYS:
                    return None
                days += list(DAYS[DAYS.index(a):DAYS.index(b) + 1])
            elif part in DAYS:
                days.append(part)
            else:
                return None
        for d in days:
            times[d] = (m.group(2), m.group(3))
    return times, notes


def opening_form_values(text: str | None) -> dict:
    """Form field values (oh_mo_open, ..., opening_notes) for stored opening hours."""
    parsed = parse_opening_hours(text)
    if parsed is None:
        return {"opening_notes": str(text)[:200]}
    times, notes = parsed
    out = {"opening_notes": notes}
    for d, (a, b) in times.items():
        out[f"oh_{d.lower()}_open"], out[f"oh_{d.lower()}_close"] = a, b
    return out


# --- the area the store covers -----------------------------------------------------------------
_area_cache: dict = {}
_area_lock = threading.Lock()


def borough_shape(store):
    """The union of the stored areas (prepared for fast point tests), cached per area set;
    None when no areas are loaded."""
    sig = store.areas_signature()
    key = (store.url, sig)
    with _area_lock:
        hit = _area_cache.get(key)
    if hit is not None:
        return hit[0]
    areas = store.read_areas(level=None)
    shape = None
    if len(areas):
        shape = shapely.union_all(shapely.make_valid(areas.geometry.values))
        shapely.prepare(shape)
    with _area_lock:
        for k in [k for k in _area_cache if k[0] == store.url]:
            del _area_cache[k]
        _area_cache[key] = (shape,)
    return shape


# --- validation ----------------------------------------------------------------------------------
def validate_form(form, *, area=None, postcode_lookup=None, keep_location_ok: bool = False,
                  can_set_preferred: bool = False, current: dict | None = None) -> Contribution:
    """Check every field of a contribution form; returns a :class:`Contribution` or raises
    :class:`~assetmap.errors.InputErrors` listing every problem (field and message).

    ``area``: a shapely (multi)polygon the location must fall in (None: anywhere valid).
    ``postcode_lookup(postcode) -> (lon, lat) | None`` locates by postcode.
    ``keep_location_ok``: blank coordinates keep the current location (amendments).
    ``can_set_preferred``: only planners say who is on the preferred provider list; for
    others the ``current`` record's value is kept.
    """
    errors: list[InputError] = []

    def err(f, msg):
        errors.append(InputError(msg, field=f))

    text = {}
    for f, (label, n) in TEXT_FIELDS.items():
        v = clean_text(_get(form, f), multiline=f == "description")
        if _CONTROL.search(v):
            err(f, f"{label} contains control characters; please retype it")
            v = _CONTROL.sub("", v)
        if len(v) > n:
            err(f, f"{label} is {len(v)} characters long; the limit is {n}")
        text[f] = v or None

    if not text["name"]:
        err("name", "Name is required")
    elif len(text["name"]) < 2:
        err("name", "Name must be at least 2 characters")

    category = _get(form, "category").strip()
    if not category:
        err("category", "Choose a category")
    elif category not in model.ASSET_CATEGORIES:
        err("category", "Choose one of the listed categories")

    website = text["website"]
    if website:
        u = urllib.parse.urlsplit(website if "://" in website else "https://" + website)
        if u.scheme not in ("http", "https") or not u.netloc or " " in website \
                or "." not in u.netloc:
            err("website", "Website must be a web address such as https://example.org")
        else:
            text["website"] = urllib.parse.urlunsplit(u)

    postcode = model.normalise_postcode(_get(form, "postcode"))
    if postcode and not model.POSTCODE_RE.match(postcode):
        err("postcode", f"'{postcode[:12]}' is not a UK postcode (for example AB1 2CD)")
        postcode = None

    # opening hours: a grid of days, or notes
    times = {}
    for d in DAYS:
        a = _get(form, f"oh_{d.lower()}_open").strip()
        b = _get(form, f"oh_{d.lower()}_close").strip()
        if not a and not b:
            continue
        f = f"oh_{d.lower()}_open"
        if not a or not b:
            err(f, f"{DAY_NAMES[d]}: give both the opening and the closing time")
        elif not _TIME.match(a) or not _TIME.match(b):
            err(f, f"{DAY_NAMES[d]}: times are hours and minutes, for example 09:30")
        elif a >= b:
            err(f, f"{DAY_NAMES[d]}: the closing time must be after the opening time")
        else:
            times[d] = (a, b)
    opening = compose_opening_hours(times, text["opening_notes"] or "")
    if opening and len(opening) > 500:
        err("opening_notes", "Opening hours are too long")

    # location
    lon = lat = None
    lat_s, lon_s = _get(form, "lat").strip(), _get(form, "lon").strip()
    if lat_s or lon_s:
        try:
            lat, lon = float(lat_s), float(lon_s)
            if not (math.isfinite(lat) and math.isfinite(lon)):
                raise ValueError
        except ValueError:
            err("location", "Latitude and longitude must both be numbers (click the map to set them)")
            lat = lon = None
        else:
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                err("location", "Latitude must be between -90 and 90 and longitude between "
                    "-180 and 180")
                lat = lon = None
    if lat is None and not any(e.field == "location" for e in errors) and postcode:
        found = postcode_lookup(postcode) if postcode_lookup else None
        if found is None:
            err("postcode", f"We do not know the postcode {postcode}; click the map to set "
                "the location instead")
        else:
            lon, lat = float(found[0]), float(found[1])
    if lat is None and not keep_location_ok and \
            not any(e.field in ("location", "postcode") for e in errors):
        err("location", "Set the location: click the map, or enter a postcode")
    if lat is not None and area is not None and not area.covers(shapely.Point(lon, lat)):
        err("location", "That location is outside the area this map covers; click inside "
            "the outlined area")
        lat = lon = None

    asset = {
        "name": text["name"], "category": category or None, "description": text["description"],
        "address": text["address"], "postcode": postcode, "opening_hours": opening,
        "contact": text["contact"], "contact_public": _bool(form, "contact_public"),
        "website": text["website"], "home_based": _bool(form, "home_based"),
    }
    if asset["contact_public"] and not asset["contact"]:
        asset["contact_public"] = False

    # service record (micro-providers, or any asset offering services)
    provider = None
    wants_provider = category == "micro_provider" or _bool(form, "is_provider")
    if wants_provider:
        services = [s.strip() for s in _getlist(form, "service_types") if s.strip()]
        groups = [s.strip() for s in _getlist(form, "client_groups") if s.strip()]
        bad = [s for s in services if s not in model.SERVICE_TYPES]
        if bad:
            err("service_types", "Choose service types from the list")
        elif not services:
            err("service_types", "Choose at least one service type")
        if any(s not in model.CLIENT_GROUPS for s in groups):
            err("client_groups", "Choose client groups from the list")
        elif not groups:
            err("client_groups", "Choose at least one group of people you support")
        quality = _get(form, "quality_mark").strip() or "none"
        if quality not in model.QUALITY_MARKS:
            err("quality_mark", "Choose a quality mark from the list")
        numbers = {}
        for f, (label, hi) in NUMBER_FIELDS.items():
            s = _get(form, f).strip().replace(",", "").lstrip("£").strip()
            if not s:
                numbers[f] = None
                continue
            try:
                x = float(s)
                if not math.isfinite(x):
                    raise ValueError
            except ValueError:
                err(f, f"{label} must be a number")
                numbers[f] = None
                continue
            if x < 0:
                err(f, f"{label} must not be negative")
            elif x > hi:
                err(f, f"{label} must be at most {hi:g}"
                    + (" (micro-providers have at most 5 full-time staff)" if f == "staff_fte"
                       else ""))
            numbers[f] = x
        if numbers.get("vacancies") is not None and numbers.get("capacity_hours") is not None \
                and numbers["vacancies"] > numbers["capacity_hours"]:
            err("vacancies", "Vacancies cannot be more than the weekly capacity")
        cqc_registered = _bool(form, "cqc_registered")
        cqc_id = text["cqc_location_id"]
        if cqc_id:
            cqc_id = cqc_id.upper().replace(" ", "")
            if not _CQC.match(cqc_id):
                err("cqc_location_id", "A CQC location id looks like 1-123456789")
        if cqc_registered and not cqc_id:
            err("cqc_location_id", "Give the CQC location id of a registered service")
        charity = text["charity_number"]
        if charity and not _CHARITY.match(charity.replace(" ", "")):
            err("charity_number", "A charity number is 6 to 8 digits (for example 1234567)")
        company = text["company_number"]
        if company:
            company = company.upper().replace(" ", "")
            if not _COMPANY.match(company):
                err("company_number", "A company number is 8 characters (for example 01234567 "
                    "or SC123456)")
        preferred = _bool(form, "preferred_list") if can_set_preferred else \
            bool((current or {}).get("preferred_list") or False)
        provider = {
            "service_types": model.join_list(services), "client_groups": model.join_list(groups),
            "hourly_price": numbers.get("hourly_price"), "quality_mark": quality,
            "cqc_registered": cqc_registered, "cqc_location_id": cqc_id or None,
            "direct_payments": _bool(form, "direct_payments"), "preferred_list": preferred,
            "staff_fte": numbers.get("staff_fte"), "capacity_hours": numbers.get("capacity_hours"),
            "vacancies": numbers.get("vacancies"), "community_focus": text["community_focus"],
            "radius_km": numbers.get("radius_km"),
            "charity_number": charity.replace(" ", "") if charity else None,
            "company_number": company or None,
        }
    if errors:
        raise errors[0] if len(errors) == 1 else InputErrors(errors)
    return Contribution(asset=asset, provider=provider, lon=lon, lat=lat)


def errors_by_field(exc: InputError) -> dict[str, list[str]]:
    """{'name': ['Name is required'], ...} for showing beside each field."""
    errs = exc.errors if isinstance(exc, InputErrors) else [exc]
    out: dict[str, list[str]] = {}
    for e in errs:
        out.setdefault(e.field or "form", []).append(e.message)
    return out


# --- form values from stored data -------------------------------------------------------------------
def form_values(asset: dict | None, provider: dict | None = None, *, lon=None, lat=None,
                show_location: bool = True) -> dict:
    """Values to pre-fill the contribution form. For home-based providers pass
    ``show_location=False``: the exact point (and the address) is never sent to a browser;
    left blank, they are kept."""
    out: dict = {}
    a = asset or {}
    for f in ASSET_FIELDS:
        v = a.get(f)
        out[f] = "" if _blank(v) or (a.get("home_based") and f in HOME_HIDDEN) else v
    out.update(opening_form_values(a.get("opening_hours")))
    if show_location and lon is not None and lat is not None:
        out["lon"], out["lat"] = f"{lon:.6f}", f"{lat:.6f}"
    p = provider or {}
    if p and not _blank(p.get("service_types")):
        out["is_provider"] = True
        for f in PROVIDER_FIELDS:
            v = p.get(f)
            if f in ("service_types", "client_groups"):
                out[f] = model.split_list(v)
            elif isinstance(v, float) and not math.isnan(v):
                out[f] = f"{v:g}"
            else:
                out[f] = "" if _blank(v) else v
    return out


def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v == ""


# --- diffs -------------------------------------------------------------------------------------------
def _show(v):
    if _blank(v):
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


#: Fields of a home-based provider never shown in any page (they locate the home): the
#: same list the public view drops (privacy.HOME_PRIVATE_FIELDS).
HOME_HIDDEN = HOME_PRIVATE_FIELDS


def _hidden(v: str) -> str:
    return "(a home address: not shown)" if v else ""


def redact_home(asset: dict) -> dict:
    """A copy of asset fields safe to show: a home-based provider's address removed."""
    out = dict(asset)
    if out.get("home_based"):
        for f in HOME_HIDDEN:
            out[f] = None
    return out


def diff(current: dict | None, proposed: Contribution) -> list[dict]:
    """Field-by-field changes between the current record (asset row with provider columns,
    as from ``store.get_asset``) and a proposal. Locations are compared by distance only."""
    cur = current or {}
    home = bool(cur.get("home_based") or proposed.asset.get("home_based"))
    rows = []
    for f in ASSET_FIELDS:
        old, new = _show(cur.get(f)), _show(proposed.asset.get(f))
        if old != new:
            if home and f in HOME_HIDDEN:
                old, new = _hidden(old), _hidden(new)
            rows.append({"field": f, "label": LABELS.get(f, f), "old": old, "new": new})
    if proposed.provider is not None or not _blank(cur.get("service_types")):
        p = proposed.provider or {}
        for f in PROVIDER_FIELDS:
            old, new = _show(cur.get(f)), _show(p.get(f))
            if f in ("service_types", "client_groups"):
                old = ", ".join(model.split_list(old))
                new = ", ".join(model.split_list(new))
            if old != new:
                rows.append({"field": f, "label": LABELS.get(f, f), "old": old, "new": new})
    g = cur.get("geometry")
    if proposed.lon is not None and g is not None:
        from .duplicates import _metres
        d = float(_metres(g.x, g.y, [proposed.lon], [proposed.lat])[0])
        if d >= 1:
            rows.append({"field": "location", "label": "Location", "old": "",
                         "new": f"moved {round(d)} m"})
    return rows


def version_changes(older: dict | None, newer: dict) -> list[dict]:
    """Changes between two stored versions (``asset_versions.data`` dicts)."""
    older = older or {}
    home = bool(older.get("home_based") or newer.get("home_based"))
    rows = []
    keys = [k for k in newer if k not in ("version", "updated_at", "updated_by", "provider",
                                          "lon", "lat", "created_at", "created_by")]
    for k in keys:
        old, new = _show(older.get(k)), _show(newer.get(k))
        if old != new:
            if home and k in HOME_HIDDEN:
                old, new = _hidden(old), _hidden(new)
            rows.append({"label": LABELS.get(k, k), "old": old, "new": new})
    po, pn = older.get("provider") or {}, newer.get("provider") or {}
    for k in sorted(set(po) | set(pn)):
        if _show(po.get(k)) != _show(pn.get(k)):
            rows.append({"label": LABELS.get(k, k), "old": _show(po.get(k)),
                         "new": _show(pn.get(k))})
    if older and (older.get("lon"), older.get("lat")) != (newer.get("lon"), newer.get("lat")) \
            and newer.get("lon") is not None and older.get("lon") is not None:
        from .duplicates import _metres
        d = float(_metres(older["lon"], older["lat"], [newer["lon"]], [newer["lat"]])[0])
        if d >= 1:
            rows.append({"label": "Location", "old": "", "new": f"moved {round(d)} m"})
    return rows


# --- review dates ------------------------------------------------------------------------------------
def review_due(last_reviewed, now: dt.datetime | None = None,
               days: int | None = None) -> bool:
    """True when a record was never reviewed or not for ``settings.STALE_AFTER_DAYS``."""
    days = settings.STALE_AFTER_DAYS if days is None else days
    if _blank(last_reviewed):
        return True
    try:
        t = dt.datetime.fromisoformat(str(last_reviewed))
    except ValueError:
        return True
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    now = now or dt.datetime.now(dt.timezone.utc)
    return (now - t).days >= days


# --- analysis refresh -----------------------------------------------------------------------------
class _Refresher:
    """One background worker per store: approvals ask for a refresh; a burst of requests
    while a run is going yields exactly one more run afterwards."""

    def __init__(self, store):
        self.store = store
        self.cond = threading.Condition()
        self.wanted = 0
        self.done = 0
        self.running = False
        self.last_error: str | None = None
        self.last_run_id = None
        self.thread: threading.Thread | None = None
        self.delay = settings.ANALYSIS_REFRESH_DELAY_S
        self.max_delay = 10 * settings.ANALYSIS_REFRESH_DELAY_S

    def request(self) -> None:
        with self.cond:
            self.wanted += 1
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._loop, daemon=True,
                                               name="assetmap-refresh")
                self.thread.start()
            self.cond.notify_all()

    def _loop(self) -> None:
        while True:
            with self.cond:
                if self.done >= self.wanted:
                    self.running = False
                    self.thread = None
                    self.cond.notify_all()
                    return
                # debounce: wait for a quiet moment (bounded) so a burst makes one run
                start = time.monotonic()
                while True:
                    seen = self.wanted
                    self.cond.wait(self.delay)
                    if self.wanted == seen or time.monotonic() - start > self.max_delay:
                        break
                target = self.wanted
                self.running = True
            run_now(self.store, self)
            with self.cond:
                self.done = target
                self.cond.notify_all()

    def wait(self, timeout: float = 60.0) -> bool:
        end = time.monotonic() + timeout
        with self.cond:
            while self.done < self.wanted:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
        return True


_refreshers: dict[str, _Refresher] = {}
_refreshers_lock = threading.Lock()


def run_now(store, state: _Refresher | None = None):
    """Run the analysis pipeline on ``store`` now; returns the run id or None. Robust to the
    pipeline being absent or failing (logged; the approval itself stands)."""
    try:
        from .. import pipeline
    except ImportError:
        log.info("analysis pipeline not installed; nothing to refresh")
        return None
    try:
        result = pipeline.run(store)
        run = store.latest_run()
        run_id = run["id"] if run else getattr(result, "run_id", None)
        if state is not None:
            state.last_run_id, state.last_error = run_id, None
        return run_id
    except Exception as e:  # noqa: BLE001 - a failed refresh must not fail an approval
        log.exception("analysis refresh failed")
        if state is not None:
            state.last_error = f"{type(e).__name__}: {e}"
        return None


def refresher(store) -> _Refresher:
    with _refreshers_lock:
        r = _refreshers.get(store.url)
        if r is None or r.store is not store and r.thread is None:
            r = _refreshers[store.url] = _Refresher(store)
        return r


def request_refresh(store, mode: str | None = None):
    """Refresh the gap analysis after an approval (``settings.ANALYSIS_REFRESH`` mode)."""
    mode = mode or settings.ANALYSIS_REFRESH
    if mode == "off":
        return None
    if mode == "sync":
        return run_now(store)
    refresher(store).request()
    return None

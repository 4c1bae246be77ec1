"""The query parameters of the Open Referral API, as HSDS 3.0's and the UK profile's
``openapi.json`` define them, checked (an unknown parameter or a bad value is an
:class:`~assetmap.errors.InputError` naming it), and the filters they ask for."""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field

from ...errors import InputError

#: Largest page the API serves, and the default.
MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 50
MAX_PAGE = 10 ** 9
#: The parameters of each list path (HSDS 3.0 and the UK profile together).
_COMMON = ("page", "per_page", "format", "search")
PARAMETERS = {
    "services": _COMMON + ("taxonomy_term_id", "taxonomy_id", "organization_id",
                           "modified_after", "minimal", "full", "minimum_age", "maximum_age",
                           "start_time", "end_time", "day", "postcode", "proximity"),
    "service_at_locations": _COMMON + ("taxonomy_term_id", "taxonomy_id", "organization_id",
                                       "modified_after", "full", "minimum_age",
                                       "maximum_age", "start_time", "end_time", "day",
                                       "postcode", "proximity"),
    "organizations": _COMMON + ("full_service", "full"),
    "locations": _COMMON + ("organization_id", "modified_after", "postcode", "proximity"),
    "taxonomies": _COMMON,
    "taxonomy_terms": _COMMON + ("taxonomy_id", "top_only", "parent_id"),
}
#: Parameters of the one-record paths (``/organizations/{id}`` takes full_service).
ONE_PARAMETERS = {"organizations": ("full_service",)}
_DAYS = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"}
_DAY_NAMES = {"monday": "MO", "tuesday": "TU", "wednesday": "WE", "thursday": "TH",
              "friday": "FR", "saturday": "SA", "sunday": "SU"}
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(:[0-5]\d)?$")


@dataclass
class Query:
    """A checked request: paging, the filters, and the postcode's point when one was
    given (``point``: lon, lat and the area codes it lies in, filled by the caller)."""
    path: str
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    format: str = "json"
    search: str | None = None
    full: bool | None = None
    minimal: bool = False
    full_service: bool = False
    top_only: bool = False
    filters: dict = field(default_factory=dict)
    postcode: str | None = None
    proximity: float | None = None
    point: tuple | None = None


def _int(args, name, default, lo, hi) -> int:
    v = args.get(name)
    if v in (None, ""):
        return default
    try:
        n = int(str(v).strip())
    except ValueError:
        raise InputError(f"{name} must be a whole number, not '{v}'", field=name) from None
    if not lo <= n <= hi:
        raise InputError(f"{name} must be from {lo} to {hi}, not {n}", field=name)
    return n


def _bool(args, name) -> bool | None:
    v = args.get(name)
    if v in (None, ""):
        return None
    s = str(v).strip().lower()
    if s in ("true", "1", "yes"):
        return True
    if s in ("false", "0", "no"):
        return False
    raise InputError(f"{name} must be true or false, not '{v}'", field=name)


def _number(args, name) -> float | None:
    v = args.get(name)
    if v in (None, ""):
        return None
    try:
        f = float(v)
    except ValueError:
        raise InputError(f"{name} must be a number, not '{v}'", field=name) from None
    if not math.isfinite(f) or f < 0:
        raise InputError(f"{name} must be a number of 0 or more, not '{v}'", field=name)
    return f


def parse_datetime(v: str, name: str = "modified_after") -> dt.datetime:
    """An ISO 8601 date or date-time (UTC when it names no zone)."""
    try:
        d = dt.datetime.fromisoformat(str(v).strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{name} must be an ISO 8601 date or date-time "
                         f"(2024-05-01T09:00:00Z), not '{v}'", field=name) from None
    return d if d.tzinfo else d.replace(tzinfo=dt.timezone.utc)


def _day(v) -> str | None:
    if v in (None, ""):
        return None
    s = str(v).strip()
    d = _DAY_NAMES.get(s.lower(), s.upper()[:2] if len(s) == 2 else None)
    if d not in _DAYS:
        raise InputError(f"day must be a day of the week (MO..SU or Monday..Sunday), "
                         f"not '{v}'", field="day")
    return d


def _time(args, name) -> str | None:
    v = args.get(name)
    if v in (None, ""):
        return None
    if not _TIME_RE.match(str(v).strip()):
        raise InputError(f"{name} must be a time HH:MM, not '{v}'", field=name)
    return str(v).strip()[:5]


def parse(path: str, args, *, one: bool = False) -> Query:
    """The checked :class:`Query` of ``args`` (a mapping of query parameters) for the
    list path ``path`` (``one``: its ``/{id}`` form)."""
    allowed = ONE_PARAMETERS.get(path, ()) if one else PARAMETERS[path]
    unknown = sorted(k for k in args if k not in allowed)
    if unknown:
        raise InputError(f"unknown parameter(s) for /{path}{'/{id}' if one else ''}: "
                         f"{', '.join(unknown)} (known: {', '.join(allowed) or 'none'})",
                         field=unknown[0])
    q = Query(path, page=_int(args, "page", 1, 1, MAX_PAGE),
              per_page=_int(args, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE))
    q.format = str(args.get("format") or "json").lower()
    if q.format not in ("json", "ndjson"):
        raise InputError(f"format must be json or ndjson, not '{args.get('format')}'",
                         field="format")
    q.search = (str(args.get("search")).strip() or None) if args.get("search") else None
    q.full, q.minimal = _bool(args, "full"), bool(_bool(args, "minimal"))
    q.full_service, q.top_only = bool(_bool(args, "full_service")), bool(_bool(args,
                                                                            "top_only"))
    f: dict = {k: str(args[k]).strip() for k in ("taxonomy_term_id", "taxonomy_id",
                                                 "organization_id", "parent_id")
               if args.get(k) not in (None, "")}
    if args.get("modified_after") not in (None, ""):
        f["modified_after"] = parse_datetime(args["modified_after"])
    for k in ("minimum_age", "maximum_age"):
        if _number(args, k) is not None:
            f[k] = _number(args, k)
    for k in ("start_time", "end_time"):
        if _time(args, k):
            f[k] = _time(args, k)
    if _day(args.get("day")):
        f["day"] = _day(args.get("day"))
    q.filters = f
    q.postcode = str(args.get("postcode")).strip() or None if args.get("postcode") else None
    q.proximity = _number(args, "proximity")
    if q.proximity is not None and q.postcode is None:
        raise InputError("proximity needs a postcode (metres from its centre)",
                         field="proximity")
    return q

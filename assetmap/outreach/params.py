"""What a coordinator asks an outreach plan for (:class:`PlanParams`): parsing a form, query
string or saved plan, the bounds and checks, the key a plan is known by, and the small number
helpers the rest of :mod:`assetmap.outreach` shares."""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field

from .. import model, settings
from ..errors import InputError

PATCH_KINDS = ("wards", "areas", "network", "walk", "polygon")


def _num(v, nd=3):
    """``v`` as a float rounded to ``nd`` places, or None if it is not a finite number."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return round(f, nd) if math.isfinite(f) else None


@dataclass
class PlanParams:
    """What a coordinator asked for; everything a plan is rebuilt from."""

    patch: str = "wards"
    ids: list = field(default_factory=list)          # ward codes, area codes or a network id
    polygon: dict | None = None                      # GeoJSON geometry (WGS84) for "polygon"
    client_group: str = "older_people"
    service_type: str = ""                           # "" = any service type
    walk_minutes: float = settings.OUTREACH_WALK_MINUTES
    speed_kmh: float = settings.WALK_SPEED_KMH
    top: int = settings.OUTREACH_TOP_AREAS
    stops: int = settings.OUTREACH_ROUTE_STOPS
    closed: bool = True                              # route returns to its start
    stop_ids: list = field(default_factory=list)     # chosen stops: "area:CODE" / "asset:ID"

    def to_dict(self) -> dict:
        """The parameters as plain JSON types (as saved with a plan)."""
        return json.loads(json.dumps(asdict(self)))

    @classmethod
    def from_dict(cls, d: dict) -> "PlanParams":
        """Parameters from a form, query string or saved plan (checked; InputError if not)."""
        d = dict(d or {})
        ids = d.get("ids") or []
        if isinstance(ids, str):
            ids = [i for i in ids.replace(",", " ").split() if i]
        poly = _polygon_arg(d.get("polygon"))
        stop_ids = d.get("stop_ids") or []
        if isinstance(stop_ids, str):
            stop_ids = [s for s in stop_ids.split(",") if s]
        closed = d.get("closed", True)
        if isinstance(closed, str):
            closed = closed.lower() not in ("0", "false", "no", "off", "open")
        p = cls(patch=str(d.get("patch") or "wards"), ids=[str(i) for i in ids],
                polygon=poly,
                client_group=str(d.get("client_group") or "older_people"),
                service_type=str(d.get("service_type") or ""),
                walk_minutes=_bounded(d, cls, "walk_minutes", 1, 60),
                speed_kmh=_bounded(d, cls, "speed_kmh", 1, 8),
                top=_bounded(d, cls, "top", 1, 50, int),
                stops=_bounded(d, cls, "stops", 2, 30, int),
                closed=bool(closed), stop_ids=[str(s) for s in stop_ids][:30])
        p.check()
        return p

    def check(self) -> None:
        """InputError (naming the field) unless the parameters make a plan."""
        if self.patch not in PATCH_KINDS:
            raise InputError(f"patch must be one of {', '.join(PATCH_KINDS)}", field="patch")
        if self.client_group not in model.CLIENT_GROUPS:
            raise InputError(f"'{self.client_group}' is not a client group", field="client_group")
        if self.service_type and self.service_type not in model.SERVICE_TYPES:
            raise InputError(f"'{self.service_type}' is not a service type", field="service_type")
        if self.patch == "polygon":
            if not self.polygon:
                raise InputError("draw a patch on the map first", field="polygon")
        elif not self.ids:
            what = {"wards": "a ward", "areas": "an area", "network": "a neighbourhood network",
                    "walk": "a venue for the walking catchment"}
            raise InputError(f"choose {what[self.patch]}", field="ids")

    def key(self) -> str:
        """The parameters as canonical JSON (what a plan is known by)."""
        return json.dumps(self.to_dict(), sort_keys=True)


def _polygon_arg(poly):
    """The drawn patch as given: GeoJSON text is parsed ('' -> None)."""
    if isinstance(poly, str):
        poly = poly.strip()
        try:
            poly = json.loads(poly) if poly else None
        except ValueError as e:
            raise InputError("the drawn patch is not valid GeoJSON", field="polygon") from e
    return poly


def _bounded(d: dict, cls, key: str, lo, hi, kind=float):
    """``d[key]`` as a ``kind`` between ``lo`` and ``hi`` (the class default when absent or
    blank); InputError naming the field otherwise."""
    v = d.get(key, getattr(cls, key))
    if v in (None, ""):
        v = getattr(cls, key)
    try:
        v = kind(float(v))
    except (TypeError, ValueError) as e:
        raise InputError(f"'{v}' is not a number", field=key) from e
    if not lo <= v <= hi:
        raise InputError(f"must be between {lo} and {hi}", field=key)
    return v


def _mpm(params) -> float:
    """Metres walked per minute at the plan's walking speed."""
    return params.speed_kmh * 1000.0 / 60.0


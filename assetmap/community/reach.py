"""The service record's reach and units on the contribution form: how people get the
service (at a venue, it comes to them, or both), the area it serves (a radius, wards or
other area codes, or a drawn polygon), capacity in places beside hours, and the date the
vacancies were last confirmed. Checked on the server with messages beside each field;
importers check the same rules through ``model.check_reach``."""
from __future__ import annotations

import datetime as dt

from .. import model

#: Field -> label (for messages and the moderation diff).
LABELS = {
    "reach": "How people get the service", "area_served": "Areas served",
    "area_served_geojson": "Area served (drawn)", "capacity_places": "Capacity (places)",
    "vacancies_confirmed": "Vacancies last confirmed",
}


def _get(form, key) -> str:
    v = form.get(key) if hasattr(form, "get") else None
    if isinstance(v, (list, tuple)):
        v = v[0] if v else None
    return "" if v is None else str(v).strip()


def _getlist(form, key) -> list[str]:
    if hasattr(form, "getlist"):
        return [str(v) for v in form.getlist(key)]
    v = form.get(key) if hasattr(form, "get") else None
    if isinstance(v, (list, tuple)):
        return [str(x) for x in v]
    return [] if v is None else [str(v)]


def area_codes(form) -> list[str]:
    """The codes chosen in the wards list (``area_served``, several) and typed in
    ``area_served_codes`` (commas, spaces or '|'), upper case, in order, no repeats."""
    raw = [c for v in _getlist(form, "area_served") for c in model.split_list(v)]
    raw += model.split_list(_get(form, "area_served_codes").replace(" ", ","))
    out: list[str] = []
    for c in raw:
        c = c.strip().upper()
        if c and c not in out:
            out.append(c)
    return out


def check_reach_fields(form, errors, *, vacancies_given: bool, known_codes=None,
                       today: dt.date | None = None) -> dict:
    """The reach fields of a service record, each problem added to ``errors`` on its field.

    ``known_codes``: the area codes (LSOAs and wards) of the borough; a code outside it is
    refused. ``vacancies_given``: vacancies were entered, so a blank confirmation date
    means "today" (the contributor is confirming them now)."""
    reach = _get(form, "reach") or None
    if reach is not None and reach not in model.REACH_MODES:
        errors.add("reach", "Choose how people get the service from the list")
        reach = None
    codes = area_codes(form)
    rec = {"reach": reach, "area_served": model.join_list(codes) or None,
           "area_served_geojson": _get(form, "area_served_geojson") or None,
           "vacancies_confirmed": _get(form, "vacancies_confirmed") or None}
    if rec["vacancies_confirmed"] is None and vacancies_given:
        rec["vacancies_confirmed"] = (today or dt.date.today()).isoformat()
    for field, message in model.check_reach(rec):
        errors.add("area_served_codes" if field == "area_served" else field,
                   message[0].upper() + message[1:])
    unknown = [c for c in codes if known_codes is not None and c not in known_codes
               and model.AREA_CODE_RE.match(c)]
    if unknown:
        errors.add("area_served_codes", f"{unknown[0]} is not an area of this borough; choose "
                   "wards from the list or give LSOA or ward codes of the borough")
    if rec["vacancies_confirmed"]:
        rec["vacancies_confirmed"] = rec["vacancies_confirmed"][:10]
    return rec


def places_unit(numbers: dict, services: list[str]) -> bool:
    """True when the record counts its capacity in places (given, or a place service)."""
    return numbers.get("capacity_places") is not None or \
        bool(set(services) & set(model.PLACE_SERVICE_TYPES))


def check_capacity(numbers: dict, errors, services: list[str] | None = None
                   ) -> None:
    """Vacancies are part of the capacity, in its unit (places for a service counted in
    places, else hours a week): given only with it, never more than it."""
    places = places_unit(numbers, services or [])
    cap_field = "capacity_places" if places else "capacity_hours"
    vacancies, capacity = numbers.get("vacancies"), numbers.get(cap_field)
    what = "the places" if places else "the weekly capacity"
    if vacancies is not None and capacity is None and not errors.on(cap_field):
        errors.add("vacancies", f"Vacancies are part of {what}: give {what} too, or leave "
                   "vacancies empty")
    elif vacancies is not None and capacity is not None and vacancies > capacity:
        errors.add("vacancies", f"Vacancies cannot be more than {what}")

"""Capacity in its units, and how fresh a provider's vacancies are.

Capacity is counted in one of two units (``model.CAPACITY_UNITS``), never summed: **hours**
a week of support, or **places** (care-home beds, day places, accommodation). A provider
counts in places when it records ``capacity_places`` or offers a service counted in places
(``model.PLACE_SERVICE_TYPES``), otherwise in hours; its vacancies are in the same unit.

Vacancies are *known* only when ``vacancies_confirmed`` (an ISO date) is at most
``settings.VACANCY_STALE_DAYS`` days before today; otherwise they are unknown ("not confirmed
since 12 March 2025"), and a provider with unknown vacancies is never ranked first for them.
"""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from .. import model, settings


def provider_unit(row) -> str:
    """'places' or 'hours' for one provider record (see the module notes)."""
    places = row.get("capacity_places")
    try:
        has_places = places is not None and math.isfinite(float(places))
    except (TypeError, ValueError):
        has_places = False
    types = set(model.split_list(row.get("service_types")))
    return "places" if has_places or types & set(model.PLACE_SERVICE_TYPES) else "hours"


def provider_units(providers: pd.DataFrame) -> np.ndarray:
    return np.array([provider_unit(r) for r in providers.to_dict("records")], dtype=object)


def capacities(providers: pd.DataFrame, units: np.ndarray, how: str = "capacity") -> np.ndarray:
    """Each provider's capacity in its own unit (capacity_hours or capacity_places); a
    missing one is the median of the known ones of the same unit (1 if none is known).
    ``how="count"``: every provider counts 1."""
    out = np.ones(len(providers))
    if how != "capacity" or not len(providers):
        return out
    for unit, col in (("hours", "capacity_hours"), ("places", "capacity_places")):
        sel = units == unit
        if not sel.any():
            continue
        cap = pd.to_numeric(providers[col], errors="coerce").to_numpy(dtype=float)[sel] \
            if col in providers else np.full(int(sel.sum()), np.nan)
        fill = float(np.nanmedian(cap)) if np.isfinite(cap).any() else 1.0
        out[sel] = np.where(np.isfinite(cap), cap, fill)
    return out


def unit_words(unit: str) -> str:
    """'hours a week' or 'places'."""
    return model.CAPACITY_UNITS.get(unit, unit)


def per_100_words(unit: str) -> str:
    """'hours a week per 100 people in need' (``settings.SUPPLY_PER``)."""
    return f"{unit_words(unit)} per {settings.SUPPLY_PER:,} people in need"


def amount(value, unit: str) -> str:
    """'about 35 hours a week' / 'about 2 places' (whole numbers; under 1: one decimal)."""
    v = float(value)
    text = f"{v:.1f}" if 0 < abs(v) < 1 else f"{int(round(v)):,}"
    words = unit_words(unit)
    if unit == "places" and text == "1":
        words = "place"
    elif unit == "hours" and text == "1":
        words = "hour a week"
    return f"about {text} {words}"


# --- vacancies --------------------------------------------------------------------------------
def parse_date(value) -> dt.date | None:
    """An ISO date (YYYY-MM-DD, or the date part of an ISO timestamp), else None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()[:10]
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def vacancies_fresh(confirmed, on: dt.date | None = None, stale_days: int | None = None) -> bool:
    """True when vacancies confirmed on ``confirmed`` still count on ``on`` (today)."""
    d = parse_date(confirmed)
    if d is None:
        return False
    on = today() if on is None else on
    days = settings.VACANCY_STALE_DAYS if stale_days is None else int(stale_days)
    return (on - d).days <= days


def known_vacancies(providers: pd.DataFrame, on: dt.date | None = None,
                    stale_days: int | None = None) -> np.ndarray:
    """Each provider's vacancies where they are known (fresh), NaN where not."""
    if not len(providers) or "vacancies" not in providers:
        return np.full(len(providers), np.nan)
    vac = pd.to_numeric(providers["vacancies"], errors="coerce").to_numpy(dtype=float)
    conf = providers["vacancies_confirmed"] if "vacancies_confirmed" in providers else \
        pd.Series([None] * len(providers))
    fresh = np.array([vacancies_fresh(c, on, stale_days) for c in conf], dtype=bool)
    return np.where(fresh, vac, np.nan)


def known_vacancies_one(row, on: dt.date | None = None,
                        stale_days: int | None = None) -> float | None:
    """One record's vacancies if known (fresh), else None."""
    try:
        vac = float(row.get("vacancies"))
    except (TypeError, ValueError):
        return None
    if not math.isfinite(vac) or not vacancies_fresh(row.get("vacancies_confirmed"), on,
                                                     stale_days):
        return None
    return vac


def _long_date(d: dt.date) -> str:
    return f"{d.day} {d.strftime('%B %Y')}"


def vacancy_text(row, on: dt.date | None = None, stale_days: int | None = None) -> str:
    """What a page says about a provider's vacancies: 'Vacancies: 6 hours a week (confirmed
    3 May 2026)', 'No vacancies (confirmed ...)', 'Vacancies not confirmed since 2 January
    2025' or 'Vacancies not confirmed'."""
    d = parse_date(row.get("vacancies_confirmed"))
    vac = row.get("vacancies")
    try:
        vac = float(vac)
    except (TypeError, ValueError):
        vac = float("nan")
    if d is None:
        return "Vacancies not confirmed"
    if not vacancies_fresh(d.isoformat(), on, stale_days):
        return f"Vacancies not confirmed since {_long_date(d)}"
    if not math.isfinite(vac):
        return f"Vacancies not given (checked {_long_date(d)})"
    when = f"(confirmed {_long_date(d)})"
    if vac <= 0:
        return f"No vacancies {when}"
    unit = provider_unit(row)
    return f"Vacancies: {amount(vac, unit).removeprefix('about ')} {when}"


# --- supply and gaps in words ------------------------------------------------------------------
def people_count(n) -> str:
    """1234 -> '1,230' (to the nearest 10 from 100 up)."""
    n = float(n)
    if n >= 100:
        n = round(n, -1)
    return f"{int(round(n)):,}"


def supply_text(per_100, unit: str) -> str:
    """'1.1 hours a week per 100 people in need' (3 significant figures below 10)."""
    v = float(per_100) if per_100 is not None else float("nan")
    if not math.isfinite(v):
        return "unknown"
    shown = f"{v:.3g}" if abs(v) < 10 else f"{v:,.0f}"
    return f"{shown} {per_100_words(unit)}"


def people_words(row) -> str:
    """'about 410 adults with a learning disability' (the row's population and label)."""
    label = str(row.get("population_label") or "people")
    pop = row.get("population")
    try:
        pop = float(pop)
    except (TypeError, ValueError):
        return label
    return f"about {people_count(pop)} {label}" if math.isfinite(pop) else label


def shortfall_words(row) -> str:
    """'No provider reaches it', 'about 35 hours a week short of the borough median' or
    'at or above the borough median'."""
    unit = str(row.get("unit") or "hours")
    if not float(row.get("supply") or 0.0) > 0:
        return "No provider reaches it"
    short = row.get("shortfall")
    if short is not None and short == short and float(short) >= 0.5:
        return f"{amount(short, unit)} short of the borough median"
    return "at or above the borough median"


def gap_words(row) -> str:
    """One area's supply against its people, in words: 'No provider reaches it (about 410
    adults with a learning disability)' or '1.1 hours a week per 100 people in need: about
    35 hours a week short of the borough median, for about 415 people aged 65+'."""
    short = shortfall_words(row)
    if short.startswith("No provider"):
        return f"{short} ({people_words(row)})"
    text = supply_text(row.get("supply_per_100"), str(row.get("unit") or "hours"))
    return f"{text}: {short}, for {people_words(row)}"

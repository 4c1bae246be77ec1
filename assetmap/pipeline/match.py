"""Who can help a person at a place: providers that come to people whose area served
covers it, and venues within the walk; ranked with known (recently confirmed) vacancies
first. The same reach rule as the analysis (:mod:`assetmap.analysis.reach`), so the referral
and directory agree with the gap map, the outreach wording and the area profile.

For the pages (which do not import the analysis): :func:`reach_at` marks the rows,
:func:`rank` orders them, :func:`vacancy_columns` adds what a page says about vacancies.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .. import settings
from ..analysis import capacity, reach

QUALITY_ORDER = {"gold": 3, "silver": 2, "bronze": 1, "none": 0}


def reach_at(frame: pd.DataFrame, lon: float, lat: float, area_code: str | None,
             parent_code: str | None, walk_min, *, default_km: float | None = None,
             area_names: dict | None = None) -> pd.DataFrame:
    """``frame`` (assets and providers, public view) with ``walk_min`` (minutes' walk from
    the place, NaN beyond the walk), ``comes_to_you`` (a provider that visits and whose
    area served covers the place), ``at_venue`` (people travel to it), ``reaches``
    (comes to you, or at a venue within the walk), ``reach_text`` (how it reaches people,
    in words) and ``reach_min`` (0 for those that come to you, else the walk)."""
    out = frame.copy()
    out["walk_min"] = np.asarray(walk_min, dtype=float) if len(out) else np.zeros(0)
    if not len(out):
        for col in ("comes_to_you", "at_venue", "reaches"):
            out[col] = np.zeros(0, dtype=bool)
        out["reach_text"] = pd.Series(dtype=object)
        out["reach_min"] = np.zeros(0)
        return out
    comes = reach.covers_point(out, lon, lat, area_code, parent_code=parent_code,
                               default_km=default_km)
    venue = reach.at_venue(out)
    walkable = np.isfinite(out["walk_min"].to_numpy(dtype=float))
    out["comes_to_you"] = comes
    out["at_venue"] = venue
    out["reaches"] = comes | (venue & walkable)
    out["reach_text"] = [reach.describe(r, area_names) if r.get("is_provider") else ""
                         for r in out.to_dict("records")]
    out["reach_min"] = np.where(comes, 0.0, out["walk_min"].to_numpy(dtype=float))
    return out


def vacancy_columns(frame: pd.DataFrame, on: dt.date | None = None) -> pd.DataFrame:
    """``frame`` with ``vacancies_known`` (vacancies confirmed within
    ``settings.VACANCY_STALE_DAYS``, NaN otherwise), ``has_vacancy`` (known and above 0),
    ``vacancy_text`` (what a page says), ``capacity_unit`` (hours or places) and
    ``capacity_text`` ("Capacity: 40 hours a week")."""
    out = frame.copy()
    if not len(out):
        for col, dtype in (("vacancies_known", float), ("has_vacancy", bool),
                           ("vacancy_text", object), ("capacity_unit", object),
                           ("capacity_text", object)):
            out[col] = pd.Series(dtype=dtype)
        return out
    known = capacity.known_vacancies(out, on)
    out["vacancies_known"] = known
    out["has_vacancy"] = np.nan_to_num(known) > 0
    prov = out["is_provider"].fillna(False).astype(bool).to_numpy() if "is_provider" in out \
        else np.ones(len(out), dtype=bool)
    recs = out.to_dict("records")
    out["vacancy_text"] = [capacity.vacancy_text(r, on) if p else ""
                           for r, p in zip(recs, prov)]
    out["capacity_unit"] = [capacity.provider_unit(r) if p else "" for r, p in zip(recs, prov)]
    out["capacity_text"] = [_capacity_text(r, u) if p else ""
                            for r, u, p in zip(recs, out["capacity_unit"], prov)]
    return out


def _capacity_text(row, unit: str) -> str:
    """'Capacity: 40 hours a week' / 'Capacity: 6 places' ('' when not given)."""
    v = row.get("capacity_places" if unit == "places" else "capacity_hours")
    try:
        v = float(v)
    except (TypeError, ValueError):
        return ""
    if not np.isfinite(v):
        return ""
    return "Capacity: " + capacity.amount(v, unit).removeprefix("about ")


def draw(frame: pd.DataFrame, seed: int | None) -> np.ndarray:
    """A per-search random rank of each row (by its id, so the same seed gives the same
    order): ties are broken by this, never by name, so no provider is always first because
    of its place in the alphabet (people phone the first name they see). ``seed`` None: the
    rows' own order (0, 1, 2...)."""
    if seed is None or not len(frame):
        return np.arange(len(frame), dtype=float)
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, 1187])
    ids = frame["id"].astype(str).to_numpy() if "id" in frame else np.arange(len(frame))
    order = np.argsort(np.argsort(ids, kind="stable"), kind="stable")
    return rng.permutation(len(frame))[order].astype(float)


def rank(frame: pd.DataFrame, seed: int | None = None) -> pd.DataFrame:
    """Providers that reach the place: known vacancies first, then those that come to the
    person or are nearer (to the minute), then better quality mark, then a per-search draw
    (:func:`draw`; name without a seed). Stale or unconfirmed vacancies never put a provider
    first."""
    if not len(frame):
        return frame
    f = frame if "has_vacancy" in frame else vacancy_columns(frame)
    q = f["quality_mark"].fillna("none").map(QUALITY_ORDER).fillna(0) if "quality_mark" in f \
        else 0
    rmin = f["reach_min"] if "reach_min" in f else f.get("walk_min", 0)
    rmin = pd.to_numeric(pd.Series(rmin, index=f.index), errors="coerce").round(0) \
        if seed is not None else rmin
    tie = draw(f, seed) if seed is not None else f["name"]
    keyed = f.assign(_vac=~f["has_vacancy"].astype(bool), _r=rmin, _q=-q, _t=tie)
    return keyed.sort_values(["_vac", "_r", "_q", "_t"], kind="stable").drop(
        columns=["_vac", "_r", "_q", "_t"])


def fair_order(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """A list with no place to measure from (the directory before a postcode is given):
    records with confirmed vacancies first, the rest after, each part in the per-search
    :func:`draw` order."""
    if not len(frame):
        return frame
    f = frame if "has_vacancy" in frame else vacancy_columns(frame)
    keyed = f.assign(_vac=~f["has_vacancy"].fillna(False).astype(bool), _t=draw(f, seed))
    return keyed.sort_values(["_vac", "_t"], kind="stable").drop(columns=["_vac", "_t"])


def default_radius_km(run: dict | None) -> float:
    """The default visiting radius the stored run used (settings without a run)."""
    params = (run or {}).get("params") or {}
    return float(params.get("reach_default_radius_km") or settings.REACH_DEFAULT_RADIUS_KM)


def unit_words(unit: str) -> str:
    return capacity.unit_words(unit)


def per_100_words(unit: str) -> str:
    return capacity.per_100_words(unit)


def amount(value, unit: str) -> str:
    return capacity.amount(value, unit)


def supply_text(per_100, unit: str) -> str:
    return capacity.supply_text(per_100, unit)


def gap_words(row) -> str:
    return capacity.gap_words(row)


def people_words(row) -> str:
    return capacity.people_words(row)


def shortfall_words(row) -> str:
    return capacity.shortfall_words(row)

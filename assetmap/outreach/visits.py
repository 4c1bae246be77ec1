"""Which providers reach each area of a plan: those that come to people and whose area served
covers the area (:mod:`assetmap.analysis.reach`, the rule the gap map uses), and those people
walk to. One place for plans (:mod:`.plan`) and commissioning gaps (:mod:`.commissioning`)."""
from __future__ import annotations

import numpy as np

from ..analysis import capacity, reach
from .context import Context


def cover(ctx: Context, area_idx) -> np.ndarray:
    """(assets, areas in ``area_idx``) bool: the provider comes to people and its area
    served covers the area; False for venue-only providers and other assets."""
    area_idx = np.asarray(area_idx, dtype=int)
    out = np.zeros((len(ctx.assets), len(area_idx)), dtype=bool)
    if not len(ctx.assets) or not len(area_idx):
        return out
    prov = ctx.assets["is_provider"].fillna(False).astype(bool).to_numpy()
    if prov.any():
        out[prov] = reach.coverage(ctx.assets[prov], ctx.areas.iloc[area_idx],
                                   default_km=ctx.reach_default_km)
    return out


def walked_to(ctx: Context) -> np.ndarray:
    """Per asset: True if people travel to it (venues, and providers at a venue or both)."""
    if not len(ctx.assets):
        return np.zeros(0, dtype=bool)
    return reach.at_venue(ctx.assets)


def reached(near: dict, covering, venue: np.ndarray) -> dict:
    """{asset row: minutes} of what reaches an area: assets within the walk that people
    travel to (``near``: row -> minutes) and providers that come to people there
    (``covering``: rows, minutes 0)."""
    out = {j: m for j, m in near.items() if venue[j]}
    out.update({int(j): 0.0 for j in covering})
    return out


def vacancy_fields(row: dict) -> dict:
    """What a plan says about a provider's vacancies: ``vacancies_known`` (None when not
    confirmed within settings.VACANCY_STALE_DAYS) and ``vacancy_text``."""
    known = capacity.known_vacancies_one(row)
    return {"vacancies_known": known, "vacancy_text": capacity.vacancy_text(row),
            "capacity_unit": capacity.provider_unit(row)}

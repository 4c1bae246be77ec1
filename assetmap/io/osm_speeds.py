"""Driving speeds from OSM tags, as osmnx computes them (``osmnx.routing.add_edge_speeds``
with its defaults), reimplemented so that no osmnx is needed to build a graph.

Each drive segment, in each direction it may be driven (osmnx's directed edges: a two-way
street counts twice), has the speed of its way's ``maxspeed`` where that parses
(:func:`clean_maxspeed`: a number in km/h, or with "mph"; several lane values separated by
"|" averaged; named values from ``settings.DRIVE_IMPLICIT_MAXSPEEDS_KMH``). Missing speeds
are imputed per highway type: the type's speed in ``settings.DRIVE_HIGHWAY_SPEEDS_KMH`` if
given, else the mean of that type's known speeds, else ``settings.DRIVE_FALLBACK_SPEED_KMH``,
else the mean over types. A file with no known speed at all uses
``settings.DRIVE_NO_DATA_SPEED_KMH`` (where osmnx would stop).
"""
from __future__ import annotations

import re

import numpy as np

from .. import settings

MILES_TO_KM = 1.60934            # osmnx's factor
_PATTERN = re.compile(r"^([0-9][\.,0-9]*?)(?:[ ]?(?:km/h|kmh|kph|mph|knots))?$")


def clean_maxspeed(value) -> float | None:
    """A ``maxspeed`` tag value in km/h, or None (osmnx ``_clean_maxspeed``)."""
    if not isinstance(value, str):
        return None
    try:
        out = []
        for part in value.split("|"):
            m = _PATTERN.match(part)
            v = float(m.group(1).replace(",", "."))  # type: ignore[union-attr]
            if "mph" in value.lower():
                v *= MILES_TO_KM
            out.append(v)
        return float(np.mean(out))
    except (ValueError, AttributeError):
        return settings.DRIVE_IMPLICIT_MAXSPEEDS_KMH.get(value)


def type_speeds(highway: list, maxspeed: list, weight: np.ndarray) -> tuple[dict, np.ndarray]:
    """Speed (km/h) of each highway type for edges without a known one: ``weight`` is how
    many directed edges each way has (osmnx averages over edges, not ways). Also returns
    each way's own parsed speed (NaN where unknown)."""
    known = np.array([np.nan if (s := clean_maxspeed(m)) is None else s for m in maxspeed],
                     dtype=float)
    table = {k: float(v) for k, v in settings.DRIVE_HIGHWAY_SPEEDS_KMH.items()
             if v is not None and np.isfinite(v)}
    out: dict = {}
    types = np.array(highway, dtype=object)
    for hw in sorted(set(highway)):
        if hw in table:
            out[hw] = table[hw]
            continue
        sel = (types == hw) & np.isfinite(known) & (weight > 0)
        w = weight[sel]
        out[hw] = float(np.sum(known[sel] * w) / np.sum(w)) if w.sum() > 0 else np.nan
    fallback = settings.DRIVE_FALLBACK_SPEED_KMH
    for hw, v in out.items():
        if not np.isfinite(v) and fallback is not None:
            out[hw] = float(fallback)
    given = [v for v in out.values() if np.isfinite(v)]
    mean = float(np.mean(given)) if given else float(settings.DRIVE_NO_DATA_SPEED_KMH)
    return {hw: (v if np.isfinite(v) else mean) for hw, v in out.items()}, known


def way_speeds(highway: list, maxspeed: list, edges_per_way: np.ndarray) -> np.ndarray:
    """Speed (km/h) of each way: its own ``maxspeed`` or its type's imputed speed."""
    by_type, known = type_speeds(highway, maxspeed, np.asarray(edges_per_way, float))
    if not len(known):
        return known
    imputed = np.array([by_type[h] for h in highway], dtype=float)
    return np.where(np.isfinite(known), known, imputed)

"""The walking-access part of a run (:func:`assetmap.pipeline.steps.access_step` hands it the
origins and assets): minutes to the nearest asset of each category, to any social asset and
to essential services, counts within the thresholds, and the honesty flags.

Walks longer than ``access_max_minutes`` are not made up: they count at the cap and are
flagged ``beyond_cap`` ("more than N minutes"). Pairs the street network does not cover
(an end farther than ``max_snap_distance_m`` from it) are straight-line estimates
(:class:`..analysis.coverage.FallbackRouter`), and an area whose people mostly start off the
network is flagged ``off_network``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import model
from ..analysis import coverage, network, origins


def _tname(t: float) -> str:
    return str(int(t)) if float(t).is_integer() else str(t).replace(".", "_")


@dataclass
class Access:
    cats: list                  # asset categories present
    area_min: np.ndarray        # (len(cats) + 1 social, areas) minutes to the nearest
    counts: dict                # threshold -> (len(cats) + 1, areas) assets within
    frame: pd.DataFrame         # the result frame "access"
    o_area: np.ndarray          # origin points: area index, EPSG:27700 xy, weight
    origins_xy: np.ndarray
    o_w: np.ndarray
    table: tuple                # (origin rows, asset cols, minutes) within the widest cut-off
    a_xy: np.ndarray
    #: like ``area_min``: the area's value counts a walk not reached within the cap
    beyond: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))
    essential_cats: list = field(default_factory=list)   # essential categories present
    essential_min: np.ndarray = field(default_factory=lambda: np.zeros(0))
    essential_beyond: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    off_network: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    o_on: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # per origin
    a_on: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # per asset
    cap_min: float = float("nan")   # the search cap (``access_max_minutes``)


def _origin_counts(cats, a_cat, social, o_area, o_w, n_areas, table, thresholds) -> dict:
    r, c, t_min = table
    cat_index = {cname: i for i, cname in enumerate(cats)}
    a_ci = np.array([cat_index[x] for x in a_cat], dtype=np.int64) if len(a_cat) else \
        np.zeros(0, dtype=np.int64)
    a_social = np.isin(a_cat, social)
    counts = {}
    for t in thresholds:
        within = t_min <= t
        mat = np.zeros((len(cats) + 1, len(o_area)))
        np.add.at(mat, (a_ci[c[within]], r[within]), 1.0)
        sw = within & a_social[c]
        np.add.at(mat[-1], r[sw], 1.0)
        counts[t] = origins.aggregate(mat, o_area, o_w, n_areas, "mean")
    return counts


def limits(p: dict) -> tuple[float, float]:
    """(the nearest-asset search cap, the table's widest cut-off), in metres walked."""
    mpm = network.metres_per_minute(p["walk_speed_kmh"])
    thresholds = [float(t) for t in p["access_thresholds_min"]]
    return float(p["access_max_minutes"]) * mpm, \
        max(thresholds + [float(p["catchment_minutes"])]) * mpm


def groups_of(a_cat, p: dict) -> tuple[list, list, list]:
    """(categories present, social categories, per group the asset indices): one group per
    category present, then one of every social asset."""
    a_cat = np.asarray(a_cat, dtype=object)
    cats = [c for c in model.ASSET_CATEGORIES if (a_cat == c).any()]
    social = [c for c in p["social_categories"] if c in model.ASSET_CATEGORIES]
    groups = [np.flatnonzero(a_cat == c) for c in cats] + \
        [np.flatnonzero(np.isin(a_cat, social))]
    return cats, social, groups


def search(fb, o_xy, a_xy, groups: list, p: dict):
    """The routing part of walking access, over ``fb`` (a :class:`coverage.FallbackRouter`):
    (metres from each origin to the nearest asset of each group, inf beyond the cap;
    (origin rows, asset cols, metres) within the table's cut-off; origins on the network;
    assets on the network). A national run calls this per tile (:mod:`.national`)."""
    cap_m, reach_m = limits(p)
    a_xy = np.asarray(a_xy, dtype=float).reshape(-1, 2)
    metres = fb.nearest(o_xy, [a_xy[g] for g in groups], cap_m)
    o_on, a_on = fb.covers(o_xy), fb.covers(a_xy)
    return metres, fb.table(o_xy, a_xy, reach_m, o_on, a_on), o_on, a_on


def _per_area(minutes, beyond, o_area, o_w, n_areas: int, how: str):
    # published to 0.1 minute: finer digits say nothing to a reader but help an attacker
    area_min = np.round(origins.aggregate(minutes, o_area, o_w, n_areas, how), 1)
    return area_min, origins.aggregate_flags(beyond, o_area, o_w, n_areas, how)


def _frame(codes, names, area_min, beyond, off, counts, thresholds) -> pd.DataFrame:
    n_areas = len(codes)
    return pd.DataFrame({
        "area_code": np.repeat(np.asarray(codes, dtype=object), len(names)),
        "category": np.tile(np.asarray(names, dtype=object), n_areas),
        "minutes": area_min.T.reshape(-1),
        "beyond_cap": beyond.T.reshape(-1),
        "off_network": np.repeat(off, len(names)),
        **{f"within_{_tname(t)}": counts[t].T.reshape(-1) for t in thresholds},
    })


def measure(codes, a_cat, o_area, o_xy, o_w, a_xy, p: dict, router, graph,
            searched=None) -> Access:
    """Walking access from origins (area index, EPSG:27700 xy, weight) to assets (category,
    xy) with the run's parameters ``p``, over ``router`` where ``graph`` covers a walk.
    ``searched``: the result of :func:`search` computed elsewhere (a national run's
    merged tiles) instead of here."""
    n_areas = len(codes)
    a_cat = np.asarray(a_cat, dtype=object)
    cats, social, groups = groups_of(a_cat, p)
    if searched is None:
        fb = coverage.FallbackRouter(router, graph, max_snap_m=p["max_snap_distance_m"],
                                     detour=p["crow_fly_detour"])
        searched = search(fb, o_xy, a_xy, groups, p)
    metres, (r, c, m), o_on, a_on = searched
    mpm = network.metres_per_minute(p["walk_speed_kmh"])
    near_min, near_beyond = origins.capped_minutes(metres, mpm, float(p["access_max_minutes"]))
    ess = [c for c in p["essential_categories"] if c in cats]
    area_min, beyond = _per_area(near_min, near_beyond, o_area, o_w, n_areas,
                                 p["access_aggregate"])
    rows = [cats.index(c) for c in ess]
    e_min, e_beyond = origins.combine(near_min[rows], near_beyond[rows], p["essential_combine"])
    ess_min, ess_beyond = _per_area(e_min, e_beyond, o_area, o_w, n_areas,
                                    p["access_aggregate"])
    thresholds = [float(t) for t in p["access_thresholds_min"]]
    table = (r, c, m / mpm)
    counts = _origin_counts(cats, a_cat, social, o_area, o_w, n_areas, table, thresholds)
    off = coverage.area_off_network(o_area, o_w, o_on, n_areas)
    names, all_min, all_beyond, all_counts = cats + ["social"], area_min, beyond, counts
    if ess:                     # the essential-services row: counts of essential assets
        names = names + ["essential"]
        all_min = np.vstack([area_min, ess_min])
        all_beyond = np.vstack([beyond, ess_beyond])
        all_counts = {t: np.vstack([v, v[rows].sum(axis=0)]) for t, v in counts.items()}
    frame = _frame(codes, names, all_min, all_beyond, off, all_counts, thresholds)
    return Access(cats, area_min, counts, frame, o_area, o_xy, o_w, table, a_xy, beyond,
                  ess, ess_min, ess_beyond, off, o_on, a_on, float(p["access_max_minutes"]))


def summary_of(acc: Access, router_kind: str, isolation: dict | None = None) -> dict:
    """The run summary's access keys: ``network_coverage`` ({"covered": N, "areas": M}:
    areas whose walks are over the street network), ``assets_off_network``,
    ``access_max_minutes``, ``areas_beyond_cap`` (per category, areas whose value counts a
    walk not reached within the cap) and ``isolation`` (weights and parts used)."""
    names = list(acc.frame["category"].drop_duplicates())
    flags = acc.frame.groupby("category", sort=False)["beyond_cap"].sum()
    return {
        "network_coverage": {"covered": int((~acc.off_network).sum()) if router_kind ==
                             "network" else 0, "areas": int(len(acc.off_network))},
        "assets_off_network": int((~acc.a_on).sum()) if router_kind == "network" else 0,
        "access_max_minutes": acc.cap_min,
        "areas_beyond_cap": {c: int(flags.get(c, 0)) for c in names if flags.get(c, 0)},
        "isolation": dict(isolation or {}),
    }


def _label(category: str) -> str:
    """"pharmacy", "GP practice", "social assets", "essential services": as in a sentence."""
    text = {"social": "social assets", "essential": "essential services"}.get(
        category, model.ASSET_CATEGORIES.get(category, category))
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def notes(summary: dict) -> list[str]:
    """What a reader must be told about walking access and isolation in this run."""
    out = []
    cov = summary.get("network_coverage") or {}
    n, m = cov.get("covered", 0), cov.get("areas", 0)
    if summary.get("router") == "network" and n < m:
        out.append(f"The street network covers {n} of {m} areas: walking times in the other "
                   f"{m - n} are straight-line estimates, flagged on the maps, area profiles "
                   "and exports.")
    beyond = summary.get("areas_beyond_cap") or {}
    if beyond:
        cap = summary.get("access_max_minutes")
        counts = ", ".join(f"{_label(k)}: {v} area{'s' if v != 1 else ''}"
                           for k, v in beyond.items())
        out.append(f"Walks not reached within {cap:g} minutes are shown as \"more than "
                   f"{cap:g} minutes\" ({counts}).")
    iso = summary.get("isolation") or {}
    missing = [_label(c) for c in iso.get("essential_missing", [])]
    if missing and iso.get("essential_categories"):
        out.append("Isolation: the data have no " + " or ".join(missing) + "; access to "
                   "essential services uses the others.")
    elif missing:
        out.append("Isolation: the data have no GP practice, pharmacy or food shop, so the "
                   "score leaves out access to essential services.")
    return out

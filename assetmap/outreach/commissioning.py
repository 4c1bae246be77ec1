"""Commissioning gaps and the words for them.

For each service type x client group (and each community venue category), the people aged
65+ in the patch with none within a walk, as sentences such as "No day activities for people
with learning disabilities within 20 minutes' walk of 1,200 people aged 65+"; and, per area,
what is missing within the plan's walk (:func:`missing_text`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import model, settings
from .context import Context
from .params import PlanParams, _mpm, _num

#: How each client group and service type reads inside a sentence.
GROUP_PHRASES = {
    "older_people": "older people",
    "learning_disability": "people with learning disabilities",
    "autism": "autistic people",
    "physical_disability": "people with physical disabilities",
    "mental_health": "people with mental health needs",
    "dementia": "people living with dementia",
    "carers": "carers",
}
SERVICE_PHRASES = {
    "home_support": "support in the home",
    "domiciliary_care": "domiciliary care",
    "day_activities": "day activities",
    "accommodation": "accommodation",
    "befriending": "befriending",
    "transport": "community transport",
    "other": "other services",
}
CATEGORY_PHRASES = {
    "community_centre": "community centre", "library": "library", "faith_venue": "faith venue",
    "cafe_pub": "cafe or pub", "park": "park or green space",
    "sport_leisure": "sport or leisure venue", "neighbourhood_hub": "neighbourhood network hub",
}


def people(n: float) -> str:
    """1234 -> '1,230' (to the nearest 10 from 100 up)."""
    n = float(n)
    if n >= 100:
        n = round(n, -1)
    return f"{int(round(n)):,}"


def missing_text(services: list[str], venues: list[str], client_group: str) -> str:
    """'day activities and befriending for older people; a library, a park or green space'"""
    parts = []
    if services:
        names = [SERVICE_PHRASES[s] for s in services]
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        parts.append(f"{joined} for {GROUP_PHRASES[client_group]}")
    if venues:
        parts.append(", ".join(f"a {CATEGORY_PHRASES.get(v, v)}" for v in venues))
    return "; ".join(parts)


def _missing(arows, near: dict, params: PlanParams) -> tuple[list[str], list[str]]:
    """What people in an area cannot reach within the walk: the service types (for the
    client group) and the community venue categories with none within reach."""
    types = [params.service_type] if params.service_type else \
        list(settings.OUTREACH_SERVICE_TYPES)
    services = []
    for st in types:
        ok = any(arows[j].get("is_provider") and st in model.split_list(arows[j].get(
            "service_types")) and params.client_group in model.split_list(
            arows[j].get("client_groups")) for j in near)
        if not ok:
            services.append(st)
    venues = [cat for cat in settings.SOCIAL_CATEGORIES
              if not any(arows[j].get("category") == cat for j in near)]
    return services, venues


def _origins(ctx: Context, idx: np.ndarray):
    """Origin points (EPSG:27700) for the patch's areas with their 65+ population shares."""
    from ..analysis.origins import area_origins
    a = ctx.areas.iloc[idx]
    pwc = np.column_stack([a["x"].to_numpy(), a["y"].to_numpy()])
    ai, xy, w = area_origins(a.geometry.to_numpy(), pwc, ctx.graph)
    pop = a["pop_65_plus"].to_numpy()[ai] * w
    return ai, xy, pop


def commissioning_gaps(ctx: Context, params: PlanParams, idx: np.ndarray, arows=None,
                       minutes: float | None = None) -> list[dict]:
    """The patch's gaps as commissioning opportunities: for each service type x client group
    (and each community venue category), the people aged 65+ with none within ``minutes``'
    walk, largest first."""
    minutes = settings.OUTREACH_COMMISSION_MINUTES if minutes is None else minutes
    arows = ctx.assets.to_dict("records") if arows is None else arows
    ai, oxy, pop = _origins(ctx, idx)
    total = float(pop.sum())
    if total <= 0:
        return []
    codes = ctx.areas["code"].iloc[idx].to_numpy()
    groups, meta, home = _gap_groups(arows, params)
    d = _group_distances(ctx, oxy, groups, home, minutes * _mpm(params))
    out = []
    for k, (kind, what, cg) in enumerate(meta):
        unreached = ~np.isfinite(d[k])
        n = float(pop[unreached].sum())
        if n < settings.OUTREACH_MIN_UNREACHED:
            continue
        flagged = _gap_areas(ctx.gaps, codes, what, cg) if kind == "service" else 0
        sentence = _gap_sentence(kind, what, cg, n, total, minutes, k in home, flagged)
        out.append({"sentence": sentence, "kind": kind, "service_type": what
                    if kind == "service" else None, "category": what if kind == "venue" else None,
                    "client_group": cg, "people_65_plus": int(round(n)),
                    "areas": int(len(set(ai[unreached]))),
                    "share": round(n / total, 3), "analysis_gap_areas": int(flagged),
                    "chosen": kind == "service" and cg == params.client_group and (
                        not params.service_type or params.service_type == what)})
    out.sort(key=lambda r: (not r["chosen"], -r["people_65_plus"], r["sentence"]))
    return out


def _gap_groups(arows: list, params: PlanParams) -> tuple[list, list, dict]:
    """(points, (kind, what, client group), home): the asset groups a gap is measured
    against, by position: providers per service type x client group, then community venues
    per category. Services delivered in the home (``OUTREACH_HOME_SERVICES``) are not walked
    to: their group has no points, and ``home`` holds their providers' points and radii (m)."""
    groups: list[np.ndarray] = []
    meta: list[tuple[str, str, str | None]] = []
    home: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    types = list(settings.OUTREACH_SERVICE_TYPES)
    if params.service_type and params.service_type not in types:
        types.append(params.service_type)
    for st in types:
        for cg in model.CLIENT_GROUPS:
            sel = [j for j, r in enumerate(arows) if r.get("is_provider")
                   and st in model.split_list(r.get("service_types"))
                   and cg in model.split_list(r.get("client_groups"))]
            xy = _points(arows, sel)
            if st in settings.OUTREACH_HOME_SERVICES:
                radius = np.array([(_num(arows[j].get("radius_km")) or
                                    settings.OUTREACH_DEFAULT_RADIUS_KM) * 1000.0 for j in sel])
                home[len(meta)] = (xy, radius)
                xy = np.zeros((0, 2))       # not a walking group
            groups.append(xy)
            meta.append(("service", st, cg))
    for cat in settings.SOCIAL_CATEGORIES:
        groups.append(_points(arows, [j for j, r in enumerate(arows) if r.get("category") == cat]))
        meta.append(("venue", cat, None))
    return groups, meta, home


def _points(arows: list, sel: list) -> np.ndarray:
    """The (n, 2) EPSG:27700 points of ``arows[sel]``."""
    return np.array([[arows[j]["geometry"].x, arows[j]["geometry"].y] for j in sel]).reshape(-1, 2)


def _group_distances(ctx: Context, oxy: np.ndarray, groups: list, home: dict,
                     limit: float) -> np.ndarray:
    """Group x origin: metres walked to the group's nearest asset (inf beyond ``limit``);
    for an in-home group, 0 where one of its providers covers the origin, inf otherwise."""
    nonempty = [k for k, g in enumerate(groups) if len(g)]
    d = np.full((len(groups), len(oxy)), np.inf)
    if nonempty:
        d[nonempty] = ctx.router.nearest(oxy, [groups[k] for k in nonempty], limit)
    for k, (xy, radius) in home.items():
        if len(xy):
            dist = np.sqrt(((oxy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
            d[k] = np.where((dist <= radius[None, :]).any(axis=1), 0.0, np.inf)
    return d


def _gap_sentence(kind: str, what: str, cg: str | None, n: float, total: float,
                  minutes: float, in_home: bool, flagged: int) -> str:
    """'No day activities for people with learning disabilities within 20 minutes' walk of
    1,200 people aged 65+ (35% of the patch's people aged 65+).'"""
    if kind == "service" and cg is not None:
        head = f"No {SERVICE_PHRASES[what]} for {GROUP_PHRASES[cg]}"
    else:
        head = f"No {CATEGORY_PHRASES.get(what, what)}"
    if in_home:
        sentence = f"{head} covering the homes of {people(n)} people aged 65+"
    else:
        sentence = f"{head} within {minutes:g} minutes' walk of {people(n)} people aged 65+"
    if n >= total - 0.5:
        sentence += " (everyone aged 65+ in the patch)"
    else:
        sentence += f" ({100 * n / total:.0f}% of the patch's people aged 65+)"
    if flagged:
        sentence += (f"; the analysis finds high need and low supply of "
                     f"{SERVICE_PHRASES[what]} in {flagged} of its areas")
    return sentence + "."


def _gap_areas(g: pd.DataFrame, codes, service_type: str, client_group: str) -> int:
    """How many of ``codes`` the analysis classes as gaps (high need, low supply) for this
    service type (pipeline frame: the service type's own gaps)."""
    if g is None or not len(g):
        return 0
    flag = "gap" if "gap" in g else ("is_gap" if "is_gap" in g else None)
    if flag is None:
        return 0
    if {"group_kind", "group"} <= set(g.columns):
        sub = g[(g["group_kind"] == "service_type") & (g["group"] == service_type)]
    elif {"service_type", "client_group"} <= set(g.columns):
        sub = g[(g["service_type"] == service_type) & (g["client_group"] == client_group)]
    else:
        return 0
    sub = sub[sub["area_code"].isin(set(codes))]
    return int(sub.loc[sub[flag].fillna(False).astype(bool), "area_code"].nunique())


"""Commissioning gaps and the words for them.

For the coordinator's client group and each service type (only the chosen one when they
chose one: nothing outside their choice), the people of that client group in the patch
(:func:`assetmap.analysis.demand.client_group_demand`) whom no provider reaches: none that
comes to people serves their area (:mod:`.visits`, the gap map's reach rule) and none people
travel to is within the walk; as sentences such as "No day activities for people with
learning disabilities within 20 minutes' walk of about 410 adults with a learning
disability ..., in Ashbrook 014F, Ashbrook 022A and Eastgate 031C", one item per service
type and client group naming every area it concerns (:func:`merge_items` merges any that
repeat). The community venue categories with none within the walk of the patch's people
aged 65+ are kept apart (:func:`venue_gaps`): they are places to meet, not services to
commission. Referrals turned away for lack of capacity are worded into the same items by
:mod:`.observed`. And, per area, what is missing within the plan's walk
(:func:`missing_text`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import model, settings
from ..analysis import demand, reach
from .context import Context
from .params import PlanParams, _mpm
from .visits import cover, walked_to

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


def _people(ctx: Context, idx: np.ndarray, ai: np.ndarray, w65: np.ndarray, cg: str | None):
    """(people per origin, label): the client group's people (analysis.demand) shared over
    each area's origins as its 65+ are; people aged 65+ for venues (``cg`` None)."""
    if cg is None:
        return w65, "people aged 65+"
    d = demand.client_group_demand(ctx.areas, ctx.values, cg)
    people = np.nan_to_num(np.asarray(d.people, dtype=float))[idx]
    pop65 = ctx.areas["pop_65_plus"].to_numpy(dtype=float)[idx]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(pop65[ai] > 0, w65 / pop65[ai], 0.0)
    n_o = np.bincount(ai, minlength=len(idx))
    share = np.where(pop65[ai] > 0, share, 1.0 / np.maximum(n_o[ai], 1))
    return people[ai] * share, d.label


#: Areas named in a commissioning sentence (the rest as "and N more areas"; every code is
#: in the item's ``area_codes`` and the CSV).
AREAS_NAMED = 6


def commissioning_gaps(ctx: Context, params: PlanParams, idx: np.ndarray, arows=None,
                       minutes: float | None = None) -> list[dict]:
    """The patch's gaps for the chosen client group (and service type, if chosen) as
    commissioning opportunities: per service type the people in that group no provider
    reaches (comes to their area, or within ``minutes``' walk), naming the areas they live
    in; largest first, one item per service type and client group."""
    return [g for g in all_gaps(ctx, params, idx, arows, minutes) if g["kind"] == "service"]


def venue_gaps(gaps: list[dict]) -> list[dict]:
    """The community venue items of :func:`all_gaps` (places to meet out of reach)."""
    return [g for g in gaps if g["kind"] == "venue"]


def all_gaps(ctx: Context, params: PlanParams, idx: np.ndarray, arows=None,
             minutes: float | None = None) -> list[dict]:
    """The chosen service gaps (see :func:`commissioning_gaps`), then the community venue
    categories with none within ``minutes``' walk of the patch's people aged 65+; merged
    (:func:`merge_items`), each group largest first."""
    minutes = settings.OUTREACH_COMMISSION_MINUTES if minutes is None else minutes
    arows = ctx.assets.to_dict("records") if arows is None else arows
    ai, oxy, pop65 = _origins(ctx, idx)
    if float(pop65.sum()) <= 0:
        return []
    codes = ctx.areas["code"].iloc[idx].to_numpy()
    names = ctx.areas["name"].iloc[idx].to_numpy()
    groups, meta, visiting = _gap_groups(ctx, arows, params)
    d = _group_distances(ctx, oxy, ai, idx, groups, visiting, minutes * _mpm(params))
    out, people = [], {}
    for k, (kind, what, cg) in enumerate(meta):
        if cg not in people:
            people[cg] = _people(ctx, idx, ai, pop65, cg if kind == "service" else None)
        pop, label = people[cg]
        unreached = ~np.isfinite(d[k])
        n, total = float(pop[unreached].sum()), float(pop.sum())
        if n < settings.OUTREACH_MIN_UNREACHED or total <= 0:
            continue
        where = _unreached_areas(ai[unreached], pop[unreached])
        flagged = _gap_areas(ctx.gaps, codes, what, cg) if kind == "service" else 0
        how = _how(len(groups[k]), len(visiting.get(k, ())), what)
        out.append({"kind": kind, "service_type": what if kind == "service" else None,
                    "category": what if kind == "venue" else None,
                    "client_group": cg, "people": int(round(n)), "people_label": label,
                    "reach": how, "areas": len(where),
                    "area_codes": [str(codes[i]) for i in where],
                    "area_names": [str(names[i]) for i in where],
                    "patch_people": int(round(total)), "share": round(n / total, 3),
                    "analysis_gap_areas": int(flagged), "chosen": kind == "service"})
    out = merge_items(out)
    for g in out:
        g["sentence"] = _gap_sentence(
            g["kind"], g["service_type"] or g["category"], g["client_group"], g["people"],
            g["patch_people"], minutes, g["reach"], g["analysis_gap_areas"], g["people_label"],
            g["area_names"])
    out.sort(key=lambda r: (not r["chosen"], -r["people"], r["sentence"]))
    return out


def _unreached_areas(ai: np.ndarray, pop: np.ndarray) -> list[int]:
    """Positions (in the patch) of the areas with people unreached, most unreached first."""
    per = np.bincount(ai, weights=pop) if len(ai) else np.zeros(0)
    found = [int(i) for i in np.flatnonzero(per > 0)]
    return sorted(found, key=lambda i: (-per[i], i))


def item_key(item: dict) -> tuple:
    """What makes two commissioning items the same: kind, service type or venue category,
    client group."""
    return (item.get("kind"), item.get("service_type") or item.get("category"),
            item.get("client_group"))


def merge_items(items: list[dict]) -> list[dict]:
    """One item per :func:`item_key`, in first-seen order: a repeat adds the areas it names
    (its people are the same people counted again, so the larger count is kept)."""
    out: dict[tuple, dict] = {}
    for it in items:
        key = item_key(it)
        have = out.get(key)
        keep, other = (dict(it), have) if have is None or it.get("people", 0) > have.get(
            "people", 0) else (have, it)
        keep["area_codes"] = list(keep.get("area_codes") or [])
        keep["area_names"] = list(keep.get("area_names") or [])
        for code, name in zip((other or {}).get("area_codes") or [],
                              (other or {}).get("area_names") or []):
            if code not in keep["area_codes"]:
                keep["area_codes"].append(code)
                keep["area_names"].append(name)
        keep["areas"] = len(keep["area_codes"])
        out[key] = keep
    return list(out.values())


def area_list(names: list[str], limit: int = AREAS_NAMED) -> str:
    """'A', 'A and B', 'A, B and C', 'A, B, ... F and 3 more areas'."""
    names = [str(n) for n in names]
    if len(names) > limit:
        rest = len(names) - limit
        return ", ".join(names[:limit]) + f" and {rest} more area{'s' if rest > 1 else ''}"
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _how(n_venue: int, n_visiting: int, service_type: str) -> str:
    """How a group's providers reach people: "walk", "visits" or "both" (a group nobody
    offers: by its service type)."""
    if n_venue and n_visiting:
        return "both"
    if n_visiting or (not n_venue and service_type in model.VISITING_SERVICE_TYPES):
        return "visits"
    return "walk"


def _gap_groups(ctx: Context, arows: list, params: PlanParams) -> tuple[list, list, dict]:
    """(points, (kind, what, client group), visiting): the asset groups a gap is measured
    against, by position: providers per service type (the chosen one, or every outreach
    service type) for the chosen client group, then community venues
    per category. ``points`` are where people walk to (venues and providers at a venue);
    ``visiting[k]`` the rows of group k's providers that come to people."""
    groups: list[np.ndarray] = []
    meta: list[tuple[str, str, str | None]] = []
    visiting: dict[int, list[int]] = {}
    venue = walked_to(ctx) if len(arows) else np.zeros(0, dtype=bool)
    types = [params.service_type] if params.service_type else \
        list(settings.OUTREACH_SERVICE_TYPES)
    for st in types:
        for cg in [params.client_group]:
            sel = [j for j, r in enumerate(arows) if r.get("is_provider")
                   and st in model.split_list(r.get("service_types"))
                   and cg in model.split_list(r.get("client_groups"))]
            visiting[len(meta)] = [j for j in sel
                                   if reach.reach_mode(arows[j]) in ("visits", "both")]
            groups.append(_points(arows, [j for j in sel if venue[j]]))
            meta.append(("service", st, cg))
    for cat in settings.SOCIAL_CATEGORIES:
        groups.append(_points(arows, [j for j, r in enumerate(arows) if r.get("category") == cat]))
        meta.append(("venue", cat, None))
    return groups, meta, visiting


def _points(arows: list, sel: list) -> np.ndarray:
    """The (n, 2) EPSG:27700 points of ``arows[sel]``."""
    return np.array([[arows[j]["geometry"].x, arows[j]["geometry"].y] for j in sel]).reshape(-1, 2)


def _group_distances(ctx: Context, oxy: np.ndarray, ai: np.ndarray, idx: np.ndarray,
                     groups: list, visiting: dict, limit: float) -> np.ndarray:
    """Group x origin: metres walked to the group's nearest venue (inf beyond ``limit``),
    or 0 where one of its providers that come to people serves the origin's area."""
    nonempty = [k for k, g in enumerate(groups) if len(g)]
    d = np.full((len(groups), len(oxy)), np.inf)
    if nonempty:
        d[nonempty] = ctx.router.nearest(oxy, [groups[k] for k in nonempty], limit)
    if any(visiting.values()):
        covered = cover(ctx, idx)               # assets x patch areas
        for k, rows in visiting.items():
            if rows:
                here = covered[rows].any(axis=0)[ai]
                d[k] = np.where(here, 0.0, d[k])
    return d


def _gap_sentence(kind: str, what: str, cg: str | None, n: float, total: float,
                  minutes: float, how: str, flagged: int, label: str = "people aged 65+",
                  areas: list[str] | None = None) -> str:
    """'No day activities for people with learning disabilities within 20 minutes' walk of
    about 410 adults with a learning disability (35% of the patch's ...), in Ashbrook 014F
    and Eastgate 022A.'"""
    if kind == "service" and cg is not None:
        head = f"No {SERVICE_PHRASES[what]} for {GROUP_PHRASES[cg]}"
    else:
        head = f"No {CATEGORY_PHRASES.get(what, what)}"
    who = f"about {people(n)} {label}"
    if how == "visits":
        sentence = f"{head} covering the homes of {who}"
    elif how == "both":
        sentence = f"{head} coming to the homes of, or within {minutes:g} minutes' walk of, {who}"
    else:
        sentence = f"{head} within {minutes:g} minutes' walk of {who}"
    if n >= total - 0.5:
        sentence += f" (all the patch's {label})"
    else:
        sentence += f" ({100 * n / total:.0f}% of the patch's {label})"
    if areas:
        sentence += ", in " + area_list(areas)
    if flagged:
        sentence += (f"; the analysis finds high need and low supply of "
                     f"{SERVICE_PHRASES[what]} in {flagged} of its areas")
    return sentence + "."


def _gap_areas(g: pd.DataFrame, codes, service_type: str, client_group: str) -> int:
    """How many of ``codes`` the analysis classes as gaps (high need, low supply) for this
    service type and client group (pipeline frame: the pair's own gaps, any unit)."""
    if g is None or not len(g):
        return 0
    flag = "gap" if "gap" in g else ("is_gap" if "is_gap" in g else None)
    if flag is None:
        return 0
    if {"service_type", "client_group", "group_kind"} <= set(g.columns) and \
            (g["group_kind"] == "service_client").any():
        sub = g[(g["group_kind"] == "service_client") & (g["service_type"] == service_type)
                & (g["client_group"] == client_group)]
    elif {"group_kind", "group"} <= set(g.columns):
        sub = g[(g["group_kind"] == "service_type") & (g["group"] == service_type)]
    elif {"service_type", "client_group"} <= set(g.columns):
        sub = g[(g["service_type"] == service_type) & (g["client_group"] == client_group)]
    else:
        return 0
    sub = sub[sub["area_code"].isin(set(codes))]
    return int(sub.loc[sub[flag].fillna(False).astype(bool), "area_code"].nunique())

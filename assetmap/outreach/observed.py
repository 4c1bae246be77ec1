"""Observed unmet demand in a plan's commissioning items: referrals turned away for lack of
capacity (:mod:`assetmap.referrals.evidence`) for the plan's client group and service type
in its patch, worded into the item for the same service type and client group ("12 referrals
for home support for people living with dementia in Ashbrook 014F declined for lack of
capacity in the last quarter"), or an item of their own where the model finds no gap (the
providers reach people but cannot take them on).

Counts of 1 to 4 read "fewer than 5" unless ``exact`` (signed-in planners); a plan stores
only the words it shows, never a suppressed count. :func:`with_observed` is idempotent: it
replaces whatever evidence the plan carried, so a cached plan can be brought up to date on
every request (referrals change without the data version changing).
"""
from __future__ import annotations

import pandas as pd

from .. import settings
from ..referrals import evidence
from .commissioning import GROUP_PHRASES, SERVICE_PHRASES, area_list, item_key


def turned_away(store, plan: dict, period: str | None = None) -> pd.DataFrame:
    """Evidence (:func:`evidence.summarise`) per service type, client group and area for the
    plan's client group, service type (if chosen) and patch areas, in ``period``."""
    params = plan["params"]
    counts = store.referral_counts(
        since=evidence.period_start(evidence.period_name(period)),
        service_type=params.get("service_type") or None,
        client_group=params.get("client_group") or None,
        area_codes=list(plan["patch"]["area_codes"]))
    return evidence.summarise(counts, by=["service_type", "client_group", "area_code"])


def with_observed(store, plan: dict, *, period: str | None = None,
                  exact: bool = False) -> dict:
    """A copy of ``plan`` whose commissioning items (``gaps``) carry the observed evidence
    (``observed``: the sentence, the areas, the count as shown) for the same service type and
    client group; evidence with no modelled item becomes an item of its own."""
    period = evidence.period_name(period or settings.REFERRAL_DEFAULT_PERIOD)
    out = dict(plan)
    gaps = [{k: v for k, v in g.items() if k != "observed"}
            for g in plan.get("gaps") or [] if g.get("modelled", True)]
    s = turned_away(store, plan, period)
    names = {a["code"]: a["name"] for a in plan.get("areas") or []}
    names.update(plan["patch"].get("area_names") or {})
    by_key = {item_key(g): g for g in gaps}
    extra = []
    for obs in _observed_items(s, names, period, exact):
        hit = by_key.get(item_key(obs))
        if hit is not None:
            hit["observed"] = obs["observed"]
        else:
            extra.append(obs)
    out["gaps"] = gaps + extra
    out["observed_period"] = evidence.PERIOD_PHRASES[period]
    return out


def _observed_items(s: pd.DataFrame, names: dict, period: str, exact: bool) -> list[dict]:
    """One item per service type and client group with anyone turned away, most first."""
    if s is None or not len(s):
        return []
    s = s[s["turned_away"] > 0]
    items: list[tuple[int, dict]] = []
    for (st, cg), rows in s.groupby(["service_type", "client_group"], dropna=False, sort=False):
        rows = rows.sort_values(["turned_away", "area_code"], ascending=[False, True])
        codes = [str(c) for c in rows["area_code"] if c]
        n = int(rows["turned_away"].sum())
        where = area_list([names.get(c, c) for c in codes]) or "the patch"
        text = evidence.turned_away_sentence(n, st, where, client_group=cg or None,
                                             period=period, exact=exact)
        observed = {"sentence": text, "area_codes": codes,
                    "turned_away": evidence.count_text(n, exact), "period": period}
        items.append((n, _item(st, cg, codes, names, observed)))
    items.sort(key=lambda r: -r[0])
    return [item for _, item in items]


def _item(st, cg, codes: list[str], names: dict, observed: dict) -> dict:
    """A commissioning item made only of observed evidence."""
    service = SERVICE_PHRASES.get(st, str(st))
    group = GROUP_PHRASES.get(cg, str(cg or "people"))
    return {"kind": "service", "service_type": st, "client_group": cg, "modelled": False,
            "sentence": f"{service[0].upper() + service[1:]} for {group}: providers reach "
                        f"people here, but turn referrals away for lack of capacity.",
            "people": 0, "people_label": "", "reach": "", "areas": len(codes),
            "area_codes": codes, "area_names": [names.get(c, c) for c in codes],
            "chosen": True, "observed": observed}

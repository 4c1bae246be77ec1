"""Supply against demand and the gaps, per provider group and capacity unit.

How supply reaches an area follows the provider's reach (:mod:`assetmap.analysis.reach`):

* **at a venue**: the E2SFCA over walking time (``catchment_minutes``, the decay), from
  each area's origin points, as before;
* **comes to you**: a two-step floating catchment whose catchment is the area served: every
  origin of an area the provider covers has weight 1, others 0. Step 1 spreads the
  provider's capacity over the need-weighted demand of the areas it covers, step 2 sums
  the ratios of the providers covering an area;
* **both**: the union, i.e. weight 1 in the areas served and the travel-time decay
  elsewhere (``max`` of the two weights).

Demand is per client group (:func:`assetmap.analysis.demand.client_group_demand`: "" for
the all-provider and service-type groups) times the need factor
(``demand_need_weight_range``). Capacity is in its unit (:mod:`assetmap.analysis.capacity`):
every group has a row per unit its providers count in (hours a week, places), never summed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .. import model, settings
from ..analysis import capacity, catchment, demand, gaps, origins, reach

UNITS = tuple(model.CAPACITY_UNITS)


@dataclass
class Supply:
    group_keys: list            # (group_kind, group, service_type, client_group, unit)
    by_group: np.ndarray        # (groups, areas) supply per need-weighted person, in its unit
    providers: int
    frame: pd.DataFrame         # the result frame "e2sfca"
    demand: dict = field(default_factory=dict)      # client group -> analysis.demand.Demand
    need_weighted: dict = field(default_factory=dict)   # client group -> need-weighted demand


def provider_groups(prov: pd.DataFrame, units: np.ndarray | None = None
                    ) -> tuple[list[tuple], list[np.ndarray]]:
    """The provider groups E2SFCA and the gaps are computed for, and each group's members.

    Returns ``(keys, masks)``: a key is ``(group_kind, group, service_type, client_group,
    unit)`` ('' where the group does not restrict that field; ``unit`` "hours" or "places",
    :func:`assetmap.analysis.capacity.provider_unit`) and its mask marks the providers in
    it. The groups are: all providers; one per service type and one per client group that
    any provider lists; and one per service type x client group combination that occurs
    among providers (``("service_client", "day_activities+learning_disability",
    "day_activities", "learning_disability", "hours")``); each once per unit its members
    count in (hours first). A provider listing several service types and several client
    groups is taken to offer each of its service types to each of its client groups (the
    record does not say which goes with which).
    """
    n = len(prov)
    units = capacity.provider_units(prov) if units is None else np.asarray(units, dtype=object)
    base = [(("all", "all", "", ""), np.ones(n, dtype=bool))]
    by_st: dict[str, np.ndarray] = {}
    by_cg: dict[str, np.ndarray] = {}
    for col, vocab, out in (("service_types", model.SERVICE_TYPES, by_st),
                            ("client_groups", model.CLIENT_GROUPS, by_cg)):
        lists = [set(model.split_list(v)) for v in prov[col]] if n else []
        for g in vocab:
            mask = np.array([g in s for s in lists], dtype=bool)
            if mask.any():
                out[g] = mask
    base += [(("service_type", g, g, ""), m) for g, m in by_st.items()]
    base += [(("client_group", g, "", g), m) for g, m in by_cg.items()]
    base += [(("service_client", f"{st}+{cg}", st, cg), ms & mc)
             for st, ms in by_st.items() for cg, mc in by_cg.items() if (ms & mc).any()]
    keys, masks = [], []
    for key, mask in base:
        for unit in UNITS:
            m = mask & (units == unit)
            if m.any() or (key[0] == "all" and unit == "hours" and not n):
                keys.append((*key, unit))
                masks.append(m)
    if not keys:                                    # no provider at all: one empty group
        keys, masks = [("all", "all", "", "", "hours")], [np.zeros(n, dtype=bool)]
    return keys, masks


def need_factor(score: np.ndarray, weight_range) -> np.ndarray:
    """The need factor per area: linear in the need percentile over ``weight_range`` (the
    middle of it where an area has no need value)."""
    lo_w, hi_w = (float(x) for x in weight_range)
    pct = gaps.percentile(score)
    return np.where(np.isnan(pct), (lo_w + hi_w) / 2, lo_w + (hi_w - lo_w) * np.nan_to_num(pct))


def reach_weights(inp, p: dict, acc, prov: pd.DataFrame, prov_idx: np.ndarray
                  ) -> sp.csr_matrix:
    """Origins x providers weights: the travel-time decay for providers people travel to,
    1 in the areas served of providers that come to people (both: the larger)."""
    n_o, n_p = len(acc.o_area), len(prov)
    pos_in_prov = np.full(len(inp.assets), -1)
    pos_in_prov[prov_idx] = np.arange(len(prov_idx))
    r, c, t_min = acc.table
    venue = reach.at_venue(prov) if n_p else np.zeros(0, dtype=bool)
    pos = pos_in_prov[c]
    sel = pos >= 0
    sel[sel] = venue[pos[sel]]
    W = catchment.weight_matrix(r[sel], pos[sel], t_min[sel], (n_o, n_p), p["catchment_minutes"],
                                p["decay"], p["gaussian_beta_min"], p["stepped_weights"])
    if not n_p:
        return W
    cover = reach.coverage(prov, inp.areas, default_km=p.get("reach_default_radius_km"))
    ai, pj = np.nonzero(cover.T)                      # sparse from the start: areas x providers
    C = sp.csr_matrix((np.ones(len(ai)), (ai, pj)), shape=(len(inp.areas), n_p))
    return sp.csr_matrix(W.maximum(C[acc.o_area]))


def supply_step(inp, p: dict, score: np.ndarray, acc) -> Supply:
    """E2SFCA supply per provider group and unit (see the module notes)."""
    assets = inp.assets
    is_prov = assets["is_provider"].to_numpy(dtype=bool) if "is_provider" in assets else \
        np.zeros(len(assets), dtype=bool)
    prov_idx = np.flatnonzero(is_prov)
    prov = assets.iloc[prov_idx]
    units = capacity.provider_units(prov)
    cap = capacity.capacities(prov, units, p["supply"])
    keys, member = provider_groups(prov, units)
    S = np.column_stack([cap * mk for mk in member]) if len(prov) else np.zeros((0, len(keys)))
    W = reach_weights(inp, p, acc, prov, prov_idx)
    factor = need_factor(score, p["demand_need_weight_range"])
    n_areas = len(inp.codes)
    by_group = np.zeros((len(keys), n_areas))
    dem, weighted = {}, {}
    for cg in dict.fromkeys(k[3] for k in keys):
        dem[cg] = demand.client_group_demand(inp.areas, inp.wide, cg)
        weighted[cg] = np.nan_to_num(np.asarray(dem[cg].people, dtype=float)) * factor
        cols = [gi for gi, k in enumerate(keys) if k[3] == cg]
        acc_o, _ = catchment.e2sfca(W, weighted[cg][acc.o_area] * acc.o_w, S[:, cols])
        by_group[cols] = np.atleast_2d(origins.aggregate(acc_o.T, acc.o_area, acc.o_w,
                                                         n_areas, "mean"))
    frame = _e2sfca_frame(inp.codes, keys, by_group, S, dem, weighted)
    return Supply(keys, by_group, len(prov), frame, dem, weighted)


def _group_columns(codes, keys, by_group, dem) -> dict:
    """The columns the e2sfca and gaps frames share, a row per group x area (groups in
    order, areas in order within each)."""
    n, cgs = len(codes), [k[3] for k in keys]

    def each(values) -> np.ndarray:        # one value a group, repeated over its areas
        return np.repeat(np.asarray(values, dtype=object), n)

    supply = np.asarray(by_group, dtype=float).reshape(-1)
    return {"area_code": np.tile(np.asarray(codes, dtype=object), len(keys)),
            "group_kind": each([k[0] for k in keys]), "group": each([k[1] for k in keys]),
            "service_type": each([k[2] for k in keys]), "client_group": each(cgs),
            "unit": each([k[4] for k in keys]),
            "population": _stack(dem[cg].people for cg in cgs),
            "population_label": each([dem[cg].label for cg in cgs]),
            "supply": supply, "supply_per_100": supply * float(settings.SUPPLY_PER)}


def _stack(arrays) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=float).reshape(-1) for a in arrays] or
                          [np.zeros(0)])


def _e2sfca_frame(codes, keys, by_group, S, dem, weighted) -> pd.DataFrame:
    cols = _group_columns(codes, keys, by_group, dem)
    totals = [float(S[:, gi].sum()) if len(S) else 0.0 for gi in range(len(keys))]
    cols["demand"] = _stack(weighted[k[3]] for k in keys)
    cols["supply_total"] = np.repeat(np.asarray(totals, dtype=float), len(codes))
    order = ["area_code", "group_kind", "group", "service_type", "client_group", "unit",
             "demand", "population", "population_label", "supply_total", "supply",
             "supply_per_100"]
    return pd.DataFrame({c: cols[c] for c in order})


def shortfall(supply: np.ndarray, weighted_demand: np.ndarray) -> np.ndarray:
    """How far below the borough median supply each area is, in units (hours a week or
    places) for its people in need: ``max(median - supply, 0) x need-weighted demand``."""
    v = np.nan_to_num(np.asarray(supply, dtype=float))
    med = float(np.median(v)) if len(v) else 0.0
    return np.maximum(med - v, 0.0) * np.nan_to_num(np.asarray(weighted_demand, dtype=float))


def gaps_step(inp, p: dict, score: np.ndarray, sup: Supply, acc):
    """(the result frame "gaps", the all-provider classes, categories missing in reach)."""
    keys = sup.group_keys
    n = len(inp.codes)
    cl = gaps.classify_many(score, sup.by_group, p["gap_classes"])
    cols = _group_columns(inp.codes, keys, sup.by_group, sup.demand)
    cols["need"] = np.tile(np.asarray(score, dtype=float), len(keys))
    cols["shortfall"] = _stack(shortfall(s, sup.need_weighted[k[3]])
                               for s, k in zip(sup.by_group, keys))
    order = ["area_code", "group_kind", "group", "service_type", "client_group", "unit",
             "need", "population", "population_label", "supply", "supply_per_100",
             "shortfall"]
    head = pd.DataFrame({c: cols[c] for c in order})
    out = pd.concat([head, cl], axis=1)
    cat_minutes = pd.DataFrame(acc.area_min[:len(acc.cats)].T, index=inp.codes,
                               columns=acc.cats)
    missing = gaps.missing_within_reach(cat_minutes, p["gap_reach_minutes"])
    return out, out.iloc[:n].reset_index(drop=True), missing


def demand_summary(sup: Supply) -> dict:
    """Per client group ('' = everyone the all-provider groups serve): label, source, the
    inputs that stood in, and the borough's people (for the run summary)."""
    return {cg: {"label": d.label, "source": d.source, "stand_ins": list(d.stand_ins),
                 "people": round(float(np.nansum(d.people)), 1)}
            for cg, d in sup.demand.items()}

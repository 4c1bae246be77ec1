"""Planner pages: the gap map (bivariate need by supply, ranked table) and the hotspot map."""
from __future__ import annotations

import pandas as pd
from flask import Blueprint, render_template, request, url_for

from .. import maps, model, pipeline, settings
from ..layers import gaps as gaps_layer
from . import get_store, referral_evidence
from .main import choice, web_data

bp = Blueprint("planner", __name__)

#: Client groups as people, for sentences ("no provider of transport for people with dementia").
CLIENT_GROUP_PEOPLE = {
    "older_people": "older people", "learning_disability": "people with a learning disability",
    "autism": "autistic people", "physical_disability": "people with a physical disability",
    "mental_health": "people with mental health needs", "dementia": "people with dementia",
    "carers": "carers",
}


def _run_summary(wd) -> dict:
    return (wd.run or {}).get("summary") or {}


def _run_params(wd) -> dict:
    return (wd.run or {}).get("params") or {}


def gap_table(wd, st, cg, unit=None) -> list[dict]:
    """Gap areas for a service type, client group and capacity unit, widest gap first; each
    row with its supply in words (``words``: unit, shortfall and the people it counts)."""
    rows = maps.gap_rows(wd, st, cg, unit)
    names = dict(zip(wd.areas["code"], wd.areas["name"]))
    wards = dict(zip(wd.areas["code"], wd.areas["parent_name"]))
    gap = rows[rows["is_gap"]].sort_values(["gap_rank", "need"], ascending=[True, False])
    return [dict(r, name=names.get(r["area_code"], r["area_code"]), ward=wards.get(r["area_code"]),
                 words=pipeline.match.gap_words(r),
                 people_words=pipeline.match.people_words(r),
                 shortfall_words=pipeline.match.shortfall_words(r),
                 supply_words=pipeline.match.supply_text(r.get("supply_per_100"),
                                                         r.get("unit") or "hours"))
            for r in gap.to_dict("records")]


def no_provider_note(rows, service_type: str, client_group: str) -> str | None:
    """What the gap page says instead of a map when the chosen group's supply is zero in
    every area (no provider of it anywhere in the borough): a map of ties says nothing."""
    if not len(rows) or not service_type:
        return None
    got = (str(rows["service_type"].iloc[0] or ""), str(rows["client_group"].iloc[0] or ""))
    if got != (service_type, client_group or ""):
        return None                      # a fallback (maps.gap_fallback_note says so)
    supply = pd.to_numeric(rows["supply"], errors="coerce").fillna(0.0)
    if (supply > 0).any():
        return None
    st = model.SERVICE_TYPES.get(service_type, service_type).lower()
    who = (CLIENT_GROUP_PEOPLE.get(client_group, model.CLIENT_GROUPS.get(client_group, client_group)
                                   .lower()) if client_group else "anyone")
    return f"No provider of {st} for {who} in the borough."


def absent_pair_note(wd, rows, service_type: str, client_group: str) -> str | None:
    """'No provider of accommodation for autistic people in the borough.' when the run
    analyses service type x client group pairs and no provider offers the chosen one (the
    page then shows the nearest group it has, saying so in the fallback note)."""
    if not service_type or not client_group or not len(rows) or not maps.has_gap_pairs(wd):
        return None
    got = (str(rows["service_type"].iloc[0] or ""), str(rows["client_group"].iloc[0] or ""))
    if got == (service_type, client_group):
        return None
    st = model.SERVICE_TYPES.get(service_type, service_type).lower()
    who = CLIENT_GROUP_PEOPLE.get(client_group, client_group)
    return f"No provider of {st} for {who} in the borough."


@bp.get("/gaps")
def gaps():
    store = get_store()
    wd = web_data()
    sts, cgs = maps.gap_choices(wd)
    st = choice(request.args.get("service_type"), sts, sts[0] if sts else None)
    cg = choice(request.args.get("client_group"), cgs, cgs[0] if cgs else None)
    page, table, note, none_here, units, unit = None, [], None, None, [], None
    absent = None
    if st is not None and cg is not None:
        units = maps.gap_units(wd, st, cg)
        unit = choice(request.args.get("unit"), units, units[0] if units else None)
        rows = maps.gap_rows(wd, st, cg, unit)
        none_here = no_provider_note(rows, st, cg)
        if none_here is None:
            areas_url = url_for("areas_geo.areas", view="gaps", service_type=st,
                                client_group=cg, unit=unit)
            page = maps.cached_map(store, "gaps", lambda: maps.build_gap_map(
                wd, st, cg, unit, areas_url=areas_url), key=(st, cg, unit))
            table = wd.memoise(("gap-table", st, cg, unit), lambda: gap_table(wd, st, cg, unit))
        note = maps.gap_fallback_note(wd, rows, st, cg)
        absent = absent_pair_note(wd, rows, st, cg)
    k = _run_params(wd).get("gap_classes", settings.GAP_CLASSES)
    return render_template("gaps.html", map=page, wd=wd, service_types=sts, client_groups=cgs,
                           service_type=st, client_group=cg, table=table,
                           title=maps.gap_title(st, cg) if st is not None else "", note=note,
                           no_provider=none_here, absent=absent,
                           method=gaps_layer.method_text(k),
                           units=units, unit=unit,
                           unit_words={u: pipeline.match.unit_words(u) for u in units},
                           per_100=pipeline.match.per_100_words(unit) if unit else "",
                           observed=referral_evidence.gaps_panel(store, wd, st, cg),
                           st_labels=model.SERVICE_TYPES, cg_labels=model.CLIENT_GROUPS)


# --- hotspots ------------------------------------------------------------------------------------
def hotspot_table(wd) -> list[dict]:
    """Areas significant in Gi* or local Moran's I: hot spots first, by z. Rows without an
    area code or a name (an area the store no longer has) are left out."""
    h = wd.hotspots.merge(wd.areas[["code", "name", "parent_name"]], left_on="area_code",
                          right_on="code", how="inner")
    code = h["area_code"].astype("string").str.strip()
    name = h["name"].astype("string").str.strip()
    known = code.notna() & name.notna() & ~code.str.lower().isin(["", "nan", "none"]) \
        & ~name.str.lower().isin(["", "nan", "none"])
    h = h[known.fillna(False).to_numpy(dtype=bool)]
    gi = h["gi_class"].astype(str).str.lower()
    lisa = h["lisa_class"].astype(str).str.upper()
    sig = gi.str.startswith("hot") | gi.str.startswith("cold") | lisa.isin(["HH", "LL", "HL", "LH"])
    h = h[sig.to_numpy(dtype=bool)]
    # from the filtered rows: assigning a longer Series to an empty frame would add NaN rows
    h = h.assign(_hot=h["gi_class"].astype(str).str.lower().str.startswith("hot").to_numpy())
    h = h.sort_values(["_hot", "gi_z"], ascending=[False, False])
    return h.to_dict("records")


def _count(n: int, one: str, many: str) -> str:
    return "none" if n == 0 else f"{n:,} {one if n == 1 else many}"


def hotspot_findings(wd) -> str:
    """What the run found, in words (no statistics vocabulary beyond the names)."""
    h = wd.hotspots
    if not len(h):
        return ""
    method = _run_summary(wd).get("hotspot_method") or {}
    if method.get("guard"):
        return "No area is claimed as a hot or cold spot."
    gi = h["gi_class"].astype(str)
    lisa = h["lisa_class"].astype(str)
    hot, cold = int((gi == "hot").sum()), int((gi == "cold").sum())
    if hot + cold == 0:
        text = (f"Getis-Ord Gi* finds no significant cluster of high or low isolation among "
                f"the {len(h):,} areas.")
    else:
        text = (f"Of {len(h):,} areas, Getis-Ord Gi* finds {_count(hot, 'area', 'areas')} in "
                f"hot spots (clusters of high isolation) and {_count(cold, 'area', 'areas')} "
                "in cold spots (clusters of low isolation).")
    quads = {q: int((lisa == q).sum()) for q in ("HH", "LL", "HL", "LH")}
    if sum(quads.values()) == 0:
        text += " Local Moran's I finds no significant cluster or outlier."
    else:
        text += (" Local Moran's I finds " + ", ".join(f"{v:,} {q}" for q, v in quads.items())
                 + " (HH: high among high; LL: low among low; HL, LH: outliers).")
    return text


@bp.get("/hotspots")
def hotspots():
    store = get_store()
    wd = web_data()
    page, table = None, []
    if len(wd.hotspots):
        areas_url = url_for("areas_geo.areas", view="hotspots")
        page = maps.cached_map(store, "hotspots",
                               lambda: maps.build_hotspot_map(wd, areas_url=areas_url))
        table = wd.memoise(("hotspot-table",), lambda: hotspot_table(wd))
    method = _run_summary(wd).get("hotspot_method") or {}
    return render_template("hotspots.html", map=page, wd=wd, table=table,
                           findings=hotspot_findings(wd),
                           method_text=str(method.get("description") or ""))

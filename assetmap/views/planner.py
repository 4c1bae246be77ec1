"""Planner pages: the gap map (bivariate need by supply, ranked table) and the hotspot map."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from .. import maps, model
from . import get_store
from .main import choice, web_data

bp = Blueprint("planner", __name__)


def gap_table(wd, st, cg) -> list[dict]:
    """Gap areas for a service type and client group, widest gap first."""
    rows = maps.gap_rows(wd, st, cg)
    names = dict(zip(wd.areas["code"], wd.areas["name"]))
    wards = dict(zip(wd.areas["code"], wd.areas["parent_name"]))
    gap = rows[rows["is_gap"]].sort_values(["gap_rank", "need"], ascending=[True, False])
    return [dict(r, name=names.get(r["area_code"], r["area_code"]), ward=wards.get(r["area_code"]))
            for r in gap.to_dict("records")]


def hotspot_table(wd) -> list[dict]:
    """Areas significant in Gi* or local Moran's I: hot spots first, by z."""
    h = wd.hotspots.merge(wd.areas[["code", "name", "parent_name"]], left_on="area_code",
                          right_on="code", how="left")
    gi = h["gi_class"].astype(str).str.lower()
    lisa = h["lisa_class"].astype(str).str.upper()
    sig = gi.str.startswith("hot") | gi.str.startswith("cold") | lisa.isin(["HH", "LL", "HL", "LH"])
    h = h[sig].assign(_hot=gi.str.startswith("hot")).sort_values(
        ["_hot", "gi_z"], ascending=[False, False])
    return h.to_dict("records")


@bp.get("/gaps")
def gaps():
    store = get_store()
    wd = web_data()
    sts, cgs = maps.gap_choices(wd)
    st = choice(request.args.get("service_type"), sts, sts[0] if sts else None)
    cg = choice(request.args.get("client_group"), cgs, cgs[0] if cgs else None)
    page, table, note = None, [], None
    if st is not None and cg is not None:
        page = maps.cached_map(store, "gaps", lambda: maps.build_gap_map(wd, st, cg), key=(st, cg))
        table = wd.memoise(("gap-table", st, cg), lambda: gap_table(wd, st, cg))
        note = maps.gap_fallback_note(wd, maps.gap_rows(wd, st, cg), st, cg)
    return render_template("gaps.html", map=page, wd=wd, service_types=sts, client_groups=cgs,
                           service_type=st, client_group=cg, table=table,
                           title=maps.gap_title(st, cg) if st is not None else "", note=note,
                           st_labels=model.SERVICE_TYPES, cg_labels=model.CLIENT_GROUPS)


@bp.get("/hotspots")
def hotspots():
    store = get_store()
    wd = web_data()
    page, table = None, []
    if len(wd.hotspots):
        page = maps.cached_map(store, "hotspots", lambda: maps.build_hotspot_map(wd))
        table = wd.memoise(("hotspot-table",), lambda: hotspot_table(wd))
    return render_template("hotspots.html", map=page, wd=wd, table=table)

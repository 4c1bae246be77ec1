"""Wards: the ranking of wards (need, isolation, gaps, hot spots, social assets per 1,000)
and ward profiles at ``/areas/<ward code>``, aggregating the ward's areas."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from .. import pipeline
from . import get_store
from .main import web_data

bp = Blueprint("wards", __name__)

#: Sort choices of the ranking: column -> (label, highest first?).
SORTS = {
    "need_index": ("Need index", True),
    "isolation": ("Isolation score", True),
    "gaps": ("Gap areas", True),
    "hot_spots": ("Hot spots", True),
    "social_assets_per_1000": ("Social assets per 1,000 residents (fewest first)", False),
}


def ward_table(wd):
    """The ward table of this data version (computed once, then memoised)."""
    def build():
        assets = wd.assets[wd.assets["status"] == "approved"] if "status" in wd.assets else \
            wd.assets
        return pipeline.ward_table(wd.areas, assets, get_store().read_areas(level="ward"))
    return wd.memoise(("ward-table",), build)


def is_ward(wd, code: str) -> bool:
    return "parent_code" in wd.areas and bool((wd.areas["parent_code"] == code).any())


@bp.get("/wards")
def index():
    wd = web_data()
    sort = request.args.get("sort")
    sort = sort if sort in SORTS else "need_index"
    table = ward_table(wd)
    ranked = table.sort_values([sort, "ward_name"], ascending=[not SORTS[sort][1], True],
                               na_position="last")
    return render_template("wards.html", wd=wd, wards=ranked.to_dict("records"), sort=sort,
                           sorts=SORTS)


def ward_profile(code: str):
    """The profile page of ward ``code`` (its areas and their aggregates)."""
    wd = web_data()
    table = ward_table(wd)
    row = table[table["ward_code"] == code]
    if not len(row):
        abort(404)
    members = wd.areas[wd.areas["parent_code"] == code].drop(columns=wd.areas.geometry.name)
    members = members.sort_values(["need_rank", "name"], na_position="last")
    return render_template("ward.html", wd=wd, w=row.iloc[0].to_dict(), n_wards=len(table),
                           areas=members.to_dict("records"))

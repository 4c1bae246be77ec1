"""One public page per record, ``/directory/<id>``: what the directory knows of an asset
or provider, with the privacy rules (a home-based provider without its address and at an
approximate place; a contact only when published). The Open Referral feed links each
service without a website of its own here."""
from __future__ import annotations

from flask import Blueprint, abort, render_template

from .. import model
from ..community import forms
from .main import web_data

bp = Blueprint("records", __name__)


def public_record(asset_id: str) -> dict | None:
    """The approved asset's public fields (privacy applied by the web data), or None."""
    a = web_data().assets
    hit = a[a["id"] == asset_id]
    if hit.empty:
        return None
    rec = hit.iloc[0].to_dict()
    geom = rec.pop(hit.geometry.name, None)
    rec["lon"] = None if geom is None else round(float(geom.x), 5)
    rec["lat"] = None if geom is None else round(float(geom.y), 5)
    return {k: (None if v != v else v) for k, v in rec.items()}   # NaN -> None


@bp.get("/directory/<asset_id>")
def record(asset_id):
    rec = public_record(asset_id)
    if rec is None:
        abort(404)
    return render_template(
        "record_page.html", rec=rec, prov=rec if rec.get("service_types") else None,
        labels=forms.LABELS, categories=model.ASSET_CATEGORIES,
        service_types=model.SERVICE_TYPES, client_groups=model.CLIENT_GROUPS,
        reach=model.REACH_MODES)

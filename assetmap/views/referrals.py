"""Referrals for referrers (issue 11): from a row of the referral finder a signed-in
referrer (social worker, care navigator) sends a referral (``/referrals/new``), then sees
their own referrals, the providers' answers and the history (``/referrals``), and withdraws
or closes them. Nobody else's referral is ever shown: another user gets 404, whatever the
role. Case references travel only in POST bodies and these private pages (never a URL)."""
from __future__ import annotations

import uuid

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from .. import accounts, model, settings
from .. import referrals as rf
from ..errors import InputError
from ..referrals import notices
from . import _params, get_store
from .access import has_role, require_role
from .auth import register_error_pages

bp = Blueprint("referrals", __name__)
register_error_pages(bp)

REFER = accounts.CAN_REFER
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
#: Notices (answers from providers) shown at the top of a referrer's list.
NOTICES_SHOWN = 10


@bp.app_context_processor
def _refer_context():
    """``can_refer`` for every template: the referral finder shows its Refer buttons."""
    return {"can_refer": has_role(*REFER)}


def _setting(name: str):
    return current_app.config.get(name, getattr(settings, name))


def smtp():
    """The app's SMTP settings, or None (notices on the pages only)."""
    return notices.smtp_config(lambda k: current_app.config.get(k))


def send_notices(items) -> None:
    notices.dispatch([n for n in items if n is not None], smtp(),
                     background=bool(current_app.config.get("NOTICES_BACKGROUND", True)))


def labels() -> dict:
    return {"st_labels": model.SERVICE_TYPES, "cg_labels": model.CLIENT_GROUPS,
            "status_labels": rf.STATUSES, "reason_labels": rf.DECLINE_REASONS}


# --- a new referral -------------------------------------------------------------------------------
def _provider_for(store, asset_id: str) -> dict:
    """The published provider as the form shows it (no address, no location)."""
    p = store.referable_provider(str(asset_id or ""))
    p["location_note"] = "Approximate location (home-based)" if p["home_based"] else ""
    return p


def _form_page(store, provider, values, errors=None, status=200):
    offered = model.split_list(provider.get("service_types"))
    body = render_template("referral_new.html", provider=provider, values=values,
                           errors=errors or {}, offered=offered, areas=store.area_choices(),
                           max_ref=settings.REFERRAL_CASE_REF_MAX_CHARS,
                           max_notes=settings.REFERRAL_NOTES_MAX_CHARS, **labels())
    return body, status, PRIVATE


@bp.get("/referrals/new")
@require_role(*REFER)
def new():
    store = get_store()
    provider = _provider_for(store, request.args.get("asset", ""))
    offered = model.split_list(provider.get("service_types"))
    st = request.args.get("service_type")
    values = {"service_type": st if st in offered else (offered[0] if len(offered) == 1
                                                         else ""),
              "client_group": request.args.get("client_group", ""),
              "area_code": request.args.get("area", ""), "request_key": uuid.uuid4().hex}
    return _form_page(store, provider, values)


def _limited() -> bool:
    lim = accounts.RateLimiter(_setting("REFERRAL_LIMIT"), _setting("REFERRAL_WINDOW_S"),
                               backend=get_store(), bucket="refer")
    return not lim.hit(g.user["name"])


@bp.post("/referrals")
@require_role(*REFER)
def create():
    store = get_store()
    form = request.form
    values = {k: form.get(k, "") for k in ("service_type", "client_group", "area_code",
                                           "case_ref", "notes", "request_key")}
    if _limited():
        return _form_page(store, _provider_for(store, form.get("asset_id")), values,
                          {"form": "you have sent a lot of referrals in the last hour; wait "
                                   "a while"}, 429)
    try:
        ref = store.create_referral(asset_id=str(form.get("asset_id", ""))[:64],
                                    service_type=values["service_type"],
                                    client_group=values["client_group"],
                                    area_code=values["area_code"], case_ref=values["case_ref"],
                                    notes=values["notes"], created_by=g.user["name"],
                                    request_key=values["request_key"] or None)
    except InputError as e:
        return _form_page(store, _provider_for(store, form.get("asset_id")), values,
                          {e.field or "form": e.message}, 400)
    if ref["created"]:
        link = store.provider_link_status(ref["asset_id"])
        if link and notices.is_email(link.get("email")):
            send_notices([notices.new_referral(link["email"], ref["provider_name"], ref,
                                               model.SERVICE_TYPES[ref["service_type"]].lower())])
    flash(f"Referral {ref['id']} sent to {ref['provider_name']}.", "success")
    return redirect(url_for("referrals.detail", rid=ref["id"]), code=303)


# --- the referrer's referrals ---------------------------------------------------------------------
@bp.get("/referrals")
@require_role(*REFER)
def mine():
    store = get_store()
    rows = store.list_referrals(created_by=g.user["name"], limit=500)
    news = store.referral_events_for(created_by=g.user["name"], limit=NOTICES_SHOWN)
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in rf.STATUSES}
    return render_template("referrals_mine.html", rows=rows, news=news, counts=counts,
                           **labels()), 200, PRIVATE


@bp.get("/referrals/<int:rid>")
@require_role(*REFER)
def detail(rid):
    store = get_store()
    ref = store.get_referral(rid, created_by=g.user["name"])
    return render_template("referral_detail.html", ref=ref, history=store.referral_history(rid),
                           moves=rf.allowed_moves(ref["status"], "referrer"),
                           actions=rf.workflow.ACTIONS, **labels()), 200, PRIVATE


@bp.post("/referrals/<int:rid>/status")
@require_role(*REFER)
def change(rid):
    store = get_store()
    new_status = request.form.get("status", "")
    ref = store.change_referral(
        rid, new_status, actor="referrer", by=g.user["name"], created_by=g.user["name"],
        expected_version=_params.record_id(request.form.get("version"), "version"))
    flash(f"Referral {ref['id']} is now {ref['status']}.", "success")
    return redirect(url_for("referrals.detail", rid=rid), code=303)

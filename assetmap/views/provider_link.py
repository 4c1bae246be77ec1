"""Providers answer (issue 11): each provider has a private, revocable link
(``/provider/<token>``; only the token's hash is stored, as for contributors' links) to a
page listing the referrals sent to it, where it accepts or declines them and says how many
vacancies it has now (saved at once, dated, without moderation: every other change to its
record still goes through ``/contribute`` and a planner). Planners issue and revoke the
links from the record page (``/moderate/asset/<id>``), and see providers whose capacity
was not confirmed for ``CAPACITY_REMINDER_DAYS`` on the stale list."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from .. import accounts, model, settings
from .. import referrals as rf
from ..community import forms, tokens
from ..errors import InputError, NotFound
from ..referrals import notices
from . import _params, get_store
from ._hosts import external_url
from .access import require_role
from .auth import register_error_pages
from .referrals import PRIVATE, labels, send_notices, smtp

bp = Blueprint("provider", __name__)
register_error_pages(bp)

#: Answered referrals listed under the waiting ones.
RECENT_SHOWN = 50


def _link(token: str) -> dict:
    """The live link a token opens (404 for anything else)."""
    if not token or len(token) > 100:
        abort(404)
    return get_store().provider_by_link(tokens.token_hash(token))


def _capacity(store, asset_id: str) -> dict:
    a = store.referable_provider(asset_id, approved_only=False)
    confirmed = None if a["vacancies_confirmed"] is None else str(a["vacancies_confirmed"])
    return {"vacancies": a["vacancies"], "confirmed": confirmed,
            "days": rf.days_since_confirmed(confirmed), "due": rf.capacity_due(confirmed),
            "reminder_days": settings.CAPACITY_REMINDER_DAYS,
            "unit": "places" if a["capacity_places"] is not None else "hours a week"}


@bp.get("/provider/<token>")
def page(token):
    link = _link(token)
    store = get_store()
    aid = link["asset_id"]
    waiting = store.list_referrals(asset_id=aid, statuses=("sent",))
    others = store.list_referrals(asset_id=aid, statuses=("accepted", "declined", "withdrawn",
                                                          "closed"), limit=RECENT_SHOWN)
    news = store.referral_events_for(asset_id=aid, limit=10)
    return render_template("provider_page.html", link=link, token=token, waiting=waiting,
                           others=others, news=news, capacity=_capacity(store, aid),
                           moves={r["id"]: rf.allowed_moves(r["status"], "provider")
                                  for r in others},
                           **labels()), 200, PRIVATE


@bp.post("/provider/<token>/referrals/<int:rid>")
def answer(token, rid):
    link = _link(token)
    store = get_store()
    status = request.form.get("status", "")
    ref = store.change_referral(
        rid, status, actor="provider", by=f"provider: {link['provider_name']}"[:100],
        reason=request.form.get("decline_reason") or None, asset_id=link["asset_id"],
        expected_version=_params.record_id(request.form.get("version"), "version"))
    store.touch_provider_link(link["id"])
    if notices.is_email(ref["created_by"]) and status in ("accepted", "declined"):
        send_notices([notices.answered(ref["created_by"], link["provider_name"], ref,
                                       model.SERVICE_TYPES[ref["service_type"]].lower())])
    flash(f"Referral {ref['id']}: {ref['status']}.", "success")
    return redirect(url_for("provider.page", token=token), code=303)


@bp.post("/provider/<token>/vacancies")
def vacancies(token):
    link = _link(token)
    store = get_store()
    value = _params.number(request.form.get("vacancies"), "vacancies", lo=0,
                           hi=settings.MAX_CAPACITY_HOURS)
    if value is None:
        raise InputError("give the number of vacancies (0 if you are full)", field="vacancies")
    store.confirm_vacancies(link["asset_id"], value, by=f"provider: {link['provider_name']}"[:100])
    store.touch_provider_link(link["id"])
    flash(f"Saved: {value:g} vacancies, confirmed today ({dt.date.today():%d %B %Y}).",
          "success")
    return redirect(url_for("provider.page", token=token), code=303)


# --- planners: issue and revoke links -------------------------------------------------------------
@bp.app_context_processor
def _link_context():
    """``provider_link_of(asset_id)`` for the record page (planners only)."""
    def provider_link_of(asset_id):
        user = getattr(g, "user", None)
        if not user or user["role"] not in accounts.CAN_MANAGE_PROVIDER_LINKS:
            return None
        store = get_store()
        try:
            capacity = _capacity(store, asset_id)
        except NotFound:                 # not a provider: no panel
            return None
        return {"live": store.provider_link_status(asset_id), "capacity": capacity}
    return {"provider_link_of": provider_link_of}


@bp.post("/moderate/asset/<asset_id>/provider-link")
@require_role(*accounts.CAN_MANAGE_PROVIDER_LINKS)
def issue(asset_id):
    store = get_store()
    email = forms.clean_text(request.form.get("email", ""))[:254]
    if email and not notices.is_email(email):
        raise InputError("that is not an email address (or leave it blank)", field="email")
    asset = store.get_asset(asset_id)
    token = tokens.new_token()
    store.issue_provider_link(asset_id, tokens.token_hash(token), email=email or None,
                              by=g.user["name"])
    url = external_url("provider.page", token=token, relative_if_untrusted=True)
    if email:
        send_notices([notices.link_issued(email, asset["name"], url,
                                          store.get_meta("area_name") or settings.DEMO_LA_NAME)])
    return render_template("provider_link_issued.html", asset=asset, link=url, email=email,
                           emailed=bool(email and smtp() is not None)), 200, PRIVATE


@bp.post("/moderate/asset/<asset_id>/provider-link/revoke")
@require_role(*accounts.CAN_MANAGE_PROVIDER_LINKS)
def revoke(asset_id):
    n = get_store().revoke_provider_links(asset_id, by=g.user["name"])
    flash("The provider's private link no longer works." if n else
          "This provider had no live link.", "success")
    return redirect(url_for("moderate.asset", asset_id=asset_id), code=303)


def capacity_due_flags(store, asset_ids) -> list[bool]:
    """For the planners' stale list: True for each provider among ``asset_ids`` whose
    vacancies were not confirmed for CAPACITY_REMINDER_DAYS (False for other assets)."""
    conf = store.capacity_confirmations()
    due = {a: rf.capacity_due(c) for a, c in zip(conf["asset_id"], conf["vacancies_confirmed"])}
    return [bool(due.get(a, False)) for a in asset_ids]

"""Moderation (``/moderate``): planners approve, edit or reject submissions, edit, retire,
reinstate and restore assets, and keep review dates; coordinators see the same pages read
only (pending records and private fields, never a home's exact location)."""
from __future__ import annotations

import geopandas as gpd
import shapely
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from .. import accounts, maps, model, privacy, settings
from ..community import diffs, duplicates, forms, refresh, review
from ..errors import InputError, NotFound
from ..layers._style import esc
from . import _params, get_store, provider_link
from .access import require_role
from .auth import register_error_pages
from .contribute import keep_hidden, submitted_values, validate, vocab

bp = Blueprint("moderate", __name__, url_prefix="/moderate")
register_error_pages(bp)

VIEW = accounts.CAN_SEE_PRIVATE      # planners and coordinators
ACT = accounts.CAN_MODERATE          # planners
NO_CACHE = {"Cache-Control": "no-store"}
#: The queue shows the oldest this many pending submissions (with their duplicate checks).
QUEUE_PAGE = 100


def _int(name: str) -> int:
    return _params.record_id(request.form.get(name), name)


def _shown_point(lon, lat, home: bool):
    """Where a record may be drawn: home-based ones only at their approximate location."""
    if lon is None or lat is None:
        return None
    if home:
        pt = privacy.approximate_location(gpd.GeoSeries([shapely.Point(lon, lat)], crs=4326))
        return round(pt.iloc[0].x, 5), round(pt.iloc[0].y, 5)
    return round(lon, 5), round(lat, 5)


def _marker_map(store, points, *, focus=None):
    """A map of (lon, lat, colour, label, popup_html) points over the area outline."""
    m = maps.build_moderation_map(store.read_areas(level=None), points, focus=focus)
    return maps.render_parts(m), m.get_name()


def _known_assets(store):
    """Records a submission is checked against, homes at their published cell centre (the
    distances printed must not locate a home)."""
    return privacy.published_points(store.read_assets(statuses=("approved", "pending")))


def _duplicates(store, sub, known=None):
    data = forms.Contribution.from_data(sub["data"])
    cur = None
    lon, lat = data.lon, data.lat
    if lon is None:
        cur = store.get_asset(sub["asset_id"])
        lon, lat = cur["geometry"].x, cur["geometry"].y
    cand = {"name": data.asset.get("name"), "lon": lon, "lat": lat,
            "postcode": data.asset.get("postcode"),
            "cqc_location_id": (data.provider or {}).get("cqc_location_id")}
    index = duplicates.DuplicateIndex(_known_assets(store)) if known is None else known
    return index.find(cand, exclude_ids=[sub["asset_id"]])


# --- the queue ----------------------------------------------------------------------------------
@bp.get("")
@require_role(*VIEW)
def queue():
    store = get_store()
    total = store.count_submissions().get("pending", 0)
    subs = store.list_submissions(("pending",), limit=QUEUE_PAGE)     # oldest first
    known = duplicates.DuplicateIndex(_known_assets(store))
    points, rows = [], []
    for s in subs:
        data = forms.Contribution.from_data(s["data"])
        dups = _duplicates(store, s, known)
        home = bool(data.asset.get("home_based") or s["asset_home_based"])
        lon, lat = data.lon, data.lat
        if lon is None:
            a = store.get_asset(s["asset_id"])
            lon, lat = a["geometry"].x, a["geometry"].y
        shown = _shown_point(lon, lat, home)
        link = url_for("moderate.item", sid=s["id"])
        name = data.asset.get("name")
        points.append((shown[0], shown[1], "#d55e00" if dups else "#0072b2", name,
                       f'<strong>{esc(name)}</strong><br>'
                       f'{esc(model.ASSET_CATEGORIES.get(data.asset.get("category"), ""))}'
                       f'<br><a href="{esc(link)}">Review</a>'))
        rows.append({"sub": s, "name": name, "category": data.asset.get("category"),
                     "dups": dups, "home": home, "link": link})
    parts, _ = _marker_map(store, points)
    return render_template("moderate.html", rows=rows, map=parts, total=total,
                           categories=model.ASSET_CATEGORIES), 200, NO_CACHE


@bp.get("/<int:sid>")
@require_role(*VIEW)
def item(sid):
    return _item_page(get_store(), sid)


def _item_page(store, sid, *, errors=None, values=None, status=200):
    sub = store.get_submission(sid)
    data = forms.Contribution.from_data(sub["data"])
    current = store.get_asset(sub["asset_id"])
    home = bool(data.asset.get("home_based") or current.get("home_based"))
    lon, lat = (data.lon, data.lat) if data.lon is not None else \
        (current["geometry"].x, current["geometry"].y)
    changes = diffs.diff(current, data) if sub["kind"] == "update" else []
    dups = _duplicates(store, sub)
    shown = _shown_point(lon, lat, home)
    points = [(shown[0], shown[1], "#d55e00", data.asset.get("name"),
               f"<strong>{esc(data.asset.get('name'))}</strong><br>Proposed"
               + (" (approximate: home-based)" if home else ""))]
    known = store.read_assets(statuses=("approved", "pending"), ids=[d["id"] for d in dups])
    if len(known):
        pub = privacy.public_assets(known, private_ok=True)
        for r in pub.to_dict("records"):
            g_ = r["geometry"]
            points.append((round(g_.x, 5), round(g_.y, 5), "#999999", r["name"],
                           f"<strong>{esc(r['name'])}</strong><br>Possible duplicate "
                           f"({esc(r['status'])})"))
    parts, map_name = _marker_map(store, points, focus=shown)
    if values is None:
        values = forms.form_values(data.asset, data.provider, lon=lon, lat=lat,
                                   show_location=not home)
    cur_pub = privacy.public_assets(store.read_assets(statuses=None, ids=[sub["asset_id"]]),
                                    private_ok=True).iloc[0].to_dict()
    shown_data = forms.Contribution(asset=forms.redact_home(data.asset),
                                    provider=data.provider, lon=None, lat=None)
    body = render_template("moderate_item.html", sub=sub, data=shown_data, current=cur_pub,
                           hidden_fields=forms.HOME_HIDDEN if home else (),
                           changes=changes, dups=dups, home=home, map=parts, values=values,
                           errors=errors or {}, labels=forms.LABELS,
                           action=url_for("moderate.edit", sid=sid), map_name=map_name,
                           **vocab())
    return body, status, NO_CACHE


@bp.post("/<int:sid>/approve")
@require_role(*ACT)
def approve(sid):
    store = get_store()
    store.approve_submission(sid, expected_version=_int("version"),
                             expected_asset_version=_int("asset_version"),
                             reviewer=g.user["name"])
    refresh.request_refresh(store, current_app.config.get("ANALYSIS_REFRESH"))
    flash("Approved: it is now on the public map. The gap analysis is being refreshed.",
          "success")
    return redirect(url_for("moderate.queue"), code=303)


@bp.post("/<int:sid>/reject")
@require_role(*ACT)
def reject(sid):
    store = get_store()
    reason = forms.clean_text(request.form.get("reason", ""), multiline=True)
    if len(reason) > 1000:
        raise InputError("keep the reason under 1000 characters", field="reason")
    store.reject_submission(sid, reason=reason, expected_version=_int("version"),
                            expected_asset_version=_int("asset_version"),
                            reviewer=g.user["name"])
    flash("Rejected; the contributor can see your reason through their link.", "success")
    return redirect(url_for("moderate.queue"), code=303)


@bp.post("/<int:sid>/edit")
@require_role(*ACT)
def edit(sid):
    store = get_store()
    sub = store.get_submission(sid)
    current = store.get_asset(sub["asset_id"])
    try:
        c = validate(request.form, store, keep_location_ok=True, can_set_preferred=True,
                     current=current)
    except InputError as e:
        return _item_page(store, sid, errors=forms.errors_by_field(e),
                          values=submitted_values(),
                          status=400)
    if c.lon is None:
        c.lon, c.lat = sub["data"].get("lon"), sub["data"].get("lat")
    if sub["data"]["asset"].get("home_based") or current.get("home_based"):
        keep_hidden(c, sub["data"]["asset"], forms.HOME_HIDDEN)
    store.edit_submission(sid, c.as_data(), expected_version=_int("version"),
                          expected_asset_version=_int("asset_version"),
                          changed_by=g.user["name"])
    if request.form.get("and_approve"):
        sub = store.get_submission(sid)
        store.approve_submission(sid, expected_version=sub["version"],
                                 expected_asset_version=sub["asset_version"],
                                 reviewer=g.user["name"])
        refresh.request_refresh(store, current_app.config.get("ANALYSIS_REFRESH"))
        flash("Saved and approved. The gap analysis is being refreshed.", "success")
        return redirect(url_for("moderate.queue"), code=303)
    flash("Saved your corrections; the submission is still pending.", "success")
    return redirect(url_for("moderate.item", sid=sid), code=303)


# --- assets: review dates, edit, retire, history ---------------------------------------------
@bp.get("/assets")
@require_role(*VIEW)
def assets():
    store = get_store()
    status = request.args.get("status", "approved")
    statuses = None if status == "all" else (status,) if status in model.ASSET_STATUSES \
        else ("approved",)
    df = store.read_assets(statuses=statuses, with_providers=False)
    q = (request.args.get("q") or "").strip().lower()[:100]
    if q:
        df = df[df["name"].str.lower().str.contains(q, regex=False)]
    df = df.assign(review_due=[review.review_due(v) for v in df["last_reviewed"]],
                   capacity_due=provider_link.capacity_due_flags(store, df["id"]))
    stale_only = request.args.get("stale") == "1"
    if stale_only:
        df = df[df["review_due"] | df["capacity_due"]]
    total = len(df)
    rows = df.sort_values(["review_due", "name"], ascending=[False, True]).head(500)
    return render_template("moderate_assets.html", rows=rows.to_dict("records"), total=total,
                           status=status, q=q, stale=stale_only,
                           categories=model.ASSET_CATEGORIES, statuses=model.ASSET_STATUSES,
                           stale_days=settings.STALE_AFTER_DAYS,
                           capacity_days=settings.CAPACITY_REMINDER_DAYS)


def _asset_page(store, asset_id, *, errors=None, values=None, status=200):
    full = store.get_asset(asset_id)
    home = bool(full.get("home_based"))
    pub = privacy.public_assets(store.read_assets(statuses=None, ids=[asset_id]),
                                private_ok=True).iloc[0].to_dict()
    shown = _shown_point(full["geometry"].x, full["geometry"].y, home)
    parts, map_name = _marker_map(store, [(shown[0], shown[1], "#0072b2", full["name"],
                                           f"<strong>{esc(full['name'])}</strong>")],
                                  focus=shown)
    if values is None:
        values = forms.form_values(full, full, lon=full["geometry"].x,
                                   lat=full["geometry"].y, show_location=not home)
    pending = store.list_submissions(("pending",), asset_id=asset_id)
    body = render_template("moderate_asset.html", asset=pub, home=home, map=parts,
                           hidden_fields=forms.HOME_HIDDEN if home else (),
                           values=values, errors=errors or {}, pending=pending,
                           review_due=review.review_due(full.get("last_reviewed")),
                           labels=forms.LABELS,
                           action=url_for("moderate.asset_edit", asset_id=asset_id),
                           map_name=map_name, **vocab())
    return body, status, NO_CACHE


@bp.get("/asset/<asset_id>")
@require_role(*VIEW)
def asset(asset_id):
    return _asset_page(get_store(), asset_id)


@bp.post("/asset/<asset_id>/edit")
@require_role(*ACT)
def asset_edit(asset_id):
    store = get_store()
    current = store.get_asset(asset_id)
    try:
        c = validate(request.form, store, keep_location_ok=True, can_set_preferred=True,
                     current=current)
    except InputError as e:
        return _asset_page(store, asset_id, errors=forms.errors_by_field(e),
                           values=submitted_values(), status=400)
    if current.get("home_based"):
        keep_hidden(c, current, forms.HOME_HIDDEN)
    store.update_asset(asset_id, c.as_data(), expected_version=_int("asset_version"),
                       changed_by=g.user["name"], action="edit", reviewed=True)
    if current["status"] == "approved":
        refresh.request_refresh(store, current_app.config.get("ANALYSIS_REFRESH"))
    flash("Saved.", "success")
    return redirect(url_for("moderate.asset", asset_id=asset_id), code=303)


@bp.post("/asset/<asset_id>/status")
@require_role(*ACT)
def asset_status(asset_id):
    """Retire (with a reason) or reinstate; nothing is ever deleted."""
    store = get_store()
    action = request.form.get("action")
    reason = forms.clean_text(request.form.get("reason", ""), multiline=True)[:1000]
    if action == "retire":
        if not reason:
            raise InputError("give a reason for retiring", field="reason")
        new = "retired"
    elif action == "reinstate":
        new = "approved"
    else:
        raise InputError("unknown action", field="action")
    store.set_asset_status(asset_id, new, expected_version=_int("asset_version"),
                           changed_by=g.user["name"], reason=reason or None)
    refresh.request_refresh(store, current_app.config.get("ANALYSIS_REFRESH"))
    flash("Retired: it no longer shows on public maps (it is kept, and can be reinstated)."
          if new == "retired" else "Reinstated.", "success")
    return redirect(url_for("moderate.asset", asset_id=asset_id), code=303)


@bp.post("/asset/<asset_id>/reviewed")
@require_role(*ACT)
def asset_reviewed(asset_id):
    get_store().mark_reviewed(asset_id, expected_version=_int("asset_version"),
                              changed_by=g.user["name"])
    flash("Marked as reviewed today.", "success")
    if request.form.get("back") == "list":
        return redirect(url_for("moderate.assets", stale=1), code=303)
    return redirect(url_for("moderate.asset", asset_id=asset_id), code=303)


@bp.get("/asset/<asset_id>/history")
@require_role(*VIEW)
def history(asset_id):
    store = get_store()
    full = store.get_asset(asset_id)
    hist = store.asset_history(asset_id).to_dict("records")
    import json
    prev = None
    rows = []
    for h in hist:
        data = json.loads(h["data"])
        rows.append({**h, "changes": diffs.version_changes(prev, data),
                     "status_then": data.get("status")})
        prev = data
    return render_template("asset_history.html", asset=full, rows=list(reversed(rows))), \
        200, NO_CACHE


@bp.post("/asset/<asset_id>/restore/<int:version_id>")
@require_role(*ACT)
def restore(asset_id, version_id):
    store = get_store()
    v = store.restore_version(asset_id, version_id, expected_version=_int("asset_version"),
                              changed_by=g.user["name"])
    if store.get_asset(asset_id)["status"] == "approved":
        refresh.request_refresh(store, current_app.config.get("ANALYSIS_REFRESH"))
    flash(f"Restored; that content is now version {v}.", "success")
    return redirect(url_for("moderate.history", asset_id=asset_id), code=303)


@bp.errorhandler(NotFound)
def _nf(e):
    from .auth import error_page
    return error_page(e, 404)

"""Community groups and micro-providers add or update an asset (``/contribute``), and see
and amend their submission through a private link (``/submission/<token>``) or, signed in,
under ``/my/submissions``. Submissions are pending: public maps show approved assets only."""
from __future__ import annotations

import threading

from flask import Blueprint, abort, g, jsonify, redirect, render_template, request, url_for

from .. import accounts, focus, maps, model, privacy
from ..community import area, forms, hours, tokens
from ..errors import InputError, NotFound, PermissionDenied
from ..layers import areas as areas_layer
from . import _params, get_store
from ._hosts import external_url
from .access import current_user, has_role, require_login
from .auth import client_key, limiter, register_error_pages

bp = Blueprint("contribute", __name__)
register_error_pages(bp)

PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


# --- shared with the moderation views -----------------------------------------------------------
def vocab() -> dict:
    return {"categories": model.ASSET_CATEGORIES, "service_types": model.SERVICE_TYPES,
            "client_groups": model.CLIENT_GROUPS, "quality_marks": model.QUALITY_MARKS,
            "days": [(d, hours.DAY_NAMES[d]) for d in hours.DAYS],
            "reach_modes": model.REACH_MODES, "wards": borough_areas(get_store())["wards"],
            "cqc_ratings": model.CQC_RATINGS, "focus_groups": focus.by_kind()}


_areas_cache: dict = {}


def borough_areas(store) -> dict:
    """The borough's wards ([(code, name)], for the areas-served list) and every area code
    (LSOAs, wards: what an area served may name), cached per area set."""
    key = (store.url, store.areas_signature())
    with _map_lock:
        hit = _areas_cache.get(key)
    if hit is not None:
        return hit
    a = store.read_areas(level=None)
    wards: dict = {}
    if len(a):              # ward areas, else the wards the LSOAs name as their parents
        for code, name in zip(a.loc[a["level"] == "ward", "code"],
                              a.loc[a["level"] == "ward", "name"]):
            wards[str(code).upper()] = name
        lsoa = a[(a["level"] == "lsoa") & a["parent_code"].notna()]
        for code, name in zip(lsoa["parent_code"], lsoa["parent_name"]):
            wards.setdefault(str(code).upper(), name or code)
    codes = {str(c).upper() for c in a["code"]} | set(wards) if len(a) else set()
    out = {"wards": sorted(wards.items(), key=lambda kv: str(kv[1])),
           "codes": frozenset(codes)}
    with _map_lock:
        for k in [k for k in _areas_cache if k[0] == store.url]:
            del _areas_cache[k]
        _areas_cache[key] = out
    return out


def postcode_lookup(store):
    def look(pc):
        found = store.lookup_postcodes([pc])
        if found.empty:
            return None
        r = found.iloc[0]
        return float(r["lon"]), float(r["lat"])
    return look


def validate(form, store, *, keep_location_ok=False, can_set_preferred=False, current=None):
    codes = borough_areas(store)["codes"]
    return forms.validate_form(
        form, area=area.borough_shape(store), postcode_lookup=postcode_lookup(store),
        keep_location_ok=keep_location_ok, can_set_preferred=can_set_preferred, current=current,
        known_codes=codes or None)


def submitted_values() -> dict:
    """The posted form as the form template's values (to show it again with its errors)."""
    return {k: (v if k in ("service_types", "client_groups", "area_served", "community_tags")
                else v[0])
            for k, v in request.form.to_dict(flat=False).items()}


_map_cache: dict = {}
_map_lock = threading.Lock()


def picker_map(store, point=None):
    """The borough outline to click on (cached per area set), or, with ``point`` (lon, lat),
    a fresh map centred there. Returns (MapParts, the map's JavaScript variable name)."""
    key = (store.url, store.areas_signature())
    if point is None:
        with _map_lock:
            hit = _map_cache.get(key)
        if hit is not None:
            return hit
    areas = store.read_areas(level=None)
    m = maps.new_map(areas.total_bounds if len(areas) else None)
    if len(areas):
        areas_layer.add_to(m, areas, name="Area covered")
    if point is not None:
        m.location = [point[1], point[0]]
    out = (maps.render_parts(m), m.get_name())
    if point is None:
        with _map_lock:
            for k in [k for k in _map_cache if k[0] == store.url]:
                del _map_cache[k]
            _map_cache[key] = out
    return out


def render_form(template, *, values, errors=None, status=200, **ctx):
    store = get_store()
    parts, map_name = picker_map(store)
    body = render_template(template, values=values, errors=errors or {}, map=parts,
                           form_map=parts, map_name=map_name, **vocab(), **ctx)
    return body, status


def keep_hidden(contribution, current: dict, hidden: tuple) -> None:
    """Fields the contributor could not see (private ones, prefilled blank) keep their
    current value when left blank."""
    for f in hidden:
        if not contribution.asset.get(f) and current.get(f):
            contribution.asset[f] = current[f]
    if "contact" in hidden and current.get("contact") and contribution.asset["contact"] == \
            current.get("contact"):
        contribution.asset["contact_public"] = bool(current.get("contact_public"))


def check_submit_rate():
    lim = limiter("submit")
    if not lim.hit(client_key()):
        wait = lim.blocked(client_key())
        raise RateLimited(f"You have sent a lot of submissions from here. Please wait "
                          f"{accounts.wait_message(wait)} and try again.")


class RateLimited(InputError):
    pass


@bp.errorhandler(RateLimited)
def _too_many(e):
    return render_template("error.html", title="Too many submissions", messages=[e.message],
                           status=429), 429


# --- contribute ---------------------------------------------------------------------------------
def _public_asset(store, asset_id):
    """An approved asset as the public sees it (for proposing an update)."""
    df = store.read_assets(statuses=("approved",), ids=[asset_id])
    if df.empty:
        raise NotFound("there is no published asset with that id")
    pub = privacy.public_assets(df).iloc[0].to_dict()
    return pub, df.iloc[0].to_dict()


def _hidden_fields(row) -> tuple:
    hidden = []
    if not row.get("contact_public"):
        hidden.append("contact")
    if row.get("home_based"):
        hidden.extend(forms.HOME_HIDDEN)
    return tuple(hidden)


@bp.get("/contribute")
def contribute():
    store = get_store()
    asset_id = request.args.get("asset")
    if asset_id:
        pub, full = _public_asset(store, asset_id)
        values = forms.form_values(pub, pub, lon=pub["geometry"].x, lat=pub["geometry"].y,
                                   show_location=not full.get("home_based"))
        return render_form("contribute.html", values=values, asset=pub,
                           hidden={"asset_id": asset_id}, hidden_fields=_hidden_fields(full),
                           keep_location=True, submit_label="Send the change",
                           action=url_for("contribute.submit"))
    return render_form("contribute.html", values={}, asset=None,
                       submit_label="Send for approval", action=url_for("contribute.submit"))


@bp.post("/contribute")
def submit():
    store = get_store()
    asset_id = request.form.get("asset_id") or None
    asset = full = None
    if asset_id:
        asset, full = _public_asset(store, asset_id)
    check_submit_rate()
    user = current_user()
    try:
        c = validate(request.form, store, keep_location_ok=bool(asset_id),
                     can_set_preferred=has_role(*accounts.CAN_MODERATE), current=full)
    except InputError as e:
        return render_form("contribute.html", values=submitted_values(),
                           errors=forms.errors_by_field(e), asset=asset,
                           hidden={"asset_id": asset_id} if asset_id else {},
                           hidden_fields=_hidden_fields(full) if full else (),
                           keep_location=bool(asset_id), action=url_for("contribute.submit"),
                           submit_label="Send the change" if asset_id else "Send for approval",
                           status=400)
    token = tokens.new_token()
    who = user["name"] if user else None
    if asset_id:
        keep_hidden(c, full, _hidden_fields(full))
        store.propose_update(asset_id, c.as_data(), token_hash=tokens.token_hash(token),
                             submitted_by=who)
    else:
        store.create_submission(c.as_data(), token_hash=tokens.token_hash(token),
                                submitted_by=who)
    return redirect(url_for("contribute.submission", token=token, created=1), code=303)


@bp.get("/contribute/postcode")
def postcode():
    """Offline postcode lookup for the form (JSON)."""
    if not limiter("postcode").hit(client_key()):
        return jsonify(error="too many lookups; wait a minute"), 429
    pc = model.normalise_postcode(request.args.get("postcode", "")[:12])
    if not pc or not model.POSTCODE_RE.match(pc):
        return jsonify(error="that is not a UK postcode (for example AB1 2CD)"), 400
    found = postcode_lookup(get_store())(pc)
    if found is None:
        return jsonify(error=f"we do not know the postcode {pc}; click the map instead"), 404
    return jsonify(postcode=pc, lon=round(found[0], 6), lat=round(found[1], 6))


# --- the contributor's own submission -------------------------------------------------------------
def _submission_context(store, sub):
    """What the contributor sees of their submission (their own data; a home-based
    location only approximately)."""
    data = forms.Contribution.from_data(sub["data"])
    current = store.get_asset(sub["asset_id"])
    home = bool(data.asset.get("home_based") or current.get("home_based"))
    lon, lat = (data.lon, data.lat) if data.lon is not None else \
        (current["geometry"].x, current["geometry"].y)
    values = forms.form_values(data.asset, data.provider, lon=lon, lat=lat,
                               show_location=not home)
    shown = None
    if lon is not None:
        if home:
            import geopandas as gpd
            import shapely
            pt = privacy.approximate_location(gpd.GeoSeries([shapely.Point(lon, lat)], crs=4326))
            shown = (round(pt.iloc[0].x, 5), round(pt.iloc[0].y, 5))
        else:
            shown = (round(lon, 6), round(lat, 6))
    return {"sub": sub, "data": data, "values": values, "home": home, "shown": shown,
            "labels": forms.LABELS, "hidden": {"version": sub["version"]},
            "hidden_fields": forms.HOME_HIDDEN if home else (),
            "keep_location": True, "current_status": current["status"],
            "submit_label": "Suggest a change" if sub["status"] == "approved"
            else "Send the corrected version"}


def _amend(store, sub, action_url, template_ctx):
    check_submit_rate()
    user = current_user()
    try:
        c = validate(request.form, store, keep_location_ok=True,
                     can_set_preferred=has_role(*accounts.CAN_MODERATE),
                     current=store.get_asset(sub["asset_id"]))
    except InputError as e:
        ctx = dict(template_ctx, values=submitted_values())
        return render_form("submission.html", errors=forms.errors_by_field(e),
                           action=action_url, status=400, **ctx)
    if c.lon is None and sub["kind"] == "update":
        c.lon, c.lat = sub["data"].get("lon"), sub["data"].get("lat")
    if template_ctx["home"]:
        keep_hidden(c, sub["data"].get("asset") or {}, forms.HOME_HIDDEN)
    expected = _params.record_id(request.form.get("version"), "version")
    store.amend_submission(sub["id"], c.as_data(), expected_version=expected,
                           changed_by=(user["name"] if user else "contributor (private link)"))
    return None


@bp.route("/submission/<token>", methods=["GET", "POST"])
def submission(token):
    store = get_store()
    if len(token) > 100:
        abort(404)
    sub = store.submission_by_token(tokens.token_hash(token))
    action = url_for("contribute.submission", token=token)
    ctx = _submission_context(store, sub)
    if request.method == "POST":
        resp = _amend(store, sub, action, ctx)
        if resp is not None:
            return resp[0], resp[1], PRIVATE_HEADERS
        return redirect(url_for("contribute.submission", token=token, amended=1), code=303)
    body, status = render_form("submission.html", action=action,
                               link=external_url("contribute.submission", token=token,
                                                 relative_if_untrusted=True),
                               created=bool(request.args.get("created")),
                               amended=bool(request.args.get("amended")), **ctx)
    return body, status, PRIVATE_HEADERS


@bp.get("/my/submissions")
@require_login
def my_submissions():
    subs = get_store().list_submissions(statuses=None, submitted_by=g.user["name"])
    return render_template("my_submissions.html", subs=list(reversed(subs)))


@bp.route("/my/submissions/<int:sid>", methods=["GET", "POST"])
@require_login
def my_submission(sid):
    store = get_store()
    sub = store.get_submission(sid)
    if sub["submitted_by"] != g.user["name"]:
        raise PermissionDenied("this is not one of your submissions")
    action = url_for("contribute.my_submission", sid=sid)
    ctx = _submission_context(store, sub)
    if request.method == "POST":
        resp = _amend(store, sub, action, ctx)
        if resp is not None:
            return resp[0], resp[1], PRIVATE_HEADERS
        return redirect(url_for("contribute.my_submissions"), code=303)
    body, status = render_form("submission.html", action=action, link=None, created=False,
                               amended=False, **ctx)
    return body, status, PRIVATE_HEADERS


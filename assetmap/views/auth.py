"""Sign in and out, the signed-in user on every request, own password changes, and the
error pages the contribution, moderation and admin blueprints share."""
from __future__ import annotations

from flask import (Blueprint, current_app, g, redirect, render_template, request, session,
                   url_for)

from .. import accounts, settings
from ..errors import AssetMapError, ConflictError, InputError, InputErrors, NotFound, \
    PermissionDenied
from . import get_store
from .access import require_login

bp = Blueprint("auth", __name__)


# --- the signed-in user -------------------------------------------------------------------------
@bp.before_app_request
def load_user():
    g.user = None
    uid = session.get("uid")
    if uid is None:
        return
    user = get_store().get_user(user_id=uid)
    if user is None or not user["active"] or not accounts.stamps_match(
            session.get("stamp"), accounts.session_stamp(user["password_hash"])):
        session.clear()
        return
    g.user = {k: v for k, v in user.items() if k != "password_hash"}


@bp.app_context_processor
def inject_user():
    user = getattr(g, "user", None)
    role = user["role"] if user else None
    return {"current_user": user,
            "can_moderate": role in accounts.CAN_MODERATE,
            "can_see_private": role in accounts.CAN_SEE_PRIVATE,
            "can_manage_users": role in accounts.CAN_MANAGE_USERS}


def limiter(name: str) -> accounts.RateLimiter:
    """The app's rate limiters (config overrides settings), created on first use."""
    limits = current_app.extensions.setdefault("assetmap_limits", {})
    if name not in limits:
        cfg = current_app.config
        spec = {
            "login_user": (cfg.get("LOGIN_MAX_FAILURES", settings.LOGIN_MAX_FAILURES),
                           cfg.get("LOGIN_WINDOW_S", settings.LOGIN_WINDOW_S)),
            "login_ip": (cfg.get("LOGIN_MAX_FAILURES_PER_IP", settings.LOGIN_MAX_FAILURES_PER_IP),
                         cfg.get("LOGIN_WINDOW_S", settings.LOGIN_WINDOW_S)),
            "submit": (cfg.get("SUBMISSION_LIMIT", settings.SUBMISSION_LIMIT),
                       cfg.get("SUBMISSION_WINDOW_S", settings.SUBMISSION_WINDOW_S)),
            "postcode": (cfg.get("POSTCODE_LOOKUP_LIMIT", 120), 60),
        }[name]
        limits[name] = accounts.RateLimiter(*spec)
    return limits[name]


def client_key() -> str:
    """Who a rate limit counts: the connecting address (proxies must be configured in
    front of the app, never trusted from a header)."""
    return request.remote_addr or "unknown"


def _home_for(user) -> str:
    if user and user["role"] in accounts.CAN_SEE_PRIVATE:
        return url_for("moderate.queue")
    if user:
        return url_for("contribute.my_submissions")
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    nxt = accounts.safe_next(request.values.get("next"), default="")
    if request.method == "GET":
        return render_template("login.html", next=nxt, name="")
    name = (request.form.get("name") or "").strip()[:100]
    password = request.form.get("password") or ""
    who, ip = name.lower(), client_key()
    wait = max(limiter("login_user").blocked(who), limiter("login_ip").blocked(ip))
    if wait:
        return render_template("login.html", next=nxt, name=name,
                               error="Too many failed sign-in attempts. Try again in "
                                     f"{accounts.wait_message(wait)}."), 429
    user = get_store().get_user(name=name) if name else None
    ok = accounts.verify_password(user["password_hash"] if user else None, password)
    if not ok or not user["active"]:
        limiter("login_user").hit(who)
        limiter("login_ip").hit(ip)
        return render_template("login.html", next=nxt, name=name,
                               error="Wrong user name or password."), 401
    limiter("login_user").reset(who)
    if accounts.needs_rehash(user["password_hash"]):
        new_hash = accounts.hash_password(password)
        get_store().update_user(user["id"], password_hash=new_hash)
        user["password_hash"] = new_hash
    session.clear()                      # a fresh session on every sign-in
    session.permanent = True
    session["uid"] = user["id"]
    session["stamp"] = accounts.session_stamp(user["password_hash"])
    return redirect(nxt or _home_for(user))


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("main.home"))


@bp.route("/account", methods=["GET", "POST"])
@require_login
def account():
    if request.method == "GET":
        return render_template("account.html")
    store = get_store()
    user = store.get_user(user_id=g.user["id"])
    current = request.form.get("current_password") or ""
    new = request.form.get("new_password") or ""
    who = (user["name"] or "").lower()       # the same budget as failed sign-ins
    wait = limiter("login_user").blocked(who)
    if wait:
        return render_template("account.html", error="Too many wrong passwords. Try again in "
                                                     f"{accounts.wait_message(wait)}."), 429
    if not accounts.verify_password(user["password_hash"], current):
        limiter("login_user").hit(who)
        return render_template("account.html", error="Your current password is not right."), 400
    if new != (request.form.get("confirm_password") or ""):
        return render_template("account.html", error="The two new passwords differ."), 400
    try:
        accounts.check_password_strength(new, user["name"])
    except InputError as e:
        return render_template("account.html", error=f"{e.message[0].upper()}{e.message[1:]}."), 400
    new_hash = accounts.hash_password(new)
    store.update_user(user["id"], password_hash=new_hash)
    session["stamp"] = accounts.session_stamp(new_hash)   # other sessions are signed out
    return render_template("account.html", message="Your password has been changed.")


# --- error pages shared by the contribution blueprints -----------------------------------------
def error_page(exc: AssetMapError, status: int):
    titles = {400: "Please check your input", 403: "Not allowed", 404: "Not found",
              409: "Changed by someone else", 429: "Too many requests"}
    from ..community.forms import LABELS

    def text(e):
        msg = getattr(e, "message", None) or str(e)
        field = getattr(e, "field", None)
        return f"{LABELS.get(field, field)}: {msg}" if field and field in LABELS else msg
    messages = [text(e) for e in exc.errors] if isinstance(exc, InputErrors) else [text(exc)]
    return render_template("error.html", title=titles.get(status, "Error"),
                           messages=messages, status=status), status


def register_error_pages(blueprint: Blueprint) -> None:
    blueprint.register_error_handler(PermissionDenied, lambda e: error_page(e, 403))
    blueprint.register_error_handler(NotFound, lambda e: error_page(e, 404))
    blueprint.register_error_handler(ConflictError, lambda e: error_page(e, 409))
    blueprint.register_error_handler(InputError, lambda e: error_page(e, 400))


register_error_pages(bp)

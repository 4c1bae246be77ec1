"""Sign in and out, the signed-in user on every request, own password changes, and the
error pages the contribution, moderation and admin blueprints share."""
from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from .. import accounts, settings
from ..errors import (
    AssetMapError,
    ConflictError,
    InputError,
    InputErrors,
    NotFound,
    PermissionDenied,
)
from . import get_store
from .access import keep_signed_in, load_user, require_login, sign_in, sign_out

bp = Blueprint("auth", __name__)


# --- the signed-in user -------------------------------------------------------------------------
@bp.before_app_request
def _load_user():
    load_user()


@bp.app_context_processor
def inject_user():
    user = getattr(g, "user", None)
    role = user["role"] if user else None
    return {"current_user": user,
            "can_moderate": role in accounts.CAN_MODERATE,
            "can_see_private": role in accounts.CAN_SEE_PRIVATE,
            "can_manage_users": role in accounts.CAN_MANAGE_USERS}


def _setting(name: str):
    return current_app.config.get(name, getattr(settings, name))


def limiter(name: str) -> accounts.RateLimiter:
    """One of the app's rate limits (config overrides settings), counted in the store so it
    holds across restarts and every process serving the app."""
    limit, window = {
        "login_ip": ("LOGIN_MAX_FAILURES_PER_IP", "LOGIN_WINDOW_S"),
        "submit": ("SUBMISSION_LIMIT", "SUBMISSION_WINDOW_S"),
        "postcode": ("POSTCODE_LOOKUP_LIMIT", None),
    }[name]
    return accounts.RateLimiter(current_app.config.get(limit, getattr(settings, limit, 120)),
                                _setting(window) if window else 60, backend=get_store(),
                                bucket=name)


def login_throttle() -> accounts.LoginThrottle:
    """Failed sign-ins per (name, address) pair with growing delays, in the store."""
    return accounts.LoginThrottle(get_store(), free=_setting("LOGIN_MAX_FAILURES"),
                                  first=_setting("LOGIN_FIRST_DELAY_S"),
                                  cap=_setting("LOGIN_MAX_DELAY_S"),
                                  memory=_setting("LOGIN_FAILURE_MEMORY_S"))


def client_key() -> str:
    """Who a rate limit counts: the client's address. That is the connecting address unless
    TRUSTED_PROXIES is set, when werkzeug's ProxyFix (``create_app``) has taken it from the
    trusted proxies' X-Forwarded-For; a client's own header is never trusted."""
    return request.remote_addr or "unknown"


def _too_many(template: str, wait: float, text: str, **ctx):
    body = render_template(template, error=f"{text} Try again in "
                                           f"{accounts.wait_message(wait)}.", **ctx)
    return body, 429, {"Retry-After": str(max(1, int(wait + 0.999)))}


def _home_for(user) -> str:
    if user and user["role"] in accounts.CAN_SEE_PRIVATE:
        return url_for("moderate.queue")
    if user and user["role"] in accounts.CAN_REFER:
        return url_for("referrals.mine")
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
    ip, throttle = client_key(), login_throttle()
    wait = max(throttle.wait(name, ip), limiter("login_ip").blocked(ip))
    if wait:
        return _too_many("login.html", wait, "Too many failed sign-in attempts from here.",
                         next=nxt, name=name)
    store = get_store()
    user = store.get_user(name=name) if name else None
    ok = accounts.verify_password(user["password_hash"] if user else None, password)
    if not ok or not user["active"]:
        throttle.failed(name, ip)
        limiter("login_ip").hit(ip)
        return render_template("login.html", next=nxt, name=name,
                               error="Wrong user name or password."), 401
    throttle.succeeded(name, ip)
    if accounts.needs_rehash(user["password_hash"]):
        store.update_user(user["id"], password_hash=accounts.hash_password(password))
        user = store.get_user(user_id=user["id"])
    sign_in(user)                        # a fresh session on every sign-in
    return redirect(nxt or _home_for(user))


@bp.post("/logout")
def logout():
    sign_out()                           # every copy of this user's session cookie is void
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
    ip, throttle = client_key(), login_throttle()    # the same budget as failed sign-ins
    wait = throttle.wait(user["name"], ip)
    if wait:
        return _too_many("account.html", wait, "Too many wrong passwords.")
    if not accounts.verify_password(user["password_hash"], current):
        throttle.failed(user["name"], ip)
        return render_template("account.html", error="Your current password is not right."), 400
    if new != (request.form.get("confirm_password") or ""):
        return render_template("account.html", error="The two new passwords differ."), 400
    try:
        accounts.check_password_strength(new, user["name"])
    except InputError as e:
        return render_template("account.html", error=f"{e.message[0].upper()}{e.message[1:]}."), 400
    store.update_user(user["id"], password_hash=accounts.hash_password(new))
    keep_signed_in(user["id"])           # this session carries on; every other one is void
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

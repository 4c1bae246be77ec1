"""Access in the web app: the signed-in user, checked on every request, signing in and out,
and the view decorators that enforce roles (``assetmap.accounts.roles`` says who may do
what; ``assetmap.accounts.sessions`` what makes a session void)."""
from __future__ import annotations

import functools

from flask import current_app, g, redirect, request, session, url_for

from .. import accounts, model, settings
from ..accounts import sessions
from ..errors import PermissionDenied
from . import get_store

#: The session's last-use time is rewritten (a new cookie) at most this often.
_SEEN_EVERY_S = 60


def _setting(name: str):
    return current_app.config.get(name, getattr(settings, name))


def load_user() -> dict | None:
    """The user the session cookie signs in, checked against the store: the user exists and
    is active, the cookie's stamp matches their password and session version (so a copy of
    a cookie dies with sign-out, a new password or role), and the session is neither idle
    past SESSION_IDLE_MINUTES nor older than SESSION_HOURS. Sets ``g.user``; a void session
    is cleared."""
    g.user = None
    uid = session.get("uid")
    if uid is None:
        return None
    user = get_store().get_user(user_id=uid)
    at = sessions.now()
    if accounts.why_void(session, user, at, idle_s=60.0 * _setting("SESSION_IDLE_MINUTES"),
                         lifetime_s=3600.0 * _setting("SESSION_HOURS")):
        session.clear()
        return None
    if at - session["seen"] >= _SEEN_EVERY_S:
        session["seen"] = int(at)
    g.user = {k: v for k, v in user.items() if k != "password_hash"}
    return g.user


def current_user():
    """The signed-in user (dict without the password hash) or None; checked once per
    request (``load_user``)."""
    if "user" not in g:
        load_user()
    return g.user


def sign_in(user: dict) -> None:
    """A fresh session for ``user`` (as the store has it now)."""
    session.clear()
    session.permanent = True
    session.update(accounts.new_session(user, sessions.now()))
    g.user = {k: v for k, v in user.items() if k != "password_hash"}


def sign_out() -> None:
    """End every session of the signed-in user (their session version moves on), then
    this one's cookie."""
    user = current_user()
    if user is not None:
        get_store().end_sessions(user["id"])
    session.clear()
    g.user = None


def keep_signed_in(user_id: int) -> None:
    """After a change that voided the user's sessions (their own new password), carry this
    session on under the new stamp."""
    user = get_store().get_user(user_id=user_id)
    session["stamp"] = accounts.stamp_of(user)


def has_role(*roles: str) -> bool:
    user = current_user()
    return user is not None and user["role"] in roles


def require_role(*roles: str):
    """View decorator: signed-in users with one of ``roles`` only. Anonymous visitors are
    sent to the sign-in page (GET) or refused (other methods); other roles get 403."""
    def deco(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                if request.method == "GET":
                    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
                raise PermissionDenied("please sign in first")
            if user["role"] not in roles:
                raise PermissionDenied(
                    f"your role ({user['role']}) does not allow this; it needs "
                    + " or ".join(roles))
            return view(*args, **kwargs)
        return wrapped
    return deco


def require_login(view):
    return require_role(*model.ROLES)(view)

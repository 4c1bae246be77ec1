"""Access in the web app: the signed-in user and the view decorators that enforce roles
(``assetmap.accounts.roles`` says who may do what)."""
from __future__ import annotations

import functools

from flask import g, redirect, request, url_for

from .. import model
from ..errors import PermissionDenied


def current_user():
    """The signed-in user (dict without the password hash) or None."""
    return getattr(g, "user", None)


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

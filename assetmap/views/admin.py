"""User management for planners (``/admin/users``): add accounts, change roles, reset
passwords, deactivate (accounts are never deleted: their names stay in the audit trail).
Each change signs the user out everywhere (their session version moves on,
``store.update_user``); every new password passes ``accounts.check_password_strength``."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from .. import accounts, model
from ..errors import InputError
from . import get_store
from .access import require_role
from .auth import register_error_pages

bp = Blueprint("admin", __name__, url_prefix="/admin")
register_error_pages(bp)


@bp.get("/users")
@require_role(*accounts.CAN_MANAGE_USERS)
def users():
    df = get_store().list_users()
    return render_template("admin_users.html", users=df.to_dict("records"), roles=model.ROLES,
                           role_descriptions=accounts.ROLE_DESCRIPTIONS, errors={}, values={})


@bp.post("/users")
@require_role(*accounts.CAN_MANAGE_USERS)
def add_user():
    store = get_store()
    name = request.form.get("name", "")
    role = request.form.get("role", "")
    password = request.form.get("password", "")
    try:
        name = accounts.check_user_name(name)
        accounts.check_role(role)
        accounts.check_password_strength(password, name)
        store.add_user(name, role, accounts.hash_password(password))
    except InputError as e:
        df = store.list_users()
        return render_template("admin_users.html", users=df.to_dict("records"),
                               roles=model.ROLES, role_descriptions=accounts.ROLE_DESCRIPTIONS,
                               errors={e.field or "form": e.message},
                               values={"name": name, "role": role}), 400
    flash(f"Added {name} ({role}).", "success")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:user_id>")
@require_role(*accounts.CAN_MANAGE_USERS)
def change_user(user_id):
    store = get_store()
    target = store.get_user(user_id=user_id)
    if target is None:
        from ..errors import NotFound
        raise NotFound(f"no user {user_id}")
    action = request.form.get("action")
    if target["id"] == g.user["id"] and action in ("deactivate", "role"):
        raise InputError("you cannot deactivate yourself or change your own role (ask "
                         "another planner)", field="action")
    if action == "role":
        store.update_user(user_id, role=accounts.check_role(request.form.get("role", "")))
        flash(f"{target['name']} is now a {request.form.get('role')} (signed out: they sign "
              "in again).", "success")
    elif action == "deactivate":
        store.update_user(user_id, active=False)
        flash(f"{target['name']} can no longer sign in.", "success")
    elif action == "activate":
        store.update_user(user_id, active=True)
        flash(f"{target['name']} can sign in again.", "success")
    elif action == "password":
        password = request.form.get("password", "")
        accounts.check_password_strength(password, target["name"])
        store.update_user(user_id, password_hash=accounts.hash_password(password))
        flash(f"New password set for {target['name']}; their sessions are signed out.",
              "success")
    else:
        raise InputError("unknown action", field="action")
    return redirect(url_for("admin.users"), code=303)

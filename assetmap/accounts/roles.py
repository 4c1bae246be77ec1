"""Roles (``model.ROLES``) and who may do what; user names; safe sign-in redirects.

* ``planner``     approves, edits, retires and restores assets; manages users;
* ``coordinator`` sees pending submissions and private fields (contact details), read only;
* ``contributor`` sees and amends their own submissions.

Anyone, signed in or not, may submit; anonymous contributors get a private link instead.
The web app enforces these with the view decorators in ``assetmap.views.access``.
"""
from __future__ import annotations

from .. import model
from ..errors import InputError

#: The roles allowed to do each thing.
CAN_MODERATE = ("planner",)
CAN_SEE_PRIVATE = ("planner", "coordinator")
CAN_MANAGE_USERS = ("planner",)


def check_user_name(name: str) -> str:
    name = (name or "").strip()
    if not (2 <= len(name) <= 100):
        raise InputError("a user name is 2 to 100 characters", field="name")
    if not all(ch.isalnum() or ch in "._-@ " for ch in name):
        raise InputError("a user name may use letters, digits, spaces and . _ - @", field="name")
    return name


def check_role(role: str) -> str:
    if role not in model.ROLES:
        raise InputError(f"role must be one of {', '.join(model.ROLES)}", field="role")
    return role


def safe_next(target: str | None, default: str = "/") -> str:
    """A redirect target that stays on this site (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") \
            or target.startswith("/\\") or any(c in target for c in "\r\n\t"):
        return default
    return target

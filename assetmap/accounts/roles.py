"""Roles (``model.ROLES``) and who may do what; user names; safe sign-in redirects.

* ``planner``     approves, edits, retires and restores assets; manages users;
* ``coordinator`` sees pending submissions and private fields (contact details), read only;
* ``contributor`` sees and amends their own submissions;
* ``referrer``    (social workers, care navigators; issue 11) refers people to providers from
  the referral finder and sees their own referrals (``/referrals``), nothing else private.
  Planners create them on the users page like any other account.

Providers answer referrals through a private link (``assetmap.community.tokens``), not an
account.

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
CAN_REFER = ("referrer",)
#: Who issues and revokes providers' private links, and sees exact (unsuppressed) referral
#: counts.
CAN_MANAGE_PROVIDER_LINKS = ("planner",)
CAN_SEE_EXACT_COUNTS = ("planner",)
#: Signed-in staff, who see the preferred-provider-list flag even where the council does not
#: publish it (``settings.PUBLISH_PREFERRED_LIST``).
CAN_SEE_PREFERRED = ("planner", "coordinator", "referrer")

#: What each role may do, as the users page explains it.
ROLE_DESCRIPTIONS = {
    "planner": "approves, edits and retires records, manages users and providers' links",
    "coordinator": "sees pending submissions and private fields, plans outreach",
    "contributor": "sees and amends their own submissions",
    "referrer": "social workers and care navigators: refer people to providers and see "
                "their own referrals",
}


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

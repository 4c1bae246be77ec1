"""Accounts and access: password hashing (argon2id) and strength (zxcvbn), rate limits and
sign-in delays, sessions that end, roles. No Flask here (the CLI and scripts use it without
a web app; the view code that reads the signed-in user is in ``assetmap.views.access``).

* :mod:`.passwords` hashing, verification, strength rules;
* :mod:`.limits`    rate limits and per-(account, address) sign-in delays, counted in the
  store (or in memory without one);
* :mod:`.sessions`  session stamps (password + per-user session version), idle and
  lifetime checks;
* :mod:`.roles`     roles and who may do what, user names, safe sign-in redirects.
"""
from __future__ import annotations

from .limits import LoginThrottle, MemoryLimits, RateLimiter, login_delay, wait_message
from .passwords import (
                        check_password_strength,
                        guessability,
                        hash_password,
                        needs_rehash,
                        verify_password,
)
from .roles import (
                        CAN_MANAGE_PROVIDER_LINKS,
                        CAN_MANAGE_USERS,
                        CAN_MODERATE,
                        CAN_REFER,
                        CAN_SEE_EXACT_COUNTS,
                        CAN_SEE_PREFERRED,
                        CAN_SEE_PRIVATE,
                        ROLE_DESCRIPTIONS,
                        check_role,
                        check_user_name,
                        safe_next,
)
from .sessions import new_session, session_stamp, stamp_of, stamps_match, why_void

__all__ = ["CAN_MANAGE_PROVIDER_LINKS", "CAN_MANAGE_USERS", "CAN_MODERATE", "CAN_REFER",
           "CAN_SEE_EXACT_COUNTS", "CAN_SEE_PREFERRED", "CAN_SEE_PRIVATE", "LoginThrottle",
           "ROLE_DESCRIPTIONS",
           "MemoryLimits", "RateLimiter", "check_password_strength", "check_role",
           "check_user_name", "guessability", "hash_password", "login_delay", "needs_rehash",
           "new_session", "safe_next", "session_stamp", "stamp_of", "stamps_match",
           "verify_password", "wait_message", "why_void"]

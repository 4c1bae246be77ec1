"""Accounts and access: password hashing (argon2id), rate limits, roles. No Flask here (the
CLI and scripts use it without a web app; the view decorators that read the signed-in user
are in ``assetmap.views.access``).

* :mod:`.passwords` hashing, verification, strength rules, session stamps;
* :mod:`.limits`    the in-memory rate limiter for sign-in and submissions;
* :mod:`.roles`     roles and who may do what, user names, safe sign-in redirects.
"""
from __future__ import annotations

from .limits import RateLimiter, wait_message
from .passwords import (check_password_strength, hash_password, needs_rehash, session_stamp,
                        stamps_match, verify_password)
from .roles import (CAN_MANAGE_USERS, CAN_MODERATE, CAN_SEE_PRIVATE, check_role,
                    check_user_name, safe_next)

__all__ = ["CAN_MANAGE_USERS", "CAN_MODERATE", "CAN_SEE_PRIVATE", "RateLimiter",
           "check_password_strength", "check_role", "check_user_name", "hash_password",
           "needs_rehash", "safe_next", "session_stamp", "stamps_match", "verify_password",
           "wait_message"]

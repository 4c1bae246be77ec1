"""Accounts and access: password hashing (argon2id), rate limits, role checks.

Passwords are hashed with argon2id (``argon2-cffi``; cost in settings) and never
stored or logged in clear. Sign-in and submissions are rate limited in memory per process
(:class:`RateLimiter`); one waitress process serves the app, so that is the whole server.

Roles (``model.ROLES``):

* ``planner``     approves, edits, retires and restores assets; manages users;
* ``coordinator`` sees pending submissions and private fields (contact details), read only;
* ``contributor`` sees and amends their own submissions.

Anyone, signed in or not, may submit; anonymous contributors get a private link instead.
No Flask here (the module is usable from the CLI and from scripts without a web app): the
view decorators that read the signed-in user are in ``assetmap.views.access``.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from .. import model, settings
from ..errors import InputError

_hasher = PasswordHasher(time_cost=settings.ARGON2_TIME_COST,
                         memory_cost=settings.ARGON2_MEMORY_KIB,
                         parallelism=settings.ARGON2_PARALLELISM)
#: Verified against when a user does not exist, so a wrong name costs as long as a wrong
#: password (no user enumeration by timing).
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))

#: The roles allowed to do each thing.
CAN_MODERATE = ("planner",)
CAN_SEE_PRIVATE = ("planner", "coordinator")
CAN_MANAGE_USERS = ("planner",)


# --- passwords ---------------------------------------------------------------------------
def check_password_strength(password: str, name: str = "") -> None:
    """Raise InputError for a password too weak to accept."""
    if not isinstance(password, str) or len(password) < settings.PASSWORD_MIN_LENGTH:
        raise InputError(f"the password must be at least {settings.PASSWORD_MIN_LENGTH} "
                         "characters long", field="password")
    if len(password) > 256:
        raise InputError("the password must be at most 256 characters long", field="password")
    if name and password.strip().lower() == name.strip().lower():
        raise InputError("the password must not be the user name", field="password")
    if len(set(password)) < 4:
        raise InputError("the password is too simple", field="password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; constant work whether or not the user exists."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


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


def session_stamp(password_hash: str) -> str:
    """Ties a session to the current password: changing it signs out every session."""
    return hashlib.sha256(("assetmap-session:" + password_hash).encode()).hexdigest()[:24]


def stamps_match(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


# --- rate limits ----------------------------------------------------------------------------
class RateLimiter:
    """At most ``limit`` events per ``window`` seconds per key (sliding window, thread-safe,
    in memory). ``max_keys`` bounds the memory a flood of distinct keys can take."""

    def __init__(self, limit: int, window: float, max_keys: int = 100_000):
        self.limit, self.window, self.max_keys = int(limit), float(window), max_keys
        self._events: dict[str, deque] = {}
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque:
        q = self._events.get(key)
        if q is None:
            if len(self._events) >= self.max_keys:
                self._events.clear()
            q = self._events[key] = deque()
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def blocked(self, key: str) -> float:
        """Seconds until ``key`` may act again (0 when it may act now)."""
        now = time.monotonic()
        with self._lock:
            q = self._prune(key, now)
            if len(q) < self.limit:
                return 0.0
            return max(0.0, q[0] + self.window - now)

    def hit(self, key: str) -> bool:
        """Record an event; False (and nothing recorded) when over the limit."""
        now = time.monotonic()
        with self._lock:
            q = self._prune(key, now)
            if len(q) >= self.limit:
                return False
            q.append(now)
            return True

    def reset(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)


def wait_message(seconds: float) -> str:
    minutes = int(seconds // 60) + 1
    return f"about {minutes} minute{'s' if minutes != 1 else ''}"


# --- redirects --------------------------------------------------------------------------------
def safe_next(target: str | None, default: str = "/") -> str:
    """A redirect target that stays on this site (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") \
            or target.startswith("/\\") or any(c in target for c in "\r\n\t"):
        return default
    return target

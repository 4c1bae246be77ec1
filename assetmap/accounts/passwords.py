"""Passwords: argon2id hashing (``argon2-cffi``; cost in settings), strength rules, and the
session stamp that ties a session to the current password. A password is never stored or
logged in clear."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from .. import settings
from ..errors import InputError

_hasher = PasswordHasher(time_cost=settings.ARGON2_TIME_COST,
                         memory_cost=settings.ARGON2_MEMORY_KIB,
                         parallelism=settings.ARGON2_PARALLELISM)
#: Verified against when a user does not exist, so a wrong name costs as long as a wrong
#: password (no user enumeration by timing).
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


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


def session_stamp(password_hash: str) -> str:
    """Ties a session to the current password: changing it signs out every session."""
    return hashlib.sha256(("assetmap-session:" + password_hash).encode()).hexdigest()[:24]


def stamps_match(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))

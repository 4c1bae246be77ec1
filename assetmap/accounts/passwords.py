"""Passwords: argon2id hashing (``argon2-cffi``; cost in settings) and strength rules: a
minimum length and a minimum zxcvbn score (Dropbox's maintained estimator of how many
guesses a password takes; NCSC and NIST SP 800-63B advise checking against common and
guessable passwords rather than composition rules). A password is never stored or logged
in clear. (Session stamps are in ``assetmap.accounts.sessions``.)"""
from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

from .. import settings
from ..errors import InputError

_hasher = PasswordHasher(time_cost=settings.ARGON2_TIME_COST,
                         memory_cost=settings.ARGON2_MEMORY_KIB,
                         parallelism=settings.ARGON2_PARALLELISM)
#: Verified against when a user does not exist, so a wrong name costs as long as a wrong
#: password (no user enumeration by timing).
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


#: zxcvbn's work grows quickly with length, so it scores only a password's first 72
#: characters (4.5 refuses longer input; a longer password is not weaker for its tail).
_ESTIMATE_CHARS = 72


def guessability(password: str, name: str = "") -> tuple[int, str]:
    """zxcvbn's score (0 too guessable ... 4 very unguessable) and its advice as one
    sentence-case text ("" when it has none). The user name and the site's words count as
    known to an attacker."""
    inputs = [w for w in (name, "assetmap", settings.DEMO_LA_NAME) if w]
    result = zxcvbn(password[:_ESTIMATE_CHARS], user_inputs=inputs)
    feedback = result.get("feedback") or {}
    advice = [s.rstrip(". ") for s in feedback.get("suggestions") or [] if s]
    if feedback.get("warning"):
        advice.append(feedback["warning"].rstrip(". "))
    return int(result["score"]), ". ".join(advice)


def check_password_strength(password: str, name: str = "") -> None:
    """Raise InputError for a password too short, too long, the user's name, or too easy to
    guess (zxcvbn score below ``settings.PASSWORD_MIN_SCORE``; the message carries zxcvbn's
    advice)."""
    if not isinstance(password, str) or len(password) < settings.PASSWORD_MIN_LENGTH:
        raise InputError(f"the password must be at least {settings.PASSWORD_MIN_LENGTH} "
                         "characters long", field="password")
    if len(password) > 256:
        raise InputError("the password must be at most 256 characters long", field="password")
    if name and password.strip().lower() == name.strip().lower():
        raise InputError("the password must not be the user name", field="password")
    score, advice = guessability(password, name)
    if score < settings.PASSWORD_MIN_SCORE:
        advice = advice or "Add another word or two. Uncommon words are better"
        raise InputError(f"the password is too easy to guess: {advice[:1].lower()}{advice[1:]}",
                         field="password")


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

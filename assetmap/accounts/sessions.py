"""Signed-in sessions that end (issue 13). No Flask here: ``assetmap.views.access`` keeps
these values in the signed session cookie and checks them on every request.

A session holds the user's id, a *stamp* and two times: when it signed in and when it was
last used. The stamp is a hash of the user's password hash and their *session version* (a
counter on the user, bumped on sign-out, password, role or active changes): any of those
changes every stamp, so every copy of an older cookie is refused, on every server process,
without a session table. A session unused for the idle time, or older than its lifetime,
is void too.
"""
from __future__ import annotations

import hashlib
import hmac
import time


def now() -> float:
    """The clock sessions are timed by (seconds since the epoch; tests replace it)."""
    return time.time()


def session_stamp(password_hash: str, session_version: int = 0) -> str:
    """Ties a session to the current password and session version: changing either signs
    out every session."""
    return hashlib.sha256(f"assetmap-session:{int(session_version or 0)}:{password_hash}"
                          .encode()).hexdigest()[:24]


def stamps_match(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def stamp_of(user: dict) -> str:
    return session_stamp(user["password_hash"], user.get("session_version") or 0)


def new_session(user: dict, at: float) -> dict:
    """What a fresh sign-in keeps in the session cookie."""
    return {"uid": int(user["id"]), "stamp": stamp_of(user), "since": int(at), "seen": int(at)}


def why_void(data, user: dict | None, at: float, *, idle_s: float,
             lifetime_s: float) -> str | None:
    """Why the session ``data`` (the cookie's values) no longer signs ``user`` in, or None
    when it still does."""
    if user is None or not user.get("active"):
        return "no such active user"
    if not stamps_match(data.get("stamp"), stamp_of(user)):
        return "signed out (sign-out, new password or role elsewhere)"
    seen, since = data.get("seen"), data.get("since")
    if not isinstance(seen, (int, float)) or not isinstance(since, (int, float)):
        return "an old session without times"
    if at - seen > idle_s:
        return "idle too long"
    if at - since > lifetime_s:
        return "signed in too long ago"
    return None

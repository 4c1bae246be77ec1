"""Private links for contributors without an account: the link carries an unguessable
token; only its hash is stored, so the link is shown once, to the contributor."""
from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    """An unguessable token (192 bits) for a contributor's private link."""
    return secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    """Only this hash is stored; the link itself is shown once to the contributor."""
    return hashlib.sha256(("assetmap-link:" + (token or "")).encode()).hexdigest()

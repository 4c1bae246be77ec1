"""Download file names that carry their filters (issue 12): ``assetmap-gaps-home_support-
dementia-E01011229.csv``, ASCII, safe on every file system (no path separators, quotes,
control characters or leading dots), at most ``settings.DOWNLOAD_NAME_MAX_CHARS`` before
the extension (a longer one is cut and ends in a digest of the whole, so two differently
filtered files never share a name), and the ``Content-Disposition`` header that offers it
(RFC 6266: a quoted ASCII ``filename`` and, where the name had other letters, ``filename*``
in UTF-8, RFC 8187).
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import quote

from .. import settings

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_UNSAFE_UNICODE = re.compile(r"[^\w.-]+", re.UNICODE)


def slug(text, *, keep_unicode: bool = False) -> str:
    """One part of a file name: letters, digits, '_', '.', '-' ('-' for anything else);
    ASCII (accents folded) unless ``keep_unicode``."""
    text = unicodedata.normalize("NFKC" if keep_unicode else "NFKD", str(text or ""))
    if not keep_unicode:
        text = text.encode("ascii", "ignore").decode("ascii")
    text = (_UNSAFE_UNICODE if keep_unicode else _UNSAFE).sub("-", text)
    text = re.sub(r"-{2,}", "-", re.sub(r"\.{2,}", ".", text))
    return text.strip("-._")


def download_name(stem: str, filters=(), ext: str = "csv", *,
                  limit: int | None = None, keep_unicode: bool = False) -> str:
    """``stem-filter1-filter2.ext`` from the non-empty ``filters`` (in the order given)."""
    limit = settings.DOWNLOAD_NAME_MAX_CHARS if limit is None else limit
    parts = [p for p in (slug(stem, keep_unicode=keep_unicode),
                         *(slug(f, keep_unicode=keep_unicode) for f in filters if f)) if p]
    name = "-".join(parts) or "assetmap"
    if len(name) > limit:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
        name = name[:max(limit - 9, 1)].rstrip("-._") + "-" + digest
    ext = slug(ext) or "bin"
    return f"{name}.{ext}"


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """``attachment; filename="ascii.csv"`` (plus ``filename*=UTF-8''...`` when ``filename``
    has non-ASCII letters); the name is made safe first."""
    stem, dot, ext = str(filename).rpartition(".")
    if not dot:
        stem, ext = ext, "bin"
    ascii_name = download_name(stem, ext=ext, limit=10 ** 6)
    uni_name = download_name(stem, ext=ext, limit=10 ** 6, keep_unicode=True)
    value = f'{disposition}; filename="{ascii_name}"'
    if uni_name != ascii_name:
        value += f"; filename*=UTF-8''{quote(uni_name, safe='')}"
    return value

"""Security headers on every response, with a per-request CSP nonce on inline scripts.

The Content-Security-Policy allows scripts only from the site itself plus the inline
``<script>`` elements of this response, which get a fresh nonce at response time (folium
writes inline scripts, and cached map HTML is shared between requests, so the nonce cannot
be in it). No third-party origin is listed: :func:`assetmap.maps.localise_assets` points
every library folium would load from a CDN at the vendored copy under
``/static/vendor/node_modules`` (installed by ``scripts/_setup.sh``). Images may also come
from the configured tile server (``settings.TILES``).

What the nonce does and does not cover: event-handler attributes (``onerror=``),
``javascript:`` links and scripts from other sites are blocked; an inline ``<script>``
element is trusted, so user text must never produce one -- it is escaped everywhere (the
XSS corpus in tests/test_safety.py), and that escaping, not the CSP, is the guarantee.
"""
from __future__ import annotations

import base64
import hashlib
import re
import secrets
from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g

from .. import settings

#: Inline event handlers our templates use (the Print buttons), allowed by their hashes.
INLINE_HANDLERS = ("window.print()",)
#: An inline script tag: ``<script`` without ``src=`` (and without a nonce yet).
_INLINE_SCRIPT = re.compile(rb"<script(?=[\s>])(?![^>]*\s(?:src|nonce)\s*=)", re.IGNORECASE)


def csp_nonce() -> str:
    """This request's nonce (also available to templates as ``csp_nonce()``)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@lru_cache(maxsize=8)
def tile_origins(tiles: str) -> tuple[str, ...]:
    """The origin(s) map tiles are loaded from, for ``img-src`` (empty for "none")."""
    if not tiles or tiles.lower() == "none":
        return ()
    url = tiles
    if "://" not in tiles:
        try:
            import xyzservices  # type: ignore[import-untyped]
            name = "OpenStreetMap Mapnik" if tiles.lower() == "openstreetmap" else tiles
            url = xyzservices.providers.query_name(name).build_url(fill_subdomain=False)
        except (ImportError, ValueError):
            return ()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ()
    host = re.sub(r"\{[^}]*\}", "*", parts.netloc)
    if "*" in host.split(".", 1)[-1] or "*" in host.split(".", 1)[0][1:]:
        return (f"{parts.scheme}:",)       # a placeholder CSP cannot express: the scheme
    return (f"{parts.scheme}://{host}",)


def policy(nonce: str, tiles: str) -> str:
    """The Content-Security-Policy header value for one response."""
    scripts = " ".join(["'self'", f"'nonce-{nonce}'", "'unsafe-hashes'",
                        *(_sha256(h) for h in INLINE_HANDLERS)])
    images = " ".join(["'self'", "data:", "blob:", *tile_origins(tiles)])
    return "; ".join([
        "default-src 'self'",
        f"script-src {scripts}",
        # Leaflet, folium popups and legends set style="" attributes in their HTML, and
        # folium writes <style> elements: styles need 'unsafe-inline' (no nonce here: a
        # nonce would switch 'unsafe-inline' off). Styles cannot run code.
        "style-src 'self' 'unsafe-inline'",
        f"img-src {images}",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def add_nonces(body: bytes, nonce: str) -> bytes:
    """Every inline ``<script>`` of an HTML body with ``nonce`` on it."""
    return _INLINE_SCRIPT.sub(b'<script nonce="' + nonce.encode() + b'"', body)


def apply(resp: Response) -> Response:
    """The after-request hook: nonces into HTML, then the headers."""
    nonce = csp_nonce()
    if resp.mimetype == "text/html" and not resp.is_streamed and not resp.direct_passthrough:
        resp.set_data(add_nonces(resp.get_data(), nonce))
    h = resp.headers
    h["Content-Security-Policy"] = policy(nonce, current_app.config.get("TILES") or settings.TILES)
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Referrer-Policy", "same-origin")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        h.setdefault("Strict-Transport-Security", f"max-age={settings.HSTS_MAX_AGE_S}")
    return resp


def init_app(app: Flask) -> None:
    app.after_request(apply)
    app.context_processor(lambda: {"csp_nonce": csp_nonce})

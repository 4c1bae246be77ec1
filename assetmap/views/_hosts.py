"""Which address the site has: absolute URLs never come from an untrusted Host header.

* ``BASE_URL`` (``ASSETMAP_BASE_URL``) set: every absolute URL starts with it.
* Otherwise an absolute URL is built from the request only when its host is trusted
  (``ASSETMAP_TRUSTED_HOSTS``, the base URL's host, and outside production the loopback
  names); any other host gets 400 for that page.
* Production mode (``ASSETMAP_ENV=production`` or a base URL): Flask's own
  ``TRUSTED_HOSTS`` check refuses every request for an unknown host with 400.

Cached bodies are never filled from the request: they hold :data:`PLACEHOLDER_ROOT` where
the site's root goes, and :func:`fill_root` puts the trusted root in per response.
"""
from __future__ import annotations

import json
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, request, url_for
from werkzeug.exceptions import SecurityError
from werkzeug.sansio.utils import host_is_trusted

from .. import settings
from ..errors import AssetMapError

#: Stands for the site's root in cached content (``.invalid`` is reserved: RFC 2606).
PLACEHOLDER_ROOT = "https://site-root.assetmap.invalid"
UNKNOWN_HOST = ("This address is not one the site answers to. The site's administrator "
                "sets ASSETMAP_BASE_URL or ASSETMAP_TRUSTED_HOSTS.")


def init_app(app: Flask) -> None:
    """:func:`configure`, and a plain 400 page for requests to an unknown host (no
    template: URLs cannot be built for such a request)."""
    configure(app)
    app.register_error_handler(
        SecurityError, lambda e: Response(UNKNOWN_HOST, 400, mimetype="text/plain"))


def configure(app: Flask) -> None:
    """Settle BASE_URL, the trusted hosts and production mode in ``app.config`` (test
    configs may set ``BASE_URL``, ``ASSETMAP_TRUSTED_HOSTS`` or ``PRODUCTION`` first)."""
    cfg = app.config
    base = str(cfg.get("BASE_URL", settings.BASE_URL) or "").strip().rstrip("/")
    hosts = list(cfg.get("ASSETMAP_TRUSTED_HOSTS", settings.TRUSTED_HOSTS) or ())
    if base:
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise AssetMapError(f"ASSETMAP_BASE_URL must be an http(s) address, not '{base}'")
        hosts.append(parts.hostname)
    production = bool(cfg.get("PRODUCTION", settings.ENV == "production" or bool(base)))
    if not production:
        hosts += [h for h in settings.LOOPBACK_HOSTS if h not in hosts]
    elif not hosts:
        raise AssetMapError("production mode needs ASSETMAP_BASE_URL or ASSETMAP_TRUSTED_HOSTS "
                            "(the host names the site answers to)")
    cfg.update(BASE_URL=base, ASSETMAP_TRUSTED_HOSTS=hosts, PRODUCTION=production)
    if production and cfg.get("TRUSTED_HOSTS") is None:
        cfg["TRUSTED_HOSTS"] = hosts       # Flask >= 3.1 answers other hosts with 400


def _trusted_request() -> bool:
    hosts = current_app.config.get("ASSETMAP_TRUSTED_HOSTS") or ()
    return bool(hosts) and host_is_trusted(request.host, hosts)


def public_root() -> str:
    """The site's root URL (no trailing slash): the base URL, or the request's own root
    when its host is trusted; otherwise the request is refused (400)."""
    base = current_app.config.get("BASE_URL")
    if base:
        return base
    if _trusted_request():
        return request.host_url.rstrip("/")
    abort(400, description=UNKNOWN_HOST)


def external_url(endpoint: str, *, relative_if_untrusted: bool = False, **values) -> str:
    """``url_for(endpoint, **values)`` as an absolute URL under :func:`public_root`.

    ``relative_if_untrusted``: for a link shown only to the person asking (never cached),
    an unknown host outside production gets the plain path instead of a 400."""
    path = url_for(endpoint, **values)
    if relative_if_untrusted and not current_app.config.get("BASE_URL") \
            and not _trusted_request():
        return path
    root = request.script_root
    if root and path.startswith(root):
        path = path[len(root):]
    return public_root() + path


def fill_root(body: bytes) -> bytes:
    """A cached JSON body with :data:`PLACEHOLDER_ROOT` replaced by this site's root."""
    marker = PLACEHOLDER_ROOT.encode()
    if marker not in body:
        return body
    return body.replace(marker, json.dumps(public_root())[1:-1].encode())

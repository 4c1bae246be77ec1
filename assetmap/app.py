"""The Flask application factory: config, instance folder, store, blueprints, and the
request-level safety (trusted hosts, bounded ids, security headers)."""
from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

from flask import Flask, render_template
from flask_compress import Compress
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from . import settings
from .errors import AssetMapError
from .store import Store
from .views import _headers, _hosts
from .views._params import BoundedIntConverter

#: CSRF protection on every form (POST/PUT/PATCH/DELETE); JSON endpoints that must accept
#: cross-site calls opt out with ``csrf.exempt``.
csrf = CSRFProtect()


def _secret_key(instance: Path) -> str:
    """A per-instance random secret, created once and kept in the instance folder."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        os.chmod(path, 0o600)
    return path.read_text().strip()


def _trust_proxies(app: Flask, hops: int) -> None:
    """Behind ``hops`` reverse proxies, take the client's address and scheme from their
    X-Forwarded-For / X-Forwarded-Proto (werkzeug's ProxyFix); with 0 (the default) those
    headers are ignored, so a client cannot choose the address its rate limits count."""
    if hops > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)


def _defaults(instance: Path) -> dict:
    """The app's configuration before the instance config file, from ``settings``."""
    return dict(
        DATABASE=settings.default_db_url(instance),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("ASSETMAP_SECURE_COOKIES", "0") == "1",
        TILES=settings.TILES,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=settings.SESSION_HOURS),
        WTF_CSRF_TIME_LIMIT=settings.SESSION_HOURS * 3600,
        SESSION_IDLE_MINUTES=settings.SESSION_IDLE_MINUTES,
        TRUSTED_PROXIES=settings.TRUSTED_PROXIES,
        ANALYSIS_REFRESH=settings.ANALYSIS_REFRESH,
        COMPRESS_MIMETYPES=list(settings.COMPRESS_MIMETYPES),
        COMPRESS_MIN_SIZE=settings.COMPRESS_MIN_BYTES,
        COMPRESS_ALGORITHM=["br", "gzip"],
        SEND_FILE_MAX_AGE_DEFAULT=settings.STATIC_MAX_AGE_S,
    )


def load_config(app: Flask, instance: Path, test_config: dict | None = None) -> None:
    """Configuration, later sources winning: the defaults (``settings``); the instance config
    file (``ASSETMAP_CONFIG``, which must exist, else ``assetmap.cfg`` in the instance folder
    when present), read with Flask's ``from_pyfile``; ``ASSETMAP_SECRET_KEY``; ``test_config``
    (what the command line passes, e.g. ``--db``). Without a secret key by then, the instance
    folder's ``secret_key`` file (made once)."""
    app.config.from_mapping(_defaults(instance))
    if settings.CONFIG_FILE:
        try:
            app.config.from_pyfile(str(Path(settings.CONFIG_FILE).resolve()))
        except OSError as e:
            raise AssetMapError(f"ASSETMAP_CONFIG names {settings.CONFIG_FILE}, which cannot "
                                f"be read ({e.strerror or e})") from None
    else:
        app.config.from_pyfile(settings.CONFIG_FILE_NAME, silent=True)
    if settings.SECRET_KEY:
        app.config["SECRET_KEY"] = settings.SECRET_KEY
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(instance)


def create_app(test_config: dict | None = None) -> Flask:
    """The web app. ``test_config`` overrides every other configuration source (tests, and
    the command line's ``--db``); ``INSTANCE_PATH`` in it chooses the instance folder."""
    instance = Path((test_config or {}).get("INSTANCE_PATH") or settings.INSTANCE_DIR)
    app = Flask("assetmap", template_folder=str(settings.TEMPLATES_DIR),
                static_folder=str(settings.STATIC_DIR), instance_path=str(instance.resolve()),
                instance_relative_config=True)
    load_config(app, instance, test_config)
    _hosts.init_app(app)
    app.extensions["assetmap_store"] = Store(app.config["DATABASE"])
    _trust_proxies(app, int(app.config.get("TRUSTED_PROXIES") or 0))
    csrf.init_app(app)
    Compress(app)

    @app.errorhandler(CSRFError)
    def _csrf_refused(e):
        return render_template(
            "error.html", title="Form refused", status=400,
            messages=["This form was missing its security token or it had expired. Go back, "
                      "reload the page and send it again."]), 400

    _headers.init_app(app)
    app.url_map.converters["int"] = BoundedIntConverter     # before any route is added
    from .views import register
    register(app)
    return app

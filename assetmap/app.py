"""The Flask application factory: config, instance folder, store, blueprints."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

from . import settings
from .store import Store


def _secret_key(instance: Path) -> str:
    """A per-instance random secret, created once and kept in the instance folder."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        os.chmod(path, 0o600)
    return path.read_text().strip()


def create_app(test_config: dict | None = None) -> Flask:
    instance = Path((test_config or {}).get("INSTANCE_PATH") or settings.INSTANCE_DIR)
    app = Flask("assetmap", template_folder=str(settings.TEMPLATES_DIR),
                static_folder=str(settings.STATIC_DIR), instance_path=str(instance.resolve()),
                instance_relative_config=True)
    app.config.from_mapping(
        DATABASE=settings.default_db_url(instance),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("ASSETMAP_SECURE_COOKIES", "0") == "1",
        TILES=settings.TILES,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(instance)
    app.extensions["assetmap_store"] = Store(app.config["DATABASE"])

    from .views import register
    register(app)
    return app

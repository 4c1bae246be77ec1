"""Home page and health check."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from .. import __version__, maps, settings
from . import get_store

bp = Blueprint("main", __name__)


@bp.get("/healthz")
def healthz():
    store = get_store()
    return jsonify(status="ok", version=__version__, data_version=store.data_version())


@bp.get("/")
def home():
    store = get_store()
    page = maps.cached_map(store, "home", lambda: maps.build_home_map(store))
    return render_template("home.html", map=page,
                           area_name=store.get_meta("area_name", "your area"),
                           counts=store.counts())

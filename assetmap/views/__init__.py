"""Thin Flask blueprints: parse the request, call store/pipeline/maps, render."""
from __future__ import annotations

from flask import Flask, current_app

from ..store import Store


def get_store() -> Store:
    return current_app.extensions["assetmap_store"]


def register(app: Flask) -> None:
    """Register every blueprint (each view module exposes ``bp``)."""
    from . import (
        api,
        areas,
        areas_geo,
        directory,
        downloads,
        main,
        method,
        openreferral,
        planner,
        records,
        wards,
    )
    app.register_blueprint(openreferral.bp)   # before api: its /openreferral/ rules win
    for module in (main, planner, areas, directory, records, downloads, api, method, wards,
                   areas_geo):
        app.register_blueprint(module.bp)
    from . import outreach
    app.register_blueprint(outreach.bp)
    from . import admin, auth, contribute, moderate
    for module in (auth, contribute, moderate, admin):
        app.register_blueprint(module.bp)
    from . import provider_link, referral_evidence, referrals
    for module in (referrals, provider_link, referral_evidence):
        app.register_blueprint(module.bp)
    openreferral.init_errors(app)             # last: hands other paths to what was there

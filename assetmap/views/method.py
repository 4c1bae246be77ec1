"""The method notes page: what every number means and how it is worked out."""
from __future__ import annotations

from flask import Blueprint, render_template

from .. import method
from . import get_store

bp = Blueprint("method", __name__)


@bp.get("/method")
def index():
    store = get_store()
    meta = store.read_indicators()
    rows = meta.to_dict("records") if len(meta) else []
    return render_template("method.html", sections=method.sections(
        store.latest_run(), rows, store.data_version()))

"""Referrals as JSNA evidence (issue 11): referrals made, accepted and declined per service
type, client group and area, and "turned away: no capacity" as observed unmet demand, on
``/referral-evidence``, beside the modelled gaps (``/gaps``) and on the area profile, as
CSV/GeoJSON downloads and in the API (``/api/v1/referral-evidence``, see
:func:`api_payload`).

Everything public suppresses small numbers (1 to 4 shown as "fewer than 5"); signed-in
planners see exact counts on the pages and downloads. No case reference, referrer or
provider is ever part of the evidence: the store hands over grouped counts only.
"""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
from flask import Blueprint, abort, render_template, request

from .. import accounts, model, settings
from .. import referrals as rf
from ..io.export_dictionary import dictionary
from ..referrals import evidence
from ..settings import STORAGE_CRS
from . import get_store
from .access import has_role
from .downloads import BUNDLE, dictionary_link, dictionary_response, send
from .main import web_data

bp = Blueprint("evidence", __name__)

FORMATS = ("csv", "geojson")
GROUPINGS = {"service_type", "client_group", "area_code"}


def exact() -> bool:
    """Signed-in planners see exact counts; everyone else suppressed ones."""
    return has_role(*accounts.CAN_SEE_EXACT_COUNTS)


def _choice(value, allowed) -> str | None:
    return value if value in allowed else None


def _filters(args) -> dict:
    return {"period": evidence.period_name(args.get("period")),
            "service_type": _choice(args.get("service_type"), model.SERVICE_TYPES),
            "client_group": _choice(args.get("client_group"), model.CLIENT_GROUPS),
            "area_code": (args.get("area") or "").strip()[:16] or None}


def _by(args) -> list[str]:
    """The grouping asked for (``by=service_type,area_code``), in KEYS order."""
    want = {b.strip() for b in str(args.get("by") or "").split(",") if b.strip()}
    want = (want & GROUPINGS) or GROUPINGS
    return [k for k in evidence.KEYS if k in want]


def summary(store, f: dict, by=evidence.KEYS) -> pd.DataFrame:
    """Exact evidence for the filters ``f`` (see :func:`_filters`)."""
    counts = store.referral_counts(since=evidence.period_start(f["period"]),
                                   service_type=f.get("service_type"),
                                   client_group=f.get("client_group"),
                                   area_codes=[f["area_code"]] if f.get("area_code") else None)
    return evidence.summarise(counts, by=by)


def _names(wd) -> dict:
    return wd.memoise(("area-names",), lambda: dict(zip(wd.areas["code"], wd.areas["name"])))


def _labelled(df: pd.DataFrame, names: dict) -> pd.DataFrame:
    out = df.copy()
    if "area_code" in out:
        out.insert(out.columns.get_loc("area_code") + 1, "area_name",
                   out["area_code"].map(names))
    if "service_type" in out:
        out["service"] = out["service_type"].map(model.SERVICE_TYPES)
    if "client_group" in out:
        out["group"] = out["client_group"].map(model.CLIENT_GROUPS)
    return out


# --- beside the modelled gaps and on the area profile ---------------------------------------------
def gaps_panel(store, wd, service_type, client_group) -> dict:
    """'Turned away (observed)' for the gap page: per area, for the chosen service type and
    client group ("" = any), in the default period."""
    period = settings.REFERRAL_DEFAULT_PERIOD
    f = {"period": period, "service_type": service_type or None,
         "client_group": client_group or None, "area_code": None}
    s = summary(store, f, by=["area_code"])
    show_exact = exact()
    names = _names(wd)
    rows = [{"area_code": r["area_code"], "name": names.get(r["area_code"], r["area_code"]),
             "turned_away": evidence.count_text(r["turned_away"], show_exact),
             "made": evidence.count_text(r["made"], show_exact), "n": int(r["turned_away"])}
            for r in s.to_dict("records") if r["made"] > 0]
    rows.sort(key=lambda r: (-r["n"], r["name"]))
    sentences = []
    if service_type:
        sentences = evidence.commissioning_sentences(
            s.assign(service_type=service_type, client_group=client_group or None), names,
            period=period, exact=show_exact, limit=5)
    return {"by_area": {r["area_code"]: r["turned_away"] for r in rows}, "rows": rows,
            "period": evidence.PERIOD_PHRASES[period], "exact": show_exact,
            "sentences": sentences,
            "any": any(r["n"] > 0 for r in rows)}


def area_panel(store, wd, code: str) -> dict:
    """The area profile's observed demand: per service type and client group, the default
    period."""
    period = settings.REFERRAL_DEFAULT_PERIOD
    f = {"period": period, "service_type": None, "client_group": None, "area_code": code}
    s = summary(store, f, by=["service_type", "client_group"])
    show_exact = exact()
    rows = [dict({k: evidence.count_text(r[k], show_exact) for k in evidence.COUNT_COLUMNS},
                 service=model.SERVICE_TYPES.get(r["service_type"], r["service_type"]),
                 group=model.CLIENT_GROUPS.get(r["client_group"], r["client_group"]))
            for r in s.to_dict("records")]
    name = _names(wd).get(code, code)
    sentences = evidence.commissioning_sentences(s.assign(area_code=code), {code: name},
                                                 period=period, exact=show_exact)
    return {"rows": rows, "period": evidence.PERIOD_PHRASES[period],
            "exact": show_exact, "sentences": sentences}


# --- the evidence page, downloads and API -----------------------------------------------------
@bp.get("/referral-evidence")
def page():
    store = get_store()
    wd = web_data()
    f = _filters(request.args)
    s = summary(store, f)
    show_exact = exact()
    names = _names(wd)
    table = _labelled(evidence.public_counts(s, exact=show_exact), names)
    sentences = evidence.commissioning_sentences(s, names, period=f["period"],
                                                 exact=show_exact, limit=10)
    totals = evidence.summarise(store.referral_counts(
        since=evidence.period_start(f["period"]), service_type=f["service_type"],
        client_group=f["client_group"]), by=[]) if show_exact else None
    return render_template("referral_evidence.html", wd=wd, f=f, rows=table.to_dict("records"),
                           sentences=sentences, exact=show_exact, columns=evidence.COUNT_COLUMNS,
                           totals=None if totals is None else totals.iloc[0].to_dict(),
                           periods=settings.REFERRAL_PERIODS,
                           period_phrases=evidence.PERIOD_PHRASES,
                           st_labels=model.SERVICE_TYPES, cg_labels=model.CLIENT_GROUPS,
                           small=settings.REFERRAL_SMALL_NUMBER, formats=FORMATS)


def export(store, wd, args, show_exact: bool):
    """The evidence as a frame for download: one row per area, service type and client
    group, with the area's geometry (display-simplified) and readable labels."""
    f = _filters(args)
    s = _labelled(evidence.public_counts(summary(store, f), exact=show_exact), _names(wd))
    s.insert(0, "period_start", evidence.period_start(f["period"]) or "")
    s.insert(0, "period", f["period"])
    cols = ["period", "period_start", "area_code", "area_name", "service_type", "service",
            "client_group", "group", *evidence.COUNT_COLUMNS]
    geom = wd.areas.geometry.name
    geo = wd.areas[["code", geom]].rename(columns={"code": "area_code"})
    out = geo.merge(s[cols], on="area_code", how="right")[cols + [geom]]
    return gpd.GeoDataFrame(out, geometry=geom, crs=wd.areas.crs)


#: The evidence filters a download's name and provenance carry, in order.
FILTER_KEYS = ("period", "service_type", "client_group", "area")
TITLE = ("Referral evidence: referrals made, accepted, declined and turned away for lack of "
         "capacity per area, service type and client group")


def _download_filters(args) -> dict:
    f = _filters(args)
    return {"period": f["period"], "service_type": f["service_type"],
            "client_group": f["client_group"], "area": f["area_code"],
            "counts": "exact" if exact() else None}


@bp.get("/downloads/referral-evidence.<fmt>")
def download(fmt):
    """The evidence as CSV or GeoJSON (zip: the CSV with notes), named after its filters,
    with its provenance and the ``Link`` to its dictionary."""
    if fmt not in (*FORMATS, BUNDLE):
        abort(404)
    filters = {k: v for k, v in _download_filters(request.args).items() if v}
    link = dictionary_link("evidence.data_dictionary", **{
        k: v for k, v in filters.items() if k in FILTER_KEYS})
    return send(export(get_store(), web_data(), request.args, exact()), fmt,
                "assetmap-referral-evidence", layer="referral-evidence", filters=filters,
                title=TITLE, link=link)


@bp.get("/downloads/referral-evidence/dictionary.csv")
def data_dictionary():
    """What each column of the evidence download holds, and where the file comes from."""
    frame = export(get_store(), web_data(), request.args, exact())
    dic = dictionary("referral-evidence", frame, crs=STORAGE_CRS)
    filters = {k: v for k, v in _download_filters(request.args).items() if v}
    return dictionary_response(dic, "assetmap-referral-evidence", TITLE, filters)


def api_payload(store, args) -> dict:
    """The body of ``/api/v1/referral-evidence`` (always suppressed: the API is public).
    ``period`` quarter|year|all, ``service_type``, ``client_group``, ``area`` filter;
    ``by`` (comma-separated service_type, client_group, area_code) groups."""
    f = _filters(args)
    by = _by(args)
    s = evidence.public_counts(summary(store, f, by=by))
    return {"period": f["period"], "period_start": evidence.period_start(f["period"]),
            "grouped_by": by, "filters": {k: v for k, v in f.items() if k != "period" and v},
            "suppression": f"counts of 1 to {settings.REFERRAL_SMALL_NUMBER - 1} are given "
                           f"as \"{evidence.FEWER.format(n=settings.REFERRAL_SMALL_NUMBER)}\"",
            "columns": evidence.COUNT_COLUMNS, "rows": s.to_dict("records"),
            "decline_reasons": rf.DECLINE_REASONS}

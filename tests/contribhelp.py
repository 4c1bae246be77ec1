"""Helpers for the contribution, moderation and safety tests (issue 6)."""
from __future__ import annotations

import re

import geopandas as gpd
import shapely

from assetmap import settings

XSS = "<img src=x onerror=alert(1)>"
#: Breaks out of a JavaScript template literal if written into one unencoded.
XSS_TEMPLATE = "`${alert(2)}` \\u"


def store_of(app):
    return app.extensions["assetmap_store"]


def inside_point(store, area_index: int = 14, dx: float = 130.0, dy: float = -170.0):
    """(lon, lat) inside the borough: an area's centre moved dx, dy metres (British
    National Grid); the default offsets keep it >100 m from its 500 m grid-cell centre."""
    areas = store.read_areas()
    c = areas.geometry.to_crs(settings.ANALYSIS_CRS).centroid.iloc[area_index]
    p = gpd.GeoSeries([shapely.Point(c.x + dx, c.y + dy)], crs=settings.ANALYSIS_CRS).to_crs(4326)
    return float(p.iloc[0].x), float(p.iloc[0].y)


def provider_form(lon, lat, /, **over) -> dict:
    """A valid micro-provider submission (form fields)."""
    data = {
        "name": "Ashbrook Home Helpers", "category": "micro_provider",
        "description": "Help at home for older people", "lat": f"{lat:.6f}", "lon": f"{lon:.6f}",
        "oh_mo_open": "09:00", "oh_mo_close": "17:00", "oh_tu_open": "09:00",
        "oh_tu_close": "17:00", "opening_notes": "evenings by appointment",
        "contact": "07700 900123", "service_types": ["home_support", "befriending"],
        "client_groups": ["older_people", "dementia"], "hourly_price": "18.50",
        "quality_mark": "silver", "direct_payments": "on", "staff_fte": "2.5",
        "capacity_hours": "60", "vacancies": "10", "community_focus": "Polish speakers",
        "radius_km": "4",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def submit(fc, data) -> str:
    """Send a contribution through a FormClient; returns the private-link token."""
    fc.get("/contribute")
    r = fc.post("/contribute", data)
    assert r.status_code == 303, r.get_data(as_text=True)[:3000]
    m = re.search(r"/submission/([^?]+)", r.headers["Location"])
    return m.group(1)


def versions(text: str) -> dict:
    """The hidden version fields of a moderation page."""
    out = {}
    for k in ("version", "asset_version"):
        m = re.search(rf'name="{k}" value="(\d+)"', text)
        if m:
            out[k] = m.group(1)
    return out


def approve(fc, sid: int):
    page = fc.get(f"/moderate/{sid}").get_data(as_text=True)
    return fc.post(f"/moderate/{sid}/approve", versions(page))


def pending_ids(store) -> list[int]:
    return [s["id"] for s in store.list_submissions(("pending",))]


def crawl_urls(app, values: dict, extra=()) -> list[str]:
    """Every GET route of the app with its arguments filled from ``values`` (routes whose
    arguments are unknown are skipped), plus ``extra`` URLs."""
    from werkzeug.routing import BuildError
    urls = set(extra)
    layers = fmts = ()
    try:
        from assetmap.views import downloads
        layers, fmts = tuple(downloads.LAYERS), tuple(downloads.FORMATS)
    except (ImportError, AttributeError):
        pass
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        args = set(rule.arguments)
        if args == {"layer", "fmt"}:
            combos = [{"layer": la, "fmt": f} for la in layers for f in fmts]
        elif args <= set(values):
            combos = [{a: values[a] for a in args}]
        else:
            continue
        with app.test_request_context():
            from flask import url_for
            for kw in combos:
                try:
                    urls.add(url_for(rule.endpoint, **kw))
                except BuildError:
                    pass
    return sorted(urls)


#: URL prefixes of the pages built for issue 6: these must never fail.
OWN_PREFIXES = ("/contribute", "/submission", "/moderate", "/admin", "/login", "/account",
                "/my/")


def fetch_all(fc, urls) -> dict[str, tuple[int, str, str]]:
    """url -> (status, content type, body text) for every url. A server error in one of our
    pages fails the test; one in another part of the app (work in progress elsewhere) is
    reported as a warning and its URL left out (it returned nothing to leak)."""
    import warnings
    out = {}
    for u in urls:
        try:
            r = fc.client.get(u)
            status = r.status_code
        except Exception as e:  # noqa: BLE001 - TESTING propagates view exceptions
            status, r = 500, e
        if status >= 500:
            assert not u.startswith(OWN_PREFIXES), f"{u} -> {status}: {r}"
            warnings.warn(f"{u} failed ({r!r:.200}); not checked")
            continue
        ctype = r.content_type or ""
        binary = ctype.startswith("application/geopackage")        # a SQLite file
        out[u] = (status, ctype, r.get_data().decode("latin-1") if binary
                  else r.get_data(as_text=True))
    return out


def coordinate_strings(lon: float, lat: float) -> list[str]:
    """The exact coordinates as they could be printed: full repr and 6, 5 and 4 decimals."""
    out = {repr(lon), repr(lat)}
    for d in (6, 5, 4):
        out |= {f"{lon:.{d}f}", f"{lat:.{d}f}"}
    # trailing zeros may be dropped by JSON/str formatting
    out |= {s.rstrip("0") for s in list(out) if "." in s}
    return sorted(out)
